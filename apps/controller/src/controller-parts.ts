import type { FastifyInstance } from 'fastify'
import { type Logger, type Startable, systemClock } from '@vpcmesh/common'
import { prometheusMetrics } from '@vpcmesh/metrics'
import { buildApp } from './app.js'
import type { ControllerConfig } from './config.js'
import { createRedisStore } from './state/redis-store.js'
import type { Store } from './state/store.js'
import { describeTarget, type RedisTarget } from './state/redis-target.js'
import { EmbeddedRedis } from './state/embedded-redis.js'
import { RateLimitRedis } from './state/rate-limit-redis.js'
import type { ProbeBus } from './session/probe-bus.js'
import { createRedisProbeBus } from './session/redis-probe-bus.js'

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
 * sentinels), the Store, the rate limit's Redis connection, the probe relay's Redis
 * connections (`vpcmesh explain`), and the listening app. A failed
 * start undoes its own half-done work (an app that cannot listen is closed) and `startAll`
 * stops exactly the parts started before it, in reverse; every stop is safe without a start.
 * `step()` names the part starting last, for the log; `redis()` the target without secrets.
 */
export function controllerParts(
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
  let probeBus: ProbeBus | undefined
  let app: FastifyInstance | undefined
  /** A part named `what` for the log; a start that fails undoes its own half-done work. */
  const part = (what: () => string, start: () => Promise<void>, stop: () => Promise<void>): Startable => ({
    start: async () => {
      step = what()
      try {
        await start()
      } catch (e) {
        await stop().catch(() => undefined)
        throw e
      }
    },
    stop,
  })
  const all: Startable[] = []
  if (embedded !== undefined)
    all.push(
      part(
        () => `embedded redis-server in ${config.dataDir}`,
        async () => {
          await embedded.start()
        },
        async () => {
          await embedded.stop()
        },
      ),
    )
  all.push(
    part(
      () => `Redis at ${describeTarget(target())}`,
      async () => {
        store = await createRedisStore(
          { logger },
          { target: target(), prefix: config.redisPrefix, changeLogMax: config.changeLogMax },
        )
      },
      async () => {
        await store?.close()
      },
    ),
    part(
      () => `rate limit connection to ${describeTarget(target())}`,
      async () => {
        rateLimitRedis = new RateLimitRedis({ logger }, { target: target() })
        await rateLimitRedis.connect()
      },
      async () => {
        await rateLimitRedis?.close()
      },
    ),
    part(
      () => `probe relay connection to ${describeTarget(target())}`,
      async () => {
        probeBus = await createRedisProbeBus({ logger }, { target: target() })
      },
      async () => {
        await probeBus?.close()
      },
    ),
    part(
      () => `listen on ${config.listen}`,
      async () => {
        app = await buildApp({
          config,
          store: store as Store,
          metrics: prometheusMetrics({ collectDefault: true }),
          logger,
          clock: systemClock,
          tls,
          rateLimitRedis,
          probeBus,
        })
        await app.listen({ host: listen.host, port: listen.port })
      },
      async () => {
        await app?.close()
      },
    ),
  )
  return { all, step: () => step, redis: () => describeTarget(target()) }
}
