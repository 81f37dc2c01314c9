import { randomUUID } from 'node:crypto'
import type { Clock, TimerHandle } from '@vpcmesh/common'
import type { ProbeOutcome, ProbeResult } from '@vpcmesh/protocol'

/** At most this many probes wait for one agent at once; more are refused at once. */
export const MAX_PENDING_PROBES = 8

/**
 * The probes one session sent and waits for, by id. Each ends exactly once: with the agent's
 * answer, after `timeoutMs` ("agent did not answer"), or when the session closes.
 */
export class PendingProbes {
  private readonly waiting = new Map<string, { done: (o: ProbeOutcome) => void; timer: TimerHandle }>()

  constructor(private readonly clock: Clock) {}

  /**
   * Registers a probe and returns its id and the outcome to await; `send` is called with the
   * id (it sends the frame). Refused at once when {@link MAX_PENDING_PROBES} are waiting.
   */
  start(timeoutMs: number, send: (id: string) => void): Promise<ProbeOutcome> {
    if (this.waiting.size >= MAX_PENDING_PROBES)
      return Promise.resolve({ ok: false, reason: 'too many probes of this agent in flight; retry' })
    const id = randomUUID()
    const outcome = new Promise<ProbeOutcome>((resolve) => {
      const timer = this.clock.setTimeout(() => {
        this.finish(id, { ok: false, reason: `agent did not answer within ${timeoutMs} ms` })
      }, timeoutMs)
      this.waiting.set(id, { done: resolve, timer })
    })
    send(id)
    return outcome
  }

  /** The agent answered probe `id` (an unknown or late id is ignored). */
  answered(id: string, result: ProbeResult | null, error: string | undefined): void {
    this.finish(id, result === null ? { ok: false, reason: `agent: ${error ?? 'no result'}` } : { ok: true, result })
  }

  /** Ends every waiting probe with `reason` (the session closed). */
  closeAll(reason: string): void {
    for (const id of [...this.waiting.keys()]) this.finish(id, { ok: false, reason })
  }

  private finish(id: string, o: ProbeOutcome): void {
    const w = this.waiting.get(id)
    if (w === undefined) return
    this.waiting.delete(id)
    w.timer.cancel()
    w.done(o)
  }
}
