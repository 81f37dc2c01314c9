/**
 * Drop accounting: why packets were dropped, as a fixed list (the `reason` label of
 * `vpcmesh_agent_drops_total`). The hot loops add to a typed array by index; the counts go to
 * the metric once per batch or tick, so no label object is built per packet.
 */
import type { Counter } from '@vpcmesh/metrics'

/**
 * Every drop reason. TypeScript decides: no_route, no_session (also the engine's slot
 * without a session), malformed, spoofed_source, handshake_invalid, handshake_replay,
 * unknown_peer, handshake_rate_limited, handshake_bad_mac1, handshake_cookie_required.
 * Engine counters mapped to a reason: no_endpoint, auth_failure, replay, unknown_index,
 * oversize, send_error, recv_error, tun_write_error, event_queue_full (a forwarding engine's
 * report for the JS thread, e.g. a handshake datagram, lost to a full queue) (per-slot counters in slots.ts, the
 * engine-wide ones in timers.ts); on a forwarding engine (packet workers) also no_route,
 * no_session, malformed and spoofed_source, which its workers decide from our tables.
 */
export const DROP_REASONS = [
  'no_route',
  'no_session',
  'no_endpoint',
  'malformed',
  'spoofed_source',
  'auth_failure',
  'replay',
  'unknown_index',
  'oversize',
  'send_error',
  'recv_error',
  'tun_write_error',
  'handshake_invalid',
  'handshake_replay',
  'unknown_peer',
  'handshake_rate_limited',
  'handshake_bad_mac1',
  'handshake_cookie_required',
  'event_queue_full',
] as const

/** One of {@link DROP_REASONS}. */
export type DropReason = (typeof DROP_REASONS)[number]

/** Index of each reason in {@link DROP_REASONS}, for the hot loops. */
export const Drop = Object.fromEntries(DROP_REASONS.map((r, i) => [r, i])) as { readonly [R in DropReason]: number }

/** Pending and total drop counts by reason. */
export class DropCounter {
  private readonly pending = new Float64Array(DROP_REASONS.length)
  private readonly total = new Float64Array(DROP_REASONS.length)
  private readonly labels = DROP_REASONS.map((reason) => ({ reason }))
  private readonly metric: Counter

  constructor(metric: Counter) {
    this.metric = metric
  }

  /** Counts `n` drops of reason index `reason` (a {@link Drop} value). Never throws. */
  add(reason: number, n = 1): void {
    this.pending[reason] = (this.pending[reason] ?? 0) + n
  }

  /** Moves pending counts into the metric and the totals. */
  flush(): void {
    for (let i = 0; i < this.pending.length; i++) {
      const n = this.pending[i] ?? 0
      if (n === 0) continue
      this.pending[i] = 0
      this.total[i] = (this.total[i] ?? 0) + n
      const labels = this.labels[i]
      if (labels !== undefined) this.metric.inc(labels, n)
    }
  }

  /** Totals by reason since creation (flushes first). */
  totals(): Record<DropReason, number> {
    this.flush()
    return Object.fromEntries(DROP_REASONS.map((r, i) => [r, this.total[i] ?? 0])) as Record<DropReason, number>
  }
}
