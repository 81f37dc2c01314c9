/** Knobs of {@link HelloRate}. */
export interface HelloRateOptions {
  /** Hellos per second refilled per client address; 0 disables the limit. */
  perSecond: number
  /** Hellos an address may send at once (bucket size). */
  burst: number
}

/**
 * A token bucket per client address for agent hellos: each hello takes one token, buckets
 * refill at `perSecond` up to `burst`. Memory is bounded by pruning buckets that are full
 * again (a full bucket is the same as no bucket), at most once per refill period.
 */
export class HelloRate {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()
  private lastPrune = 0

  constructor(private readonly o: HelloRateOptions) {}

  /** Takes a token for `address` at `nowMs`; false when its bucket is empty. */
  take(address: string, nowMs: number): boolean {
    if (this.o.perSecond === 0) return true
    const fullAfterMs = (this.o.burst / this.o.perSecond) * 1000
    if (nowMs - this.lastPrune > fullAfterMs) this.prune(nowMs, fullAfterMs)
    const b = this.buckets.get(address) ?? { tokens: this.o.burst, at: nowMs }
    b.tokens = Math.min(this.o.burst, b.tokens + ((nowMs - b.at) / 1000) * this.o.perSecond)
    b.at = nowMs
    this.buckets.set(address, b)
    if (b.tokens < 1) return false
    b.tokens -= 1
    return true
  }

  private prune(nowMs: number, fullAfterMs: number): void {
    this.lastPrune = nowMs
    for (const [k, b] of this.buckets) if (nowMs - b.at >= fullAfterMs) this.buckets.delete(k)
  }
}
