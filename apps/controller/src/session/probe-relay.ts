import { randomUUID } from 'node:crypto'
import { type Clock, type Logger, errorMessage } from '@vpcmesh/common'
import { ProbeOutcome, type ProbeRequest, RelayedProbe } from '@vpcmesh/protocol'
import type { ProbeBus } from './probe-bus.js'

/** Extra wait for a relayed probe beyond the holder's own timeout, ms. */
const RELAY_SLACK_MS = 1000

/** The sessions of this replica, as the relay uses them (the Hub). */
export interface ProbeTargets {
  sessionFor(key: string): { probe(request: ProbeRequest, timeoutMs: number): Promise<ProbeOutcome> } | undefined
}

/** Dependencies of the {@link ProbeRelay}. */
export interface ProbeRelayComponents {
  sessions: ProbeTargets
  /** Absent: only agents connected to this replica can be probed. */
  bus?: ProbeBus
  clock: Clock
  logger: Logger
}

/** Knobs of the {@link ProbeRelay}. */
export interface ProbeRelayOptions {
  /** Prefix of the pub/sub channels (the Redis key prefix). */
  prefix: string
  /** How long a probe may take end to end, ms. @default 5000 */
  timeoutMs?: number
}

/** The relay's channel names under `prefix`. */
export function probeChannels(prefix: string): { requests: string; reply: (id: string) => string } {
  return { requests: `${prefix}explain:probe`, reply: (id) => `${prefix}explain:reply:${id}` }
}

/**
 * Probes an agent wherever its session is: directly when this replica holds it, else through
 * the bus, where the replica holding it probes and publishes the outcome on a reply channel
 * of the request. {@link ProbeRelay.probe} never rejects: no holder, a lost message or a silent
 * agent end as `{ok: false}` after the timeout.
 */
export class ProbeRelay {
  private readonly log: Logger
  private readonly timeoutMs: number
  private readonly channels: ReturnType<typeof probeChannels>
  private unsubscribe: (() => Promise<void>) | undefined

  constructor(
    private readonly c: ProbeRelayComponents,
    o: ProbeRelayOptions,
  ) {
    this.log = c.logger.child('probe-relay')
    this.timeoutMs = o.timeoutMs ?? 5000
    this.channels = probeChannels(o.prefix)
  }

  /** Starts answering relayed probes for the sessions held here. */
  async start(): Promise<void> {
    if (this.c.bus === undefined || this.unsubscribe !== undefined) return
    this.unsubscribe = await this.c.bus.subscribe(this.channels.requests, (m) => {
      void this.serve(m)
    })
  }

  async stop(): Promise<void> {
    const u = this.unsubscribe
    this.unsubscribe = undefined
    await u?.()
  }

  /** Probes the agent with status key `agent` (a VPC id, or `vpc/gateway`). */
  async probe(agent: string, request: ProbeRequest): Promise<ProbeOutcome> {
    const local = this.c.sessions.sessionFor(agent)
    if (local !== undefined) return await local.probe(request, this.timeoutMs)
    const bus = this.c.bus
    if (bus === undefined) return { ok: false, reason: 'agent not connected to this controller' }
    const id = randomUUID()
    let finished = false
    let unsubscribe: (() => Promise<void>) | undefined
    const outcome = await new Promise<ProbeOutcome>((resolve) => {
      const end = (o: ProbeOutcome): void => {
        timer.cancel()
        finished = true
        resolve(o)
      }
      // The holder's own wait is timeoutMs: wait a little longer for its "did not answer".
      const timer = this.c.clock.setTimeout(() => {
        end({ ok: false, reason: `agent did not answer within ${this.timeoutMs} ms` })
      }, this.timeoutMs + RELAY_SLACK_MS)
      bus
        .subscribe(this.channels.reply(id), (m) => {
          end(parseOutcome(m))
        })
        .then(async (u) => {
          if (finished) {
            await u()
            return
          }
          unsubscribe = u
          const message: RelayedProbe = { id, agent, request }
          if ((await bus.publish(this.channels.requests, JSON.stringify(message))) === 0)
            end({ ok: false, reason: 'no controller replica is listening for probes' })
        })
        .catch((e: unknown) => {
          end({ ok: false, reason: `probe relay unavailable: ${errorMessage(e)}` })
        })
    })
    await (unsubscribe as (() => Promise<void>) | undefined)?.()
    return outcome
  }

  /** A relayed request: probe if the session is here, publish the outcome. */
  private async serve(text: string): Promise<void> {
    let m: RelayedProbe
    try {
      m = RelayedProbe.parse(JSON.parse(text))
    } catch {
      this.log.debug('ignored a malformed relayed probe')
      return
    }
    const s = this.c.sessions.sessionFor(m.agent)
    if (s === undefined) return
    const outcome = await s.probe(m.request, this.timeoutMs)
    await this.c.bus?.publish(this.channels.reply(m.id), JSON.stringify(outcome)).catch((e: unknown) => {
      this.log.warn('cannot publish a probe outcome', { error: errorMessage(e) })
    })
  }
}

/** A reply message as an outcome; a malformed one is an outcome too. */
function parseOutcome(text: string): ProbeOutcome {
  try {
    return ProbeOutcome.parse(JSON.parse(text))
  } catch {
    return { ok: false, reason: 'malformed probe answer from another controller replica' }
  }
}
