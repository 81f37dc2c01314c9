import { Redis, type RedisOptions } from 'ioredis'

/** A Sentinel's (or any Redis node's) TCP address. */
export interface HostPort {
  readonly host: string
  readonly port: number
}

/** One Redis server (or a proxy that follows the primary), by URL. */
export interface UrlTarget {
  /** redis://[user:password@]host:port[/db] or rediss://… */
  readonly url: string
}

/**
 * A Redis primary found through Sentinel: clients ask the sentinels for the current primary of
 * group `name`, connect only to a node whose ROLE is master, and ask again after a failover.
 */
export interface SentinelTarget {
  /** Sentinels to ask, in order; one reachable is enough. Must not be empty. */
  readonly sentinels: readonly HostPort[]
  /** Master group name of `sentinel monitor NAME …`. */
  readonly name: string
  /** AUTH password of the primary and replicas. @default none */
  readonly password?: string
  /** AUTH password of the sentinels themselves. @default none */
  readonly sentinelPassword?: string
}

/** Where the controller's Redis is: a URL, or a Sentinel group. */
export type RedisTarget = UrlTarget | SentinelTarget

/** The connection knobs shared by every target (ioredis option names). */
export type ConnectionOptions = Pick<
  RedisOptions,
  | 'lazyConnect'
  | 'enableOfflineQueue'
  | 'maxRetriesPerRequest'
  | 'commandTimeout'
  | 'retryStrategy'
  | 'connectTimeout'
  | 'autoResendUnfulfilledCommands'
>

/** Retry delay while no sentinel answers, ms: 100, 200, … capped at 2 s. Never gives up. */
function sentinelRetry(times: number): number {
  return Math.min(100 * times, 2000)
}

/**
 * A new ioredis client for `target` with `opts`. In Sentinel mode the client resolves the
 * primary on every (re)connect, drops a connection that answers READONLY (a demoted primary)
 * so it asks again, and listens for `+switch-master` on the sentinels to leave an old primary
 * that is still up. The caller owns the client: add an 'error' listener and disconnect() it.
 */
export function createRedisClient(target: RedisTarget, opts: ConnectionOptions): Redis {
  if ('url' in target) return new Redis(target.url, opts)
  return new Redis({
    ...opts,
    // ioredis keeps and extends its own list; never hand it the (frozen) config objects.
    sentinels: target.sentinels.map((s) => ({ host: s.host, port: s.port })),
    name: target.name,
    role: 'master',
    password: target.password,
    sentinelPassword: target.sentinelPassword,
    sentinelRetryStrategy: sentinelRetry,
    reconnectOnError: (e: Error) => e.message.startsWith('READONLY'),
  })
}

/** The target for logs: the URL without its password, or the sentinels and group name. */
export function describeTarget(target: RedisTarget): string {
  if ('url' in target) return target.url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@')
  return `sentinel group ${target.name} via ${target.sentinels.map(formatHostPort).join(',')}`
}

/** host:port, with brackets around an IPv6 host. */
export function formatHostPort(a: HostPort): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`
}
