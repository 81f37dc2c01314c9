import { errorMessage } from './errors.js'
/** Options of {@link pollUntil}. */
export interface PollOptions {
  /** Give up after this long, ms. @default 10000 */
  timeoutMs?: number
  /** Pause between attempts, ms. @default 25 */
  intervalMs?: number
}

/**
 * Calls `fn` until it returns something other than undefined or false (a thrown error counts
 * as "not yet"), and resolves with that value; rejects after `timeoutMs` naming `what` and
 * the last error. For waiting on a condition with a deadline, never a fixed sleep.
 */
export async function pollUntil<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  opts: PollOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await fn()
      if (v !== undefined && v !== false) return v
    } catch (e) {
      last = e
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last === undefined ? '' : `: ${errorMessage(last)}`}`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, opts.intervalMs ?? 25))
  }
}
