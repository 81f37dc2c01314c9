/** Options for {@link Backoff}. */
export interface BackoffOptions {
  /** First delay in ms. @default 250 */
  initialMs?: number
  /** Largest delay in ms. @default 15000 */
  maxMs?: number
  /** Growth factor per failure. @default 2 */
  factor?: number
  /** Source of randomness in [0,1) for full jitter. @default Math.random */
  random?: () => number
}

/**
 * Exponential backoff with "equal jitter": each delay is between half and all of the
 * exponential value, so retries from many agents spread out but never collapse to zero.
 */
export class Backoff {
  private failures = 0
  private readonly initialMs: number
  private readonly maxMs: number
  private readonly factor: number
  private readonly random: () => number

  constructor(opts: BackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 250
    this.maxMs = opts.maxMs ?? 15000
    this.factor = opts.factor ?? 2
    this.random = opts.random ?? Math.random
  }

  /** Records one failure and returns the delay in ms before the next attempt. */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * this.factor ** this.failures)
    this.failures++
    return Math.round(base / 2 + (base / 2) * this.random())
  }

  /** Forgets failures after a success. */
  reset(): void {
    this.failures = 0
  }
}
