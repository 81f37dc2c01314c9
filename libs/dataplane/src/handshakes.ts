/**
 * Handshake policy around the pure Noise IK steps (noise/handshake.ts): who may initiate,
 * replay protection by timestamp, index reservation, endpoint learning, and installing the
 * resulting sessions. Runs on the JS thread outside the packet loops (raw datagrams are
 * copied by the inbound loop and handed here after the batch).
 */
import type { Clock, Logger } from '@vpcmesh/common'
import type { PacketEngine, UdpEndpoint } from '@vpcmesh/tun'
import { sameEndpoint } from './config.js'
import type { DataplaneMetrics } from './dataplane-metrics.js'
import { Drop, type DropCounter } from './drops.js'
import type { IndexTable } from './indices.js'
import { encodeKey } from './keys.js'
import { consumeInitiation, consumeResponse, createInitiation, createResponse, responseReceiver, type LocalStatic } from './noise/handshake.js'
import { MESSAGE_INITIATION, MESSAGE_RESPONSE, messageType } from './noise/messages.js'
import { compareTimestamps, TimestampSource } from './noise/timestamp.js'
import { HandshakeLimiter } from './handshake-limiter.js'
import type { ResolvedOptions } from './options.js'
import type { Peer } from './peer.js'
import type { SessionStore } from './sessions.js'

/** What the {@link Handshaker} works with. */
export interface HandshakerDeps {
  engine: PacketEngine
  clock: Clock
  logger: Logger
  options: ResolvedOptions
  sessions: SessionStore
  indices: IndexTable<Peer>
  drops: DropCounter
  metrics: DataplaneMetrics
  /** Configured peers by canonical base64 public key. */
  peersByKey: ReadonlyMap<string, Peer>
}

const RESULT = { initiated: { result: 'initiated' }, completed: { result: 'completed' }, timeout: { result: 'timeout' }, rejected: { result: 'rejected' } } as const
const EMPTY = new Uint8Array(0)

/** Sends initiations and answers handshake datagrams. */
export class Handshaker {
  /** Our static identity; undefined until the first reconfig. */
  local: LocalStatic | undefined
  readonly #d: HandshakerDeps
  /** Initiations cost a DH each: limit them per source and overall before doing any. */
  readonly #limiter = new HandshakeLimiter()
  readonly #timestamps = new TimestampSource()

  constructor (deps: HandshakerDeps) {
    this.#d = deps
  }

  /** A retry delay: `handshakeRetryMs` ±20 %. */
  jitter (): number {
    return this.#d.options.handshakeRetryMs * (0.8 + 0.4 * this.#d.options.random())
  }

  /** Sends a new initiation to `peer` (replacing any pending one). No-op without endpoint or key. */
  initiate (peer: Peer, now: number): void {
    const { local } = this
    if (local === undefined || peer.endpoint === null) return
    if (peer.pending !== undefined) {
      this.#d.indices.release(peer.pending.handshake.localIndex)
      this.#d.metrics.handshakes.inc(RESULT.timeout)
      peer.pending = undefined
    }
    const index = this.#d.indices.allocate(peer)
    const r = createInitiation(local, peer.config.publicKey, index, this.#timestamps.next(this.#d.clock.now()))
    peer.nextInitiationAt = now + this.jitter()
    if (!r.ok) {
      this.#d.indices.release(index)
      this.#d.logger.warn('cannot initiate handshake', { peer: peer.config.name, reason: r.reason })
      return
    }
    peer.pending = { handshake: r.value.handshake, sentAt: now }
    this.#send(r.value.message, peer.endpoint)
    this.#d.metrics.handshakes.inc(RESULT.initiated)
  }

  /** Handles one raw (non-data) datagram, already copied out of the batch. Never throws. */
  onDatagram (datagram: Uint8Array, from: UdpEndpoint, now: number): void {
    const type = messageType(datagram)
    if (type === MESSAGE_INITIATION && !this.#limiter.allow(from.address, now)) this.#reject(Drop.handshake_rate_limited)
    else if (type === MESSAGE_INITIATION) this.#onInitiation(datagram, from, now)
    else if (type === MESSAGE_RESPONSE) this.#onResponse(datagram, from, now)
    else this.#d.drops.add(Drop.handshake_invalid)
  }

  #onInitiation (msg: Uint8Array, from: UdpEndpoint, now: number): void {
    if (this.local === undefined) return this.#reject(Drop.unknown_peer)
    const r = consumeInitiation(this.local, msg)
    if (!r.ok) return this.#reject(Drop.handshake_invalid)
    const init = r.value
    const peer = this.#d.peersByKey.get(encodeKey(init.remoteStatic))
    if (peer === undefined) return this.#reject(Drop.unknown_peer)
    if (peer.greatestTimestamp !== undefined && compareTimestamps(init.timestamp, peer.greatestTimestamp) <= 0) return this.#reject(Drop.handshake_replay)
    peer.greatestTimestamp = init.timestamp
    const index = this.#d.indices.allocate(peer)
    const resp = createResponse(init, index)
    if (!resp.ok) { this.#d.indices.release(index); return this.#reject(Drop.handshake_invalid) }
    this.#learnEndpoint(peer, from)
    this.#send(resp.value.message, from)
    this.#established(peer, this.#d.sessions.install(peer, resp.value.keys, index, init.remoteIndex, false, now) !== undefined, now)
  }

  #onResponse (msg: Uint8Array, from: UdpEndpoint, now: number): void {
    const receiver = responseReceiver(msg)
    if (receiver < 0) return this.#reject(Drop.handshake_invalid)
    const peer = this.#d.indices.get(receiver)
    const pending = peer?.pending
    if (peer === undefined || pending === undefined || pending.handshake.localIndex !== receiver) return this.#reject(Drop.unknown_index)
    if (this.local === undefined) return this.#reject(Drop.handshake_invalid)
    const r = consumeResponse(this.local, pending.handshake, msg)
    if (!r.ok) return this.#reject(Drop.handshake_invalid)
    peer.pending = undefined
    this.#learnEndpoint(peer, from)
    const session = this.#d.sessions.install(peer, r.value.keys, receiver, r.value.remoteIndex, true, now)
    // The first message on a new session confirms it to the responder (session.ts).
    if (session !== undefined) this.#d.engine.sealAndSendOne(session.slot, EMPTY)
    this.#established(peer, session !== undefined, now)
  }

  #established (peer: Peer, ok: boolean, now: number): void {
    if (!ok) return
    if (peer.lastHandshakeAt !== undefined) this.#d.metrics.rekeys.inc()
    peer.lastHandshakeAt = now
    this.#d.metrics.handshakes.inc(RESULT.completed)
  }

  /** An authenticated handshake from a new address: the peer moved (NAT rebinding). */
  #learnEndpoint (peer: Peer, from: UdpEndpoint): void {
    if (!sameEndpoint(peer.endpoint, from)) this.#d.sessions.setEndpoint(peer, from)
  }

  #reject (reason: number): void {
    this.#d.drops.add(reason)
    this.#d.metrics.handshakes.inc(RESULT.rejected)
  }

  #send (msg: Uint8Array, to: UdpEndpoint): void {
    try {
      if (!this.#d.engine.sendRaw(msg, to)) this.#d.drops.add(Drop.send_error)
    } catch (e) {
      this.#d.drops.add(Drop.send_error)
      this.#d.logger.debug('cannot send handshake', { error: e instanceof Error ? e.message : String(e) })
    }
  }
}
