/**
 * The native replay window (native/replay_window.cc, RFC 6479) ported to TypeScript for
 * the fake engine: same ring size, same window, same answers.
 */
const WORD_BITS = 64n
const RING_WORDS = 128
const INDEX_MASK = BigInt(RING_WORDS - 1)

/** Counters at or above this are never sent nor accepted (WireGuard's REJECT_AFTER_MESSAGES). */
export const REJECT_AFTER_MESSAGES = 2n ** 64n - 2n ** 13n - 1n

/** A sliding anti-replay window over 64-bit counters. */
export class ReplayWindow {
  /** Counters this far behind the newest (or more) are rejected as too old. */
  static readonly SIZE = (RING_WORDS - 1) * 64
  private top = 0n
  private readonly ring = new BigUint64Array(RING_WORDS)

  /** The newest counter recorded (0 before any). */
  get newest(): bigint {
    return this.top
  }

  /** True if `counter` is neither seen nor too old. Does not record it. */
  check(counter: bigint): boolean {
    if (counter >= REJECT_AFTER_MESSAGES) return false
    if (counter > this.top) return true
    if (this.top - counter >= BigInt(ReplayWindow.SIZE)) return false
    const word = this.ring[Number((counter / WORD_BITS) & INDEX_MASK)] ?? 0n
    return (word & (1n << (counter % WORD_BITS))) === 0n
  }

  /** Records `counter` (precondition: check(counter) was true). */
  mark(counter: bigint): void {
    const index = counter / WORD_BITS
    if (counter > this.top) {
      const current = this.top / WORD_BITS
      let diff = index - current
      if (diff > BigInt(RING_WORDS)) diff = BigInt(RING_WORDS)
      for (let i = 1n; i <= diff; i++) this.ring[Number((current + i) & INDEX_MASK)] = 0n
      this.top = counter
    }
    const at = Number(index & INDEX_MASK)
    this.ring[at] = (this.ring[at] ?? 0n) | (1n << (counter % WORD_BITS))
  }
}
