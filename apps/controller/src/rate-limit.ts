/**
 * A fixed-window request limiter per client address. `allow(key, nowMs)` returns false once
 * `perMinute` requests were allowed in the current minute. Memory is bounded by pruning
 * windows that ended. `perMinute` 0 allows everything.
 */
export class RateLimiter {
  private windows = new Map<string, { start: number; count: number }>()
  private lastPrune = 0

  constructor(private readonly perMinute: number) {}

  allow(key: string, nowMs: number): boolean {
    if (this.perMinute === 0) return true
    if (nowMs - this.lastPrune > 60_000) this.prune(nowMs)
    const w = this.windows.get(key)
    if (w === undefined || nowMs - w.start >= 60_000) {
      this.windows.set(key, { start: nowMs, count: 1 })
      return true
    }
    w.count++
    return w.count <= this.perMinute
  }

  private prune(nowMs: number): void {
    this.lastPrune = nowMs
    for (const [k, w] of this.windows) if (nowMs - w.start >= 60_000) this.windows.delete(k)
  }
}
