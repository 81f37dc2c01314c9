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
  /** More redis.conf lines, written to the same 0600 file (e.g. `replicaof`). @default none */
  conf?: readonly string[]
}

/** Name of the pid file redis-server writes in its data directory. */
const PIDFILE = 'redis-server.pid'

/**
 * Stops a redis-server left running on `dir` by an earlier owner that died without stopping
 * it (e.g. a SIGKILLed controller), so two servers never write the same AOF. Only a process
 * whose command line is redis-server and whose pid is in the directory's pid file is touched.
 */
export async function stopStale(dir: string, pidfile = PIDFILE): Promise<void> {
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
 * `dir`, and resolves once it answers PING.
 * Throws with the server's output when it exits or does not answer in time. The caller owns
 * the process: call stop().
 */
export async function startRedisServer(opts: RedisServerOptions): Promise<RedisServer> {
  mkdirSync(opts.dir, { recursive: true })
  const port = opts.port ?? (await freePort())
  await stopStale(opts.dir)
  const conf = join(opts.dir, 'redis.conf')
  writeConf(conf, [...(opts.password === undefined ? [] : [`requirepass ${opts.password}`]), ...(opts.conf ?? [])])
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
  ]
  const url =
    opts.password === undefined
      ? `redis://127.0.0.1:${port}`
      : `redis://:${encodeURIComponent(opts.password)}@127.0.0.1:${port}`
  return await launchRedis({
    what: 'redis-server',
    binary: opts.binary,
    args,
    port,
    url,
    timeoutMs: opts.timeoutMs,
    onExit: opts.onExit,
  })
}

/** Writes a config file only its owner can read (it may hold passwords). */
export function writeConf(path: string, lines: string[]): void {
  writeFileSync(path, lines.map((l) => `${l}\n`).join(''), { mode: 0o600 })
  chmodSync(path, 0o600)
}

/** Spawns `binary args`, waits for PING on `url`, and returns the owned process. */
export async function launchRedis(o: {
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
