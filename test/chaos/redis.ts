// External Redis for the chaos suite (docs/testing.md, "Chaos"): redis-server processes in the
// testbed's wan namespace on its 127.0.0.1, next to the controllers, so nothing listens outside
// the test's namespaces. Persistence as docs/architecture.md recommends: AOF with
// `appendfsync everysec` plus RDB snapshots.
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pollUntil } from '@vpcmesh/common'
import type { Testbed } from '@vpcmesh/testbed'

/** One redis-server (or sentinel) in the wan namespace; `start` again after a kill reuses its dir. */
export class ChaosRedis {
  private child: ChildProcess | undefined
  /** Output of the process, for diagnostics. */
  log = ''

  /**
   * @param conf lines of the config file written to `dir` at each start (after port, bind, dir)
   * @param sentinel run as `redis-server conf --sentinel`
   */
  constructor(
    private readonly tb: Testbed,
    readonly dir: string,
    readonly port: number,
    private readonly conf: readonly string[],
    private readonly sentinel = false,
  ) {}

  /** A server with the recommended persistence, optionally a replica of `replicaOf` (a port). */
  static server(tb: Testbed, dir: string, port: number, replicaOf?: number): ChaosRedis {
    const conf = ['appendonly yes', 'appendfsync everysec', 'save 60 1']
    if (replicaOf !== undefined) conf.push(`replicaof 127.0.0.1 ${replicaOf}`)
    return new ChaosRedis(tb, dir, port, conf)
  }

  /** A sentinel (quorum 1, primary down after 1 s) of the primary on `masterPort`, group mymaster. */
  static sentinel(tb: Testbed, dir: string, port: number, masterPort: number): ChaosRedis {
    const conf = [
      `sentinel monitor mymaster 127.0.0.1 ${masterPort} 1`,
      'sentinel down-after-milliseconds mymaster 1000',
      'sentinel failover-timeout mymaster 5000',
    ]
    return new ChaosRedis(tb, dir, port, conf, true)
  }

  /** `127.0.0.1:port`, as the wan namespace reaches it. */
  get address(): string {
    return `127.0.0.1:${this.port}`
  }

  /** The running process's PID, or undefined. */
  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined
  }

  /** Starts the process and waits until it answers PING. */
  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true })
    const file = join(this.dir, this.sentinel ? 'sentinel.conf' : 'redis.conf')
    // a sentinel rewrites its own file: write it only the first time
    if (!this.sentinel || this.child === undefined) {
      const head = [`port ${this.port}`, 'bind 127.0.0.1', `dir ${this.dir}`, 'loglevel warning']
      writeFileSync(file, `${[...head, ...this.conf].join('\n')}\n`)
    }
    const child = this.tb.spawn(this.tb.wanNs, ['redis-server', file, ...(this.sentinel ? ['--sentinel'] : [])])
    const keep = (b: Buffer): void => {
      this.log = (this.log + b.toString()).slice(-4000)
    }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    this.child = child
    await pollUntil(`redis on port ${this.port} answering`, async () => (await this.cli(['ping'])) === 'PONG', {
      timeoutMs: 15_000,
      intervalMs: 50,
    })
  }

  /** Sends `signal` to the process and waits until it exited. */
  async kill(signal: NodeJS.Signals): Promise<void> {
    if (this.child !== undefined) await this.tb.kill(this.child, signal)
  }

  /** Runs redis-cli against this server; returns its trimmed output ('' when it failed). */
  async cli(args: readonly string[]): Promise<string> {
    const r = await this.tb.exec(this.tb.wanNs, ['redis-cli', '-p', String(this.port), ...args], { allowFail: true })
    return r.code === 0 ? r.stdout.trim() : ''
  }
}
