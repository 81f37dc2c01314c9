import type { Clock } from '@vpcmesh/common'

/**
 * Starts a duration measurement on `clock.monotonic()`. The returned function passes the
 * elapsed time in seconds to `observe` and returns it.
 */
export function startTimer(clock: Clock, observe: (seconds: number) => void): () => number {
  const start = clock.monotonic()
  return () => {
    const seconds = (clock.monotonic() - start) / 1000
    observe(seconds)
    return seconds
  }
}
