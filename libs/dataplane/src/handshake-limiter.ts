/**
 * Limits handshake initiations before any Diffie-Hellman work is spent on them. Callers
 * check length and mac1 first, so junk never reaches here. Two token buckets:
 *
 * - the global bucket meters every mac1-valid initiation; below half of its burst the
 *   responder is "under load" and requires a cookie (mac2) before doing anything else;
 * - a bucket per source, keyed by the IPv4 address or the IPv6 /64 (port ignored: an
 *   attacker can vary it, and one host usually owns a whole /64), that every initiation
 *   processed must also pass.
 *
 * Memory is bounded: past `maxSources` tracked sources, full buckets (idle sources) are
 * forgotten first, then the oldest.
 */
import { sourceKey } from './source-address.js'

/** A token bucket's shape: sustained `rate` per second, up to `burst` at once. */
export interface RateShape {
  rate: number
  burst: number
}

interface Bucket {
  tokens: number
  at: number
}

/** Default per-source shape: 10 initiations per second, bursts of 20. */
export const PER_SOURCE_LIMIT: RateShape = Object.freeze({ rate: 10, burst: 20 })
/** Default global shape: 500 initiations per second, bursts of 1000 (under load below 500 tokens). */
export const GLOBAL_LIMIT: RateShape = Object.freeze({ rate: 500, burst: 1000 })

/** Token buckets for initiations: one global load meter and one per source. */
export class HandshakeLimiter {
  private readonly sources = new Map<string, Bucket>()
  private readonly all: Bucket

  constructor(
    private readonly perSource: RateShape = PER_SOURCE_LIMIT,
    private readonly global: RateShape = GLOBAL_LIMIT,
    private readonly maxSources = 4096,
  ) {
    this.all = { tokens: global.burst, at: 0 }
  }

  /**
   * Meters one mac1-valid initiation at `nowMs` (monotonic ms) and says whether the responder
   * is under load: true when the global bucket, after this charge, holds less than half its
   * burst. A caller under load must not do DH work for an initiation without a valid mac2.
   */
  meter(nowMs: number): boolean {
    refill(this.all, this.global, nowMs)
    this.all.tokens = Math.max(0, this.all.tokens - 1)
    return this.all.tokens < this.global.burst / 2
  }

  /** True (and one token charged) when the source bucket of `address` has a token at `nowMs`. */
  allow(address: string, nowMs: number): boolean {
    const key = sourceKey(address)
    let b = this.sources.get(key)
    if (b === undefined) {
      if (this.sources.size >= this.maxSources) this.prune(nowMs)
      b = { tokens: this.perSource.burst, at: nowMs }
      this.sources.set(key, b)
    }
    refill(b, this.perSource, nowMs)
    if (b.tokens < 1) return false
    b.tokens -= 1
    return true
  }

  /** Number of sources tracked. */
  get size(): number {
    return this.sources.size
  }

  private prune(nowMs: number): void {
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

function refill(b: Bucket, shape: RateShape, nowMs: number): void {
  if (nowMs > b.at) b.tokens = Math.min(shape.burst, b.tokens + ((nowMs - b.at) / 1000) * shape.rate)
  b.at = Math.max(b.at, nowMs)
}
