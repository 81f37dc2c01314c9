import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { Backoff, type Clock, type Logger, type TimerHandle, errorMessage } from '@vpcmesh/common'
import { startRedisServer, freePort, type RedisServer } from './redis-server.js'

/** True when `binary` can be executed (`--version` succeeds). */
export function hasRedisServer(binary = 'redis-server'): boolean {
  const r = spawnSync(binary, ['--version'], { stdio: 'ignore' })
  return r.error === undefined && r.status === 0
}

/**
 * A redis-server the controller runs itself when REDIS_URL is unset: 127.0.0.1 only, AOF
 * persistence in `dir`, restarted on the same port (with backoff) if it exits. For one
 * controller replica; replicas must share an external Redis.
 */
export class EmbeddedRedis {
  private server: RedisServer | undefined
  private port = 0
  private stopped = false
  private timer: TimerHandle | undefined
  private readonly backoff = new Backoff({ initialMs: 200, maxMs: 10_000 })
  /** Random per controller start; only this process knows it. */
  private readonly password = randomBytes(24).toString('hex')

  constructor(
    private readonly c: { logger: Logger; clock: Clock },
    private readonly o: { dir: string; binary?: string },
  ) {}

  /** redis://:PASSWORD@127.0.0.1:PORT once started (contains the password: never log it). */
  get url(): string {
    return `redis://:${this.password}@127.0.0.1:${this.port}`
  }

  async start(): Promise<void> {
    this.port = await freePort()
    await this.launch()
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.timer?.cancel()
    await this.server?.stop()
  }

  private async launch(): Promise<void> {
    this.server = await startRedisServer({
      dir: this.o.dir,
      port: this.port,
      binary: this.o.binary,
      password: this.password,
      onExit: () => {
        this.exited()
      },
    })
    this.c.logger.info('embedded redis-server started', { port: this.port, dir: this.o.dir, pid: this.server.pid })
  }

  private exited(): void {
    if (this.stopped) return
    const delay = this.backoff.next()
    this.c.logger.error('embedded redis-server exited; restarting', { inMs: delay })
    this.timer = this.c.clock.setTimeout(() => {
      this.launch().then(
        () => {
          this.backoff.reset()
        },
        (e: unknown) => {
          this.c.logger.error('embedded redis-server restart failed', { error: errorMessage(e) })
          this.exited()
        },
      )
    }, delay)
  }
}
