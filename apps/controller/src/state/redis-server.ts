import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { pollUntil } from '@vpcmesh/common'

/** A redis-server process (a server, a replica or a sentinel) this controller or a test started and owns. */
export interface RedisServer {
  /** redis://127.0.0.1:PORT (with the password, if any) */
  readonly url: string
  readonly port: number
  readonly pid: number
  /** Stops the process (SIGTERM, then SIGKILL after 5 s); resolves when it exited. */
  stop(): Promise<void>
}

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /** Data directory for AOF and RDB files (created if missing). */
  dir: string
  /** TCP port on 127.0.0.1. @default a free port */
  port?: number
  /** Path of the binary. @default 'redis-server' */
  binary?: string
  /** Wait this long for the server to answer PING, ms. @default 10000 */
  timeoutMs?: number
  /** Called if the process exits without stop() having been called. */
  onExit?: () => void
  /**
   * Password clients must give (AUTH). Written to a 0600 config file in `dir`, never put on
   * the command line (which every local user can read). @default none
   */
  password?: string
  /**
   * Start as a replica of the primary on 127.0.0.1:`replicaOf` (`--replicaof`); with
   * `password`, the primary must have the same one (written as `masterauth`). @default a primary
   */
  replicaOf?: number
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

/** Name of the pid file redis-server writes in its data directory. */
const PIDFILE = 'redis-server.pid'
/** Name of the pid file of a sentinel in its directory. */
const SENTINEL_PIDFILE = 'redis-sentinel.pid'

/**
 * Stops a redis-server left running on `dir` by an earlier owner that died without stopping
 * it (e.g. a SIGKILLed controller), so two servers never write the same AOF. Only a process
 * whose command line is redis-server and whose pid is in the directory's pid file is touched.
 */
async function stopStale(dir: string, pidfile = PIDFILE): Promise<void> {
  let pid: number
  try {
    pid = Number(readFileSync(join(dir, pidfile), 'utf8').trim())
  } catch {
    return
  }
  if (!Number.isInteger(pid) || pid <= 1) return
  let cmd = ''
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
  } catch {
    return
  }
  if (!cmd.startsWith('redis-server')) return
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    return
  }
  await pollUntil(`stale redis-server ${pid} gone`, () => !existsSync(`/proc/${pid}`), { timeoutMs: 5000 })
}

/** Finds a free TCP port on 127.0.0.1 by binding port 0. */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      srv.close(() => {
        typeof addr === 'object' && addr !== null ? resolve(addr.port) : reject(new Error('no port'))
      })
    })
  })
}

/**
 * Starts redis-server on 127.0.0.1 with persistence (AOF every second plus RDB snapshots) in
 * `dir`, as a primary or (with `replicaOf`) a replica, and resolves once it answers PING.
 * Throws with the server's output when it exits or does not answer in time. The caller owns
 * the process: call stop().
 */
export async function startRedisServer(opts: RedisServerOptions): Promise<RedisServer> {
  mkdirSync(opts.dir, { recursive: true })
  const port = opts.port ?? (await freePort())
  await stopStale(opts.dir)
  const conf = join(opts.dir, 'redis.conf')
  const lines =
    opts.password === undefined
      ? []
      : [`requirepass ${opts.password}`, ...(opts.replicaOf === undefined ? [] : [`masterauth ${opts.password}`])]
  writeConf(conf, lines)
  const args = [
    conf,
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    opts.dir,
    '--pidfile',
    join(opts.dir, PIDFILE),
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--save',
    '60 1',
    '--protected-mode',
    'yes',
    '--daemonize',
    'no',
    '--loglevel',
    'warning',
    ...(opts.replicaOf === undefined ? [] : ['--replicaof', '127.0.0.1', String(opts.replicaOf)]),
  ]
  const url =
    opts.password === undefined
      ? `redis://127.0.0.1:${port}`
      : `redis://:${encodeURIComponent(opts.password)}@127.0.0.1:${port}`
  return await launch({
    what: 'redis-server',
    binary: opts.binary,
    args,
    port,
    url,
    timeoutMs: opts.timeoutMs,
    onExit: opts.onExit,
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
  return await launch({
    what: 'redis sentinel',
    binary: opts.binary,
    args: [conf, '--sentinel'],
    port,
    url: `redis://127.0.0.1:${port}`,
    timeoutMs: opts.timeoutMs,
  })
}

/** Writes a config file only its owner can read (it may hold passwords). */
function writeConf(path: string, lines: string[]): void {
  writeFileSync(path, lines.map((l) => `${l}\n`).join(''), { mode: 0o600 })
  chmodSync(path, 0o600)
}

/** Spawns `binary args`, waits for PING on `url`, and returns the owned process. */
async function launch(o: {
  what: string
  binary: string | undefined
  args: string[]
  port: number
  url: string
  timeoutMs: number | undefined
  onExit?: (() => void) | undefined
}): Promise<RedisServer> {
  const child = spawn(o.binary ?? 'redis-server', o.args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout?.on('data', (b: Buffer) => {
    output += b.toString()
  })
  child.stderr?.on('data', (b: Buffer) => {
    output += b.toString()
  })
  let stopping = false
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve()
      if (!stopping) o.onExit?.()
    })
  })
  const spawnError = new Promise<never>((_resolve, reject) => {
    child.once('error', reject)
  })
  try {
    await Promise.race([waitForPing(o.url, o.timeoutMs ?? 10_000, child), spawnError])
  } catch (e) {
    stopping = true
    child.kill('SIGKILL')
    throw new Error(
      `${o.what} did not start on port ${o.port}: ${(e as Error).message}; output: ${output.trim().slice(0, 500)}`,
    )
  }
  return {
    url: o.url,
    port: o.port,
    pid: child.pid as number,
    stop: async () => {
      stopping = true
      await stopChild(child, exited)
    },
  }
}

async function waitForPing(url: string, timeoutMs: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`)
    const c = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
    })
    c.on('error', () => {})
    try {
      await c.connect()
      if ((await c.ping()) === 'PONG') {
        c.disconnect()
        return
      }
    } catch {
      /* not up yet */
    }
    c.disconnect()
    if (Date.now() > deadline) throw new Error(`no answer within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  const killer = setTimeout(() => {
    child.kill('SIGKILL')
  }, 5000)
  await exited
  clearTimeout(killer)
}
