import { type Clock, type Logger, type TimerHandle, errorMessage } from '@vpcmesh/common'
import type { NetMap } from '@vpcmesh/protocol'

/** Applies one map to the host; must be idempotent (applying the same map twice changes nothing). */
export type ApplyFn = (map: NetMap) => Promise<void>

/** Dependencies of the {@link Reconciler}. */
export interface ReconcilerComponents {
  clock: Clock
  logger: Logger
  apply: ApplyFn
  /** Called after a map was applied (persist it, ack its version). */
  onApplied: (map: NetMap, seconds: number) => void
  /** Called after a failed apply (count it); the reconciler retries. */
  onError: (err: unknown) => void
}

/**
 * Coalesces maps and applies them one at a time: while one apply runs, only the newest
 * submitted map is kept. A failed apply is retried after `retryMs` unless a newer map came.
 */
export class Reconciler {
  private pending: NetMap | undefined
  private running = false
  private retry: TimerHandle | undefined
  /** The last map applied successfully. */
  applied: NetMap | undefined
  /** Message of the last failed apply, cleared by a success. */
  lastError: string | undefined

  constructor(
    private readonly c: ReconcilerComponents,
    private readonly retryMs = 2000,
  ) {}

  /** Queues `map` to be applied (replacing any queued one). */
  submit(map: NetMap): void {
    this.pending = map
    this.retry?.cancel()
    if (!this.running) void this.run()
  }

  /**
   * Applies the last applied map again (when nothing else is queued), so that host state
   * changed behind the agent's back (a flushed ruleset, a deleted route) is repaired. Cheap:
   * the router only reads when nothing differs.
   */
  refresh(): void {
    if (!this.running && this.pending === undefined && this.applied !== undefined) this.submit(this.applied)
  }

  /** Stops retries; an apply in progress finishes. */
  stop(): void {
    this.retry?.cancel()
    this.pending = undefined
  }

  private async run(): Promise<void> {
    this.running = true
    while (this.pending !== undefined) {
      const map = this.pending
      this.pending = undefined
      const t0 = this.c.clock.monotonic()
      try {
        await this.c.apply(map)
        this.applied = map
        this.lastError = undefined
        this.c.onApplied(map, (this.c.clock.monotonic() - t0) / 1000)
      } catch (e) {
        this.lastError = errorMessage(e)
        this.c.logger.warn('reconcile failed; retrying', { version: map.version, error: this.lastError })
        this.c.onError(e)
        if (this.pending === undefined)
          this.retry = this.c.clock.setTimeout(() => {
            this.submit(map)
          }, this.retryMs)
      }
    }
    this.running = false
  }
}
