import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import {
  type Logger,
  type Startable,
  consoleLogger,
  errorMessage,
  startAll,
  stopAll,
  systemClock,
} from '@vpcmesh/common'
import { parseEndpoint } from '@vpcmesh/protocol'
import { prometheusMetrics } from '@vpcmesh/metrics'
import { buildApp } from './app.js'
import { CONTROLLER_USAGE, ConfigError, type ControllerConfig, parseConfig, parseFlags } from './config.js'
import { createRedisStore } from './state/redis-store.js'
import type { Store } from './state/store.js'
import { describeTarget, type RedisTarget } from './state/redis-target.js'
import { EmbeddedRedis, hasRedisServer } from './state/embedded-redis.js'
import { RateLimitRedis } from './state/rate-limit-redis.js'

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
  const logger = consoleLogger({ level: config.logLevel }).child('controller')
  if (config.redisSentinels === undefined && config.redisUrl === undefined && !hasRedisServer()) {
    process.stderr.write(
      'vpcmesh controller: REDIS_URL is not set and redis-server is not installed; install it ' +
        '(apt-get install redis-server), set REDIS_URL=redis://HOST:6379 or VPCMESH_REDIS_SENTINELS=HOST:26379\n',
    )
    return 2
  }
  let tls: { cert: Buffer; key: Buffer } | undefined
  if (config.tlsCertFile !== undefined && config.tlsKeyFile !== undefined) {
    try {
      tls = { cert: readFileSync(config.tlsCertFile), key: readFileSync(config.tlsKeyFile) }
    } catch (e) {
      process.stderr.write(`vpcmesh controller: cannot read the TLS certificate or key: ${errorMessage(e)}\n`)
      return 2
    }
  }
  const listen = parseEndpoint(config.listen)
  if (typeof listen === 'string') {
    process.stderr.write(`vpcmesh controller: VPCMESH_LISTEN: ${listen}\n`)
    return 2
  }
  const parts = controllerParts(config, listen, logger, tls)
  try {
    await startAll(parts.all)
  } catch (e) {
    logger.error(`cannot start: ${parts.step()}`, { error: errorMessage(e) })
    return 1
  }
  logger.info('listening', { listen: config.listen, replica: config.replicaId, redis: parts.redis() })
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      resolve()
    }
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
  })
  logger.info('shutting down')
  try {
    await stopAll(parts.all)
  } catch (e) {
    logger.error('shutdown failed', { error: errorMessage(e) })
    return 1
  }
  return 0
}

/** Where Redis is, by configuration; undefined means an embedded redis-server. */
function configuredTarget(config: ControllerConfig): RedisTarget | undefined {
  if (config.redisSentinels !== undefined)
    return {
      sentinels: config.redisSentinels,
      name: config.redisSentinelName,
      password: config.redisPassword,
      sentinelPassword: config.redisSentinelPassword,
    }
  if (config.redisUrl !== undefined) return { url: config.redisUrl }
  return undefined
}

/**
 * The controller as parts started in order and stopped in reverse by `startAll`/`stopAll`
 * (libs/common/src/lifecycle.ts): the embedded redis-server (only without REDIS_URL and
 * sentinels), the Store, the rate limit's Redis connection, and the listening app. A failed
 * start stops exactly the parts started before it; every stop is safe without a start.
 * `step()` names the part starting last, for the log; `redis()` the target without secrets.
 */
function controllerParts(
  config: ControllerConfig,
  listen: { host: string; port: number },
  logger: Logger,
  tls: { cert: Buffer; key: Buffer } | undefined,
): { all: Startable[]; step: () => string; redis: () => string } {
  const fixed = configuredTarget(config)
  const embedded =
    fixed === undefined ? new EmbeddedRedis({ logger, clock: systemClock }, { dir: config.dataDir }) : undefined
  const target = (): RedisTarget => fixed ?? { url: (embedded as EmbeddedRedis).url }
  let step = ''
  let store: Store | undefined
  let rateLimitRedis: RateLimitRedis | undefined
  let app: FastifyInstance | undefined
  const all: Startable[] = []
  if (embedded !== undefined)
    all.push({
      start: async () => {
        step = `embedded redis-server in ${config.dataDir}`
        await embedded.start()
      },
      stop: async () => {
        await embedded.stop()
      },
    })
  all.push(
    {
      start: async () => {
        step = `Redis at ${describeTarget(target())}`
        store = await createRedisStore(
          { logger },
          { target: target(), prefix: config.redisPrefix, changeLogMax: config.changeLogMax },
        )
      },
      stop: async () => {
        await store?.close()
      },
    },
    {
      start: async () => {
        step = `rate limit connection to ${describeTarget(target())}`
        rateLimitRedis = new RateLimitRedis({ logger }, { target: target() })
        await rateLimitRedis.connect()
      },
      stop: async () => {
        await rateLimitRedis?.close()
      },
    },
    {
      start: async () => {
        step = `listen on ${config.listen}`
        app = await buildApp({
          config,
          store: store as Store,
          metrics: prometheusMetrics({ collectDefault: true }),
          logger,
          clock: systemClock,
          tls,
          rateLimitRedis,
        })
        await app.listen({ host: listen.host, port: listen.port })
      },
      stop: async () => {
        await app?.close()
      },
    },
  )
  return { all, step: () => step, redis: () => describeTarget(target()) }
}
