import { readFileSync } from 'node:fs'
import { createLogger, errorMessage, startAll, stopAll } from '@vpcmesh/common'
import { parseEndpoint } from '@vpcmesh/protocol'
import { CONTROLLER_USAGE, ConfigError, type ControllerConfig, parseConfig, parseFlags } from './config.js'
import { hasRedisServer } from './state/embedded-redis.js'
import { controllerParts } from './controller-parts.js'

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
  // Listen for signals before starting, so a SIGTERM during start-up still stops what started.
  let signalled = (): void => {}
  const signal = new Promise<void>((resolve) => {
    signalled = resolve
  })
  process.once('SIGTERM', signalled)
  process.once('SIGINT', signalled)
  try {
    await startAll(parts.all)
    logger.info('listening', { listen: config.listen, replica: config.replicaId, redis: parts.redis() })
    await signal
  } catch (e) {
    logger.error('cannot start', { step: parts.step(), error: errorMessage(e) })
    return 1
  } finally {
    process.off('SIGTERM', signalled)
    process.off('SIGINT', signalled)
  }
  logger.info('shutting down')
  try {
    await stopAll(parts.all)
  } catch (e) {
    logger.error('shutdown failed', { error: errorMessage(e) })
    return 1
  }
  return 0
}
