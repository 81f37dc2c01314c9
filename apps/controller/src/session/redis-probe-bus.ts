import type { Redis } from 'ioredis'
import { type Logger, noopLogger } from '@vpcmesh/common'
import { createRedisClient, type RedisTarget } from '../state/redis-target.js'
import type { ProbeBus } from './probe-bus.js'

/** Knobs of {@link createRedisProbeBus}. */
export interface RedisProbeBusOptions {
  /** Where Redis is: the same target as the Store's. */
  target: RedisTarget
  /** Per-command timeout of publish and subscribe, ms. @default 2000 */
  commandTimeoutMs?: number
}

/**
 * A {@link ProbeBus} over Redis pub/sub: one connection publishes, one (in subscriber mode)
 * receives. Both reconnect by themselves; ioredis re-subscribes after a reconnect. Messages
 * published while a subscriber is cut off are lost, which a probe sees as a timeout.
 */
class RedisProbeBus implements ProbeBus {
  private readonly pub: Redis
  private readonly sub: Redis
  private readonly handlers = new Map<string, (message: string) => void>()

  constructor(log: Logger, o: RedisProbeBusOptions) {
    const opts = {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      commandTimeout: o.commandTimeoutMs ?? 2000,
      retryStrategy: (times: number) => Math.min(100 * times, 2000),
    }
    this.pub = createRedisClient(o.target, opts)
    this.sub = createRedisClient(o.target, opts)
    for (const c of [this.pub, this.sub])
      c.on('error', (e: Error) => {
        log.debug('probe bus redis error', { error: e.message })
      })
    this.sub.on('message', (channel: string, message: string) => {
      this.handlers.get(channel)?.(message)
    })
  }

  async connect(): Promise<void> {
    await Promise.all([this.pub.connect(), this.sub.connect()])
  }

  async publish(channel: string, message: string): Promise<number> {
    return await this.pub.publish(channel, message)
  }

  async subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>> {
    this.handlers.set(channel, handler)
    await this.sub.subscribe(channel)
    return async () => {
      this.handlers.delete(channel)
      await this.sub.unsubscribe(channel).catch(() => undefined)
    }
  }

  async close(): Promise<void> {
    this.handlers.clear()
    this.pub.disconnect()
    this.sub.disconnect()
  }
}

/** Creates and connects the Redis probe bus; rejects (with nothing left open) when Redis cannot be reached. */
export async function createRedisProbeBus(
  components: { logger?: Logger },
  options: RedisProbeBusOptions,
): Promise<ProbeBus> {
  const bus = new RedisProbeBus((components.logger ?? noopLogger).child('probe-bus'), options)
  try {
    await bus.connect()
  } catch (e) {
    await bus.close()
    throw e
  }
  return bus
}
