import type { Redis } from 'ioredis'
import { type Logger, noopLogger } from '@vpcmesh/common'
import { createRedisClient, type RedisTarget } from './redis-target.js'

/** Knobs of {@link RateLimitRedis}. */
export interface RateLimitRedisOptions {
  /** Where Redis is: the same target as the Store's. */
  target: RedisTarget
  /** Per-command timeout, ms: a request waits at most this long for its count. @default 500 */
  commandTimeoutMs?: number
  /** How long {@link RateLimitRedis.connect} waits for the connection, ms. @default 10000 */
  connectTimeoutMs?: number
}

/**
 * The dedicated Redis connection of the REST rate limit (`@fastify/rate-limit`'s Redis store),
 * next to the Store's own connections, so every replica counts in the same Redis keys. While
 * Redis is unreachable its commands fail at once (no offline queue, no retries) or after
 * `commandTimeoutMs`, and the limiter lets the request through (fail-open, see
 * docs/operations.md); ioredis reconnects by itself until close().
 */
export class RateLimitRedis {
  /** The ioredis client for the plugin's `redis` option; owned by this object. */
  readonly client: Redis
  private readonly log: Logger
  private readonly connectTimeoutMs: number
  private closing = false

  constructor(components: { logger?: Logger }, options: RateLimitRedisOptions) {
    this.log = (components.logger ?? noopLogger).child('rate-limit')
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000
    this.client = createRedisClient(options.target, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 500,
      retryStrategy: (times: number) => Math.min(100 * times, 2000),
    })
    this.client.on('error', (e: Error) => {
      this.log.debug('redis error', { error: e.message })
    })
    // As for the Store's connections: never give the connection up before close().
    this.client.on('end', () => {
      if (!this.closing)
        setTimeout(() => {
          if (!this.closing) this.client.connect().catch(() => undefined)
        }, 500).unref()
    })
  }

  /** Connects; fails after connectTimeoutMs (the caller then close()s). */
  async connect(): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`rate-limit connection to Redis not ready within ${this.connectTimeoutMs} ms`))
      }, this.connectTimeoutMs)
    })
    const ready = this.client.connect()
    ready.catch(() => undefined)
    try {
      await Promise.race([ready, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  /** Drops the connection; safe to call more than once and before connect(). */
  async close(): Promise<void> {
    this.closing = true
    this.client.disconnect()
  }
}
