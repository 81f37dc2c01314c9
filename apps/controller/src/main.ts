import { readFileSync } from 'node:fs'
import { createLogger, errorMessage, systemClock } from '@vpcmesh/common'
import { parseEndpoint } from '@vpcmesh/protocol'
import { prometheusMetrics } from '@vpcmesh/metrics'
import { buildApp } from './app.js'
import { CONTROLLER_USAGE, ConfigError, type ControllerConfig, parseConfig, parseFlags } from './config.js'
import { createRedisStore } from './state/redis-store.js'
import type { Store } from './state/store.js'
import { describeTarget, type RedisTarget } from './state/redis-target.js'
import { EmbeddedRedis, hasRedisServer } from './state/embedded-redis.js'

/**
 * Entry point of `vpcmesh controller`: the only place that reads process.env, wires the
 * graph, listens, and shuts down on SIGTERM/SIGINT (closing agent sockets with 1001).
 * Exit codes: 0 clean stop, 1 runtime failure, 2 bad configuration.
 */
export async function main(
  env: Record<string, string | undefined> = process.env,
  argv: string[] = process.argv.slice(2),
): Promise<number> {
  let config: ControllerConfig
  try {
    const flags = parseFlags(argv)
    if (flags === 'help') {
      process.stdout.write(`${CONTROLLER_USAGE}\n`)
      return 0
    }
    config = parseConfig({ ...env, ...flags })
  } catch (e) {
    process.stderr.write(
      `vpcmesh controller: ${e instanceof ConfigError ? e.message : errorMessage(e)} (see vpcmesh controller --help)\n`,
    )
    return 2
  }
  const logger = createLogger({ level: config.logLevel, format: config.logFormat }).child('controller')
  let embedded: EmbeddedRedis | undefined
  let target: RedisTarget
  if (config.redisSentinels !== undefined) {
    target = {
      sentinels: config.redisSentinels,
      name: config.redisSentinelName,
      password: config.redisPassword,
      sentinelPassword: config.redisSentinelPassword,
    }
  } else if (config.redisUrl !== undefined) {
    target = { url: config.redisUrl }
  } else {
    if (!hasRedisServer()) {
      process.stderr.write(
        'vpcmesh controller: REDIS_URL is not set and redis-server is not installed; install it (apt-get install redis-server), set REDIS_URL=redis://HOST:6379 or VPCMESH_REDIS_SENTINELS=HOST:26379\n',
      )
      return 2
    }
    embedded = new EmbeddedRedis({ logger, clock: systemClock }, { dir: config.dataDir })
    try {
      await embedded.start()
    } catch (e) {
      logger.error('cannot start embedded redis-server', { dir: config.dataDir, error: errorMessage(e) })
      return 1
    }
    target = { url: embedded.url }
  }
  const metrics = prometheusMetrics({ collectDefault: true })
  let store: Store
  try {
    store = await createRedisStore(
      { logger },
      { target, prefix: config.redisPrefix, changeLogMax: config.changeLogMax },
    )
  } catch (e) {
    logger.error('cannot reach Redis', { redis: describeTarget(target), error: errorMessage(e) })
    await embedded?.stop()
    return 1
  }
  let tls: { cert: Buffer; key: Buffer } | undefined
  if (config.tlsCertFile !== undefined && config.tlsKeyFile !== undefined) {
    try {
      tls = { cert: readFileSync(config.tlsCertFile), key: readFileSync(config.tlsKeyFile) }
    } catch (e) {
      process.stderr.write(`vpcmesh controller: cannot read the TLS certificate or key: ${errorMessage(e)}\n`)
      await store.close()
      await embedded?.stop()
      return 2
    }
  }
  const app = await buildApp({ config, store, metrics, logger, clock: systemClock, tls })
  const listen = parseEndpoint(config.listen)
  if (typeof listen === 'string') throw new Error(listen)
  await app.listen({ host: listen.host, port: listen.port })
  logger.info('listening', { listen: config.listen, replica: config.replicaId, redis: describeTarget(target) })
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      resolve()
    }
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
  })
  logger.info('shutting down')
  await app.close()
  await store.close()
  await embedded?.stop()
  return 0
}
