import type { Startable } from '@vpcmesh/common'

/** The signals that ask the agent to stop cleanly. */
export const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const

/** Where signals come from: `process` in production, an `EventEmitter` in tests. */
export interface SignalSource {
  once(signal: (typeof STOP_SIGNALS)[number], listener: () => void): unknown
  off(signal: (typeof STOP_SIGNALS)[number], listener: () => void): unknown
}

/**
 * Why the agent should stop: the first SIGTERM or SIGINT, or a fatal error reported through
 * {@link StopSignal.fatal}, whichever comes first. A Startable, so it joins the agent's
 * start/stop composition: start() listens for the signals (each once: a second one gets the
 * default action and ends the process), stop() stops listening.
 */
export class StopSignal implements Startable {
  /** Resolves with the fatal reason, or with undefined after a signal. */
  readonly stopped: Promise<string | undefined>
  private resolve: (reason: string | undefined) => void = () => {}
  private readonly onSignal = (): void => {
    this.resolve(undefined)
  }

  constructor(private readonly source: SignalSource) {
    this.stopped = new Promise((resolve) => {
      this.resolve = resolve
    })
  }

  async start(): Promise<void> {
    for (const s of STOP_SIGNALS) this.source.once(s, this.onSignal)
  }

  async stop(): Promise<void> {
    for (const s of STOP_SIGNALS) this.source.off(s, this.onSignal)
  }

  /** The agent cannot go on: resolves {@link stopped} with `reason` (unless a stop was already asked for). */
  fatal(reason: string): void {
    this.resolve(reason)
  }
}
