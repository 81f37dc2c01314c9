import { type Clock, type Logger, type TimerHandle, errorMessage } from '@vpcmesh/common'
import type { AgentRecord, AgentStatusStore } from '../state/store.js'

/**
 * Coalesces agent status updates (acks, status reports, last-seen) and writes them to the
 * store in one pipeline every `intervalMs`, so hundreds of agents acking a version cost one
 * round trip, not hundreds. Later fields for the same agent overwrite earlier ones.
 */
export class StatusWriter {
  private pending = new Map<string, Partial<AgentRecord>>()
  private timer: TimerHandle | undefined
  private flushing: Promise<void> = Promise.resolve()

  constructor(
    private readonly c: { store: AgentStatusStore; clock: Clock; logger: Logger },
    private readonly intervalMs = 100,
  ) {}

  /** Queues fields for `id`; written within `intervalMs`. */
  put(id: string, fields: Partial<AgentRecord>): void {
    this.pending.set(id, { ...this.pending.get(id), ...fields })
    this.timer ??= this.c.clock.setTimeout(() => {
      this.timer = undefined
      void this.flush()
    }, this.intervalMs)
  }

  /** Drops queued fields of `id` (its VPC is gone). */
  forget(id: string): void {
    this.pending.delete(id)
  }

  /** Writes everything queued now. */
  async flush(): Promise<void> {
    const batch = this.pending
    this.pending = new Map()
    this.flushing = this.flushing
      .then(async () => {
        await this.c.store.updateAgents(batch)
      })
      .catch((e: unknown) => {
        this.c.logger.warn('agent status write failed', { agents: batch.size, error: errorMessage(e) })
      })
    await this.flushing
  }

  /** Cancels the timer and writes what is queued. */
  async stop(): Promise<void> {
    this.timer?.cancel()
    this.timer = undefined
    await this.flush()
  }
}
