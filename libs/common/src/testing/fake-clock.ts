import type { Clock, TimerHandle } from '../clock.js'

interface Timer {
  at: number
  fn: () => void
  every?: number
  cancelled: boolean
}

/** A manual clock: time moves only when `advance(ms)` is called; due timers fire in order. */
export class FakeClock implements Clock {
  private t: number
  private timers: Timer[] = []

  constructor(startMs = 1_700_000_000_000) {
    this.t = startMs
  }

  now(): number {
    return this.t
  }
  monotonic(): number {
    return this.t
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.add({ at: this.t + ms, fn, cancelled: false })
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.add({ at: this.t + ms, fn, every: Math.max(1, ms), cancelled: false })
  }

  /** Moves time forward by ms, firing every timer that falls due, earliest first. */
  advance(ms: number): void {
    const end = this.t + ms
    for (;;) {
      const due = this.timers.filter((x) => !x.cancelled && x.at <= end).sort((a, b) => a.at - b.at)[0]
      if (due === undefined) break
      this.t = due.at
      if (due.every !== undefined) due.at += due.every
      else due.cancelled = true
      due.fn()
    }
    this.t = end
    this.timers = this.timers.filter((x) => !x.cancelled)
  }

  /** Number of timers still pending. */
  pending(): number {
    return this.timers.filter((x) => !x.cancelled).length
  }

  private add(timer: Timer): TimerHandle {
    this.timers.push(timer)
    return {
      cancel: () => {
        timer.cancelled = true
      },
    }
  }
}
