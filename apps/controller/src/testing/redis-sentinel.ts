import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import {
  freePort,
  launchRedis,
  startRedisServer,
  stopStale,
  writeConf,
  type RedisServer,
  type RedisServerOptions,
} from '../state/redis-server.js'

/** Options of {@link startRedisReplica}: a server's, plus the primary to follow. */
export interface RedisReplicaOptions extends RedisServerOptions {
  /**
   * Port of the primary on 127.0.0.1 (`replicaof`); with `password`, the primary must have the
   * same one (written as `masterauth`).
   */
  replicaOf: number
}

/** Options of {@link startRedisSentinel}. */
export interface RedisSentinelOptions {
  /** Directory of the generated sentinel.conf, which the sentinel rewrites (created if missing). */
  dir: string
  /** Port of the primary to monitor, on 127.0.0.1. */
  masterPort: number
  /** Master group name. @default 'mymaster' */
  name?: string
  /** TCP port on 127.0.0.1. @default a free port */
  port?: number
  /** Sentinels that must agree the primary is down. @default 1 */
  quorum?: number
  /** Silence after which the primary counts as down, ms. @default 1000 */
  downAfterMs?: number
  /** Failover timeout, ms (also spaces out failovers of one group). @default 5000 */
  failoverTimeoutMs?: number
  /** AUTH password of the primary and replicas (`sentinel auth-pass`). @default none */
  masterPassword?: string
  /** Path of the binary. @default 'redis-server' */
  binary?: string
  /** Wait this long for the sentinel to answer PING, ms. @default 10000 */
  timeoutMs?: number
}

/** Name of the pid file of a sentinel in its directory. */
const SENTINEL_PIDFILE = 'redis-sentinel.pid'

/**
 * Starts redis-server as a replica of the primary on 127.0.0.1:`replicaOf`, like
 * `startRedisServer` otherwise, and resolves once it answers PING (not once it is in sync).
 * The caller owns the process: call stop().
 */
export async function startRedisReplica(opts: RedisReplicaOptions): Promise<RedisServer> {
  const auth = opts.password === undefined ? [] : [`masterauth ${opts.password}`]
  return await startRedisServer({
    ...opts,
    conf: [...auth, `replicaof 127.0.0.1 ${opts.replicaOf}`, ...(opts.conf ?? [])],
  })
}

/**
 * Starts a Redis Sentinel (`redis-server sentinel.conf --sentinel`) on 127.0.0.1 that monitors
 * the primary on 127.0.0.1:`masterPort` as group `name`, and resolves once it answers PING. The
 * generated sentinel.conf in `dir` is the sentinel's own (it rewrites it with what it learns).
 * The caller owns the process: call stop().
 */
export async function startRedisSentinel(opts: RedisSentinelOptions): Promise<RedisServer> {
  mkdirSync(opts.dir, { recursive: true })
  const port = opts.port ?? (await freePort())
  await stopStale(opts.dir, SENTINEL_PIDFILE)
  const name = opts.name ?? 'mymaster'
  const conf = join(opts.dir, 'sentinel.conf')
  writeConf(conf, [
    `port ${port}`,
    'bind 127.0.0.1',
    `dir ${opts.dir}`,
    `pidfile ${join(opts.dir, SENTINEL_PIDFILE)}`,
    'daemonize no',
    'loglevel warning',
    `sentinel monitor ${name} 127.0.0.1 ${opts.masterPort} ${opts.quorum ?? 1}`,
    `sentinel down-after-milliseconds ${name} ${opts.downAfterMs ?? 1000}`,
    `sentinel failover-timeout ${name} ${opts.failoverTimeoutMs ?? 5000}`,
    ...(opts.masterPassword === undefined ? [] : [`sentinel auth-pass ${name} ${opts.masterPassword}`]),
  ])
  return await launchRedis({
    what: 'redis sentinel',
    binary: opts.binary,
    args: [conf, '--sentinel'],
    port,
    url: `redis://127.0.0.1:${port}`,
    timeoutMs: opts.timeoutMs,
  })
}
