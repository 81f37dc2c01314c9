/** A token bucket's shape: sustained `rate` per second, up to `burst` at once. */
export interface RateShape {
  rate: number
  burst: number
}

interface Bucket { tokens: number, at: number }

/**
 * Limits handshake initiations before any Diffie-Hellman work is spent on them: a token
 * bucket per source address (port ignored: an attacker can vary it) and one for all sources.
 * An initiation needs one token from both. Memory is bounded: past `maxSources` tracked
 * addresses, full buckets (idle sources) are forgotten first, then the oldest.
 */
export class HandshakeLimiter {
  private readonly sources = new Map<string, Bucket>()
  private readonly all: Bucket

  constructor (
    private readonly perSource: RateShape = { rate: 10, burst: 20 },
    private readonly global: RateShape = { rate: 500, burst: 1000 },
    private readonly maxSources = 4096
  ) {
    this.all = { tokens: global.burst, at: 0 }
  }

  /** True when an initiation from `address` at `nowMs` (monotonic ms) may be processed. */
  allow (address: string, nowMs: number): boolean {
    let b = this.sources.get(address)
    if (b === undefined) {
      if (this.sources.size >= this.maxSources) this.prune(nowMs)
      b = { tokens: this.perSource.burst, at: nowMs }
      this.sources.set(address, b)
    }
    refill(b, this.perSource, nowMs)
    refill(this.all, this.global, nowMs)
    if (b.tokens < 1 || this.all.tokens < 1) return false
    b.tokens -= 1
    this.all.tokens -= 1
    return true
  }

  /** Number of source addresses tracked. */
  get size (): number { return this.sources.size }

  private prune (nowMs: number): void {
    for (const [k, b] of this.sources) {
      refill(b, this.perSource, nowMs)
      if (b.tokens >= this.perSource.burst) this.sources.delete(k)
    }
    while (this.sources.size >= this.maxSources) {
      const oldest = this.sources.keys().next().value
      if (oldest === undefined) break
      this.sources.delete(oldest)
    }
  }
}

function refill (b: Bucket, shape: RateShape, nowMs: number): void {
  if (nowMs > b.at) b.tokens = Math.min(shape.burst, b.tokens + ((nowMs - b.at) / 1000) * shape.rate)
  b.at = Math.max(b.at, nowMs)
}
