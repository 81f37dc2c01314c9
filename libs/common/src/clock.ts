/** A cancellable timer handle returned by {@link Clock}. */
export interface TimerHandle {
  /** Stops the timer; safe to call more than once. */
  cancel(): void
}

/**
 * Clock is time as logic sees it. Logic takes a Clock instead of calling Date.now or
 * setTimeout, so tests can drive time by hand (see FakeClock in ./testing).
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number
  /** Monotonic milliseconds, for measuring durations. */
  monotonic(): number
  /** Runs fn once after ms milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle
  /** Runs fn every ms milliseconds until cancelled. */
  setInterval(fn: () => void, ms: number): TimerHandle
}

/** The real clock. Timers are unref'd: they never keep the process alive on their own. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms)
    t.unref()
    return {
      cancel: () => {
        clearTimeout(t)
      },
    }
  },
  setInterval(fn, ms) {
    const t = setInterval(fn, ms)
    t.unref()
    return {
      cancel: () => {
        clearInterval(t)
      },
    }
  },
}
