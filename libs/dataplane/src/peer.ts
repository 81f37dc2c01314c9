/**
 * Per-peer state: identity, endpoint, sessions, the pending handshake, liveness and traffic
 * counters. Plain state with small queries; the components that change it (session-store.ts,
 * handshaker.ts, liveness.ts, peer-set.ts) keep engine calls out of here.
 */
import type { Labels } from '@vpcmesh/metrics'
import type { UdpEndpoint } from '@vpcmesh/tun'
import type { ParsedPeer } from './config.js'
import type { InitiatorHandshake } from './noise/ik.js'
import { cookieKey } from './noise/cookie.js'
import { mac1Key } from './noise/messages.js'
import { pickSendSession, type Session } from './session.js'

/** An initiation we sent and wait an answer for. */
export interface PendingHandshake {
  readonly handshake: InitiatorHandshake
  /** The initiation as sent (a cookie reply to it is sealed with its mac1 as AD). */
  readonly message: Uint8Array
  /** Monotonic ms when sent. */
  readonly sentAt: number
}

/** Traffic counters of one peer (sums over its slots, engine-counted). */
export interface PeerTraffic {
  txBytes: number
  rxBytes: number
  txPackets: number
  rxPackets: number
}

/** Metric label sets of one peer, built once. */
export interface PeerLabels {
  readonly peer: Labels
  readonly tx: Labels
  readonly rx: Labels
}

/** One configured remote agent. */
export class Peer {
  /** The configuration it was last given. */
  config: ParsedPeer
  /** Where its messages go: the configured endpoint, or the last one it roamed to. */
  endpoint: UdpEndpoint | null
  /** mac1 key of messages we send to it. */
  mac1Out: Uint8Array
  /** Key that opens cookie replies from it. */
  cookieKeyIn: Uint8Array
  /** The last cookie it sent us (mac2 of our initiations), or undefined. */
  cookie: Uint8Array | undefined
  /** Monotonic ms when {@link cookie} arrived. */
  cookieAt = 0
  /** Sessions, at most MAX_SESSIONS. */
  readonly sessions: Session[] = []
  /** The session we send with (see session.ts) and its slot, or -1: read by the outbound hot loop. */
  sendSession: Session | undefined
  sendSlot = -1
  pending: PendingHandshake | undefined
  /** Monotonic ms before which no new initiation is sent (retry pacing). */
  nextInitiationAt = 0
  /** Its index in a forwarding engine's tables (forwarding-tables.ts), or -1 (an inline engine, or not configured). */
  index = -1
  /** Set when traffic wanted a session it did not have; cleared once one exists. */
  demanded = false
  /** Greatest initiation timestamp accepted from it (replay protection). */
  greatestTimestamp: Uint8Array | undefined
  /** Monotonic ms of the last completed handshake, or undefined. */
  lastHandshakeAt: number | undefined
  /** Monotonic ms of the last authenticated message from it. */
  lastReceivedAt: number | undefined
  /** Monotonic ms of our last ping, and its id. */
  lastPingAt = Number.NEGATIVE_INFINITY
  pingId = 0
  /** Smoothed RTT in ms (RFC 6298 SRTT), or undefined before the first pong. */
  srttMs: number | undefined
  up = false
  /** True when our public key sorts below the peer's (the simultaneous-handshake tie-break, session.ts). */
  weAreLower = false
  /** Window of that tie-break in ms (the handshake retry interval). */
  tieWindowMs = 0
  readonly traffic: PeerTraffic = { txBytes: 0, rxBytes: 0, txPackets: 0, rxPackets: 0 }
  labels: PeerLabels

  constructor(config: ParsedPeer) {
    this.config = config
    this.endpoint = config.endpoint
    this.mac1Out = mac1Key(config.publicKey)
    this.cookieKeyIn = cookieKey(config.publicKey)
    this.labels = labelsOf(config.name)
  }

  /** Stable id from the configuration. */
  get id(): string {
    return this.config.id
  }

  /** Recomputes the sending session after sessions changed. */
  reselect(): void {
    this.sendSession = pickSendSession(this.sessions, this.weAreLower, this.tieWindowMs)
    this.sendSlot = this.sendSession?.slot ?? -1
    if (this.sendSession !== undefined) this.demanded = false
  }

  /** Forgets everything tied to its key: timestamps and (by the caller) sessions and handshakes. */
  resetIdentity(config: ParsedPeer): void {
    this.config = config
    this.mac1Out = mac1Key(config.publicKey)
    this.cookieKeyIn = cookieKey(config.publicKey)
    this.cookie = undefined
    this.greatestTimestamp = undefined
    this.lastHandshakeAt = undefined
    this.srttMs = undefined
  }
}

/** The label sets of a peer name. */
export function labelsOf(name: string): PeerLabels {
  return { peer: { peer: name }, tx: { peer: name, direction: 'tx' }, rx: { peer: name, direction: 'rx' } }
}
