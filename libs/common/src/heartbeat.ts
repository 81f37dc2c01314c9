import type { Clock, TimerHandle } from './clock.js'

/** What a {@link Heartbeat} does on each tick. */
export interface HeartbeatHandlers {
  /** Called on a tick while the peer was heard recently; send a ping carrying `id` (1, 2, 3, ...). */
  ping(id: number): void
  /** Called on a tick when the peer was silent for more than `missed` intervals; the heartbeat stops. */
  silent(): void
}

/** Knobs of a {@link Heartbeat}. */
export interface HeartbeatOptions {
  /** Intervals of silence after which the peer counts as gone. @default 3 */
  missed?: number
}

/**
 * The liveness check of one connection, the same on both ends of the control channel: every
 * interval, a peer heard from within `missed` intervals gets a ping; a peer silent for longer
 * is reported once through `silent` and the ticking stops. Time comes from the injected
 * {@link Clock}. Ping ids keep counting across `start` calls.
 */
export class Heartbeat {
  private heardAt: number
  private timer: TimerHandle | undefined
  private pingId = 0
  private readonly missed: number

  constructor(
    private readonly clock: Clock,
    private readonly handlers: HeartbeatHandlers,
    options: HeartbeatOptions = {},
  ) {
    this.heardAt = clock.now()
    this.missed = options.missed ?? 3
  }

  /** When the peer was last heard from (clock ms). */
  get lastHeard(): number {
    return this.heardAt
  }

  /** Records that the peer was heard from now. */
  heard(): void {
    this.heardAt = this.clock.now()
  }

  /** Starts ticking every `intervalMs`, replacing any earlier ticking. */
  start(intervalMs: number): void {
    this.stop()
    this.timer = this.clock.setInterval(() => {
      this.tick(intervalMs)
    }, intervalMs)
  }

  /** Stops ticking; safe to call more than once. */
  stop(): void {
    this.timer?.cancel()
    this.timer = undefined
  }

  private tick(intervalMs: number): void {
    if (this.clock.now() - this.heardAt > this.missed * intervalMs) {
      this.stop()
      this.handlers.silent()
      return
    }
    this.handlers.ping(++this.pingId)
  }
}
