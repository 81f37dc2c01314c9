/**
 * mulberry32: a tiny seeded PRNG (public domain, Tommy Ettinger). Fast and good enough for
 * randomized tests and benchmarks; not for anything secret.
 */

/** A seeded source of random numbers; the same seed gives the same sequence. */
export interface Prng {
  /** The seed this generator started from, for assertion messages and reruns. */
  readonly seed: number
  /** Uniform float in [0, 1). */
  next(): number
  /** Uniform integer in [0, n) for 0 < n ≤ 2^32. */
  int(n: number): number
}

/** Makes a mulberry32 generator from a 32-bit seed. */
export function mulberry32(seed: number): Prng {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return { seed: seed >>> 0, next, int: (n) => Math.floor(next() * n) }
}
