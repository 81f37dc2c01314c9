/** Knobs of the data plane, with WireGuard-derived defaults (wireguard-go device/constants.go). */
import { DataplaneError } from './errors.js'
import type { RateShape } from './handshake-limiter.js'

/** Token-bucket shapes of incoming initiations (handshake-limiter.ts). */
export interface HandshakeLimits {
  /** Per source (IPv4 address or IPv6 /64). @default { rate: 10, burst: 20 } */
  perSource?: RateShape
  /** Load meter over every mac1-valid initiation; under load (below half the burst) mac2 is required. @default { rate: 500, burst: 1000 } */
  global?: RateShape
}

/** Options of {@link createDataplane}. Every field is optional; times are milliseconds. */
export interface DataplaneOptions {
  /** Interval of in-tunnel pings per peer with a session (liveness and RTT). @default 2000 */
  keepaliveMs?: number
  /** A peer is down after this many keepalive intervals without anything authenticated from it. @default 3 */
  downAfterKeepalives?: number
  /** Start a new handshake when the sending session is this old (REKEY_AFTER_TIME). @default 120000 */
  rekeyAfterMs?: number
  /** Sessions this old are cleared (REJECT_AFTER_TIME); must exceed rekeyAfterMs. @default 180000 */
  rejectAfterMs?: number
  /** Start a new handshake when the sending session's counter passes this (REKEY_AFTER_MESSAGES). @default 2**60 */
  rekeyAfterMessages?: number
  /** Mean interval between handshake attempts while unanswered; each wait is jittered ±20 %. @default 5000 */
  handshakeRetryMs?: number
  /** Handshake with each peer as soon as it is configured (else on the first packet for it). @default true */
  handshakeOnConfigure?: boolean
  /** Period of the timer that runs retries, rekeys, keepalives, expiry and stats. @default 250 */
  tickMs?: number
  /** Randomness in [0,1) for jitter only (never for keys or indices). @default Math.random */
  random?: () => number
  /** Limits of incoming initiations. @default {} (the defaults of each field) */
  handshakeLimits?: HandshakeLimits
}

/** Options with every default filled in. */
export type ResolvedOptions = Readonly<Required<DataplaneOptions>>

/**
 * Fills defaults and checks ranges; frozen.
 * @throws DataplaneError VPCMESH_ERR_DATAPLANE_INVALID_CONFIG for a value out of range
 */
export function resolveOptions(o: DataplaneOptions = {}): ResolvedOptions {
  const r: Required<DataplaneOptions> = {
    keepaliveMs: o.keepaliveMs ?? 2000,
    downAfterKeepalives: o.downAfterKeepalives ?? 3,
    rekeyAfterMs: o.rekeyAfterMs ?? 120_000,
    rejectAfterMs: o.rejectAfterMs ?? 180_000,
    rekeyAfterMessages: o.rekeyAfterMessages ?? 2 ** 60,
    handshakeRetryMs: o.handshakeRetryMs ?? 5000,
    handshakeOnConfigure: o.handshakeOnConfigure ?? true,
    tickMs: o.tickMs ?? 250,
    random: o.random ?? Math.random,
    handshakeLimits: { ...o.handshakeLimits },
  }
  const positive = [
    'keepaliveMs',
    'downAfterKeepalives',
    'rekeyAfterMs',
    'rejectAfterMs',
    'rekeyAfterMessages',
    'handshakeRetryMs',
    'tickMs',
  ] as const
  const bad: string[] = positive.filter((k) => !(Number.isFinite(r[k]) && r[k] > 0))
  if (r.rejectAfterMs <= r.rekeyAfterMs) bad.push('rejectAfterMs')
  for (const k of ['perSource', 'global'] as const) {
    const shape = r.handshakeLimits[k]
    if (shape !== undefined && !(shape.rate > 0 && shape.burst >= 1 && Number.isFinite(shape.rate + shape.burst)))
      bad.push(`handshakeLimits.${k}`)
  }
  if (bad.length > 0) {
    throw new DataplaneError(
      'VPCMESH_ERR_DATAPLANE_INVALID_CONFIG',
      `data plane options out of range: ${bad.join(', ')} (positive numbers; rejectAfterMs > rekeyAfterMs)`,
    )
  }
  return Object.freeze(r)
}
