/**
 * Handshake policy around the pure Noise IK steps (noise/ik.ts): who may initiate,
 * replay protection by timestamp, index reservation, endpoint learning, cookies, and
 * installing the resulting sessions. Runs on the JS thread outside the packet loops (raw
 * datagrams are copied by the inbound loop and handed here after the batch).
 *
 * An initiation passes, cheapest first: length → mac1 → load meter; under load, mac2 (else
 * a cookie reply and nothing more) → per-source bucket → es DH → peer lookup → ss DH →
 * timestamp (replay) → response. Nothing before the per-source bucket costs a DH.
 */
import { type Clock, type Logger, errorMessage } from '@vpcmesh/common'
import type { PacketEngine, UdpEndpoint } from '@vpcmesh/tun'
import { sameEndpoint } from './config.js'
import type { DataplaneMetrics } from './dataplane-metrics.js'
import { Drop, type DropCounter } from './drops.js'
import type { IndexTable } from './indices.js'
import { encodeKey } from './key-text.js'
import { COOKIE_SECRET_MS, CookieChecker } from './cookie-checker.js'
import { consumeCookieReply, cookieReplyReceiver } from './noise/cookie.js'
import {
  consumeInitiation,
  consumeResponse,
  createInitiation,
  createResponse,
  responseReceiver,
  type LocalStatic,
} from './noise/ik.js'
import {
  checkMac1,
  INITIATION,
  isInitiationLength,
  MESSAGE_COOKIE_REPLY,
  MESSAGE_INITIATION,
  MESSAGE_RESPONSE,
  messageType,
  withMac2,
} from './noise/messages.js'
import { compareTimestamps, TimestampSource } from './noise/timestamp.js'
import { GLOBAL_LIMIT, HandshakeLimiter, PER_SOURCE_LIMIT } from './handshake-limiter.js'
import type { TimestampStore } from './timestamp-store.js'
import type { ResolvedOptions } from './options.js'
import type { Peer } from './peer.js'
import type { SessionStore } from './session-store.js'

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
  /** Absent: greatest timestamps are kept in memory only (lost on restart). */
  timestamps?: TimestampStore
}

const RESULT = {
  initiated: { result: 'initiated' },
  completed: { result: 'completed' },
  timeout: { result: 'timeout' },
  rejected: { result: 'rejected' },
} as const
const COOKIE = { tx: { direction: 'tx' }, rx: { direction: 'rx' } } as const
const EMPTY = new Uint8Array(0)

/** Sends initiations and answers handshake datagrams. */
export class Handshaker {
  private localStatic: LocalStatic | undefined
  private readonly d: HandshakerDeps
  /** Initiations cost DHs: meter them overall and limit them per source before doing any. */
  private readonly limiter: HandshakeLimiter
  private readonly cookies: CookieChecker
  private readonly timestamps = new TimestampSource()

  constructor(deps: HandshakerDeps) {
    this.d = deps
    const limits = deps.options.handshakeLimits
    this.limiter = new HandshakeLimiter(limits.perSource ?? PER_SOURCE_LIMIT, limits.global ?? GLOBAL_LIMIT)
    this.cookies = new CookieChecker({ clock: deps.clock })
  }

  /** Our static identity; undefined until the first reconfig. */
  get local(): LocalStatic | undefined {
    return this.localStatic
  }
  set local(l: LocalStatic | undefined) {
    this.localStatic = l
    if (l !== undefined) this.cookies.setLocal(l.keyPair.publicKey)
  }

  /** A retry delay: `handshakeRetryMs` ±20 %. */
  jitter(): number {
    return this.d.options.handshakeRetryMs * (0.8 + 0.4 * this.d.options.random())
  }

  /** Sends a new initiation to `peer` (replacing any pending one). No-op without endpoint or key. */
  initiate(peer: Peer, now: number): void {
    const { local } = this
    if (local === undefined || peer.endpoint === null) return
    if (peer.pending !== undefined) {
      this.d.indices.release(peer.pending.handshake.localIndex)
      peer.pending.handshake.state.wipe()
      this.d.metrics.handshakes.inc(RESULT.timeout)
      peer.pending = undefined
    }
    const index = this.d.indices.allocate(peer)
    const r = createInitiation(local, peer.config.publicKey, index, this.timestamps.next(this.d.clock.now()))
    peer.nextInitiationAt = now + this.jitter()
    if (!r.ok) {
      this.d.indices.release(index)
      this.d.logger.warn('cannot initiate handshake', { peer: peer.config.name, reason: r.reason })
      return
    }
    // Without a cookie the initiation has no mac2: byte for byte what agents of 0.1 send and take.
    const message =
      peer.cookie !== undefined && now - peer.cookieAt < COOKIE_SECRET_MS
        ? withMac2(r.value.message, peer.cookie)
        : r.value.message
    peer.pending = { handshake: r.value.handshake, message, sentAt: now }
    this.send(message, peer.endpoint)
    this.d.metrics.handshakes.inc(RESULT.initiated)
  }

  /** Handles one raw (non-data) datagram, already copied out of the batch. Never throws. */
  onDatagram(datagram: Uint8Array, from: UdpEndpoint, now: number): void {
    const type = messageType(datagram)
    if (type === MESSAGE_INITIATION) this.onInitiation(datagram, from, now)
    else if (type === MESSAGE_RESPONSE) this.onResponse(datagram, from, now)
    else if (type === MESSAGE_COOKIE_REPLY) this.onCookieReply(datagram, now)
    else this.d.drops.add(Drop.handshake_invalid)
  }

  /** The cheap gates, in order; true when the initiation may cost DH work. */
  private admit(msg: Uint8Array, local: LocalStatic, from: UdpEndpoint, now: number): boolean {
    if (!isInitiationLength(msg.length)) {
      this.reject(Drop.handshake_invalid)
      return false
    }
    if (!checkMac1(local.mac1Key, msg, INITIATION.offsetMac1)) {
      this.reject(Drop.handshake_bad_mac1)
      return false
    }
    if (this.limiter.meter(now) && !this.cookies.checkMac2(msg, from)) {
      const reply = this.cookies.reply(msg, from)
      if (reply !== undefined) {
        this.send(reply, from)
        this.d.metrics.cookieReplies.inc(COOKIE.tx)
      }
      this.reject(Drop.handshake_cookie_required)
      return false
    }
    if (!this.limiter.allow(from.address, now)) {
      this.reject(Drop.handshake_rate_limited)
      return false
    }
    return true
  }

  private onInitiation(msg: Uint8Array, from: UdpEndpoint, now: number): void {
    const local = this.local
    if (local === undefined) return this.reject(Drop.unknown_peer)
    if (!this.admit(msg, local, from, now)) return
    const r = consumeInitiation(local, msg, (rs) => this.d.peersByKey.has(encodeKey(rs)))
    if (!r.ok) return this.reject(r.reason === 'unknown_peer' ? Drop.unknown_peer : Drop.handshake_invalid)
    const init = r.value
    const peer = this.d.peersByKey.get(encodeKey(init.remoteStatic))
    if (peer === undefined) {
      init.state.wipe()
      return this.reject(Drop.unknown_peer)
    }
    const greatest = peer.greatestTimestamp ?? this.d.timestamps?.load(peer.config.publicKey)
    if (greatest !== undefined && compareTimestamps(init.timestamp, greatest) <= 0) {
      peer.greatestTimestamp = greatest
      init.state.wipe()
      return this.reject(Drop.handshake_replay)
    }
    peer.greatestTimestamp = init.timestamp
    this.d.timestamps?.save(peer.config.publicKey, init.timestamp)
    const index = this.d.indices.allocate(peer)
    const resp = createResponse(init, index)
    if (!resp.ok) {
      this.d.indices.release(index)
      return this.reject(Drop.handshake_invalid)
    }
    this.learnEndpoint(peer, from)
    this.send(resp.value.message, from)
    this.established(
      peer,
      this.d.sessions.install(peer, resp.value.keys, index, init.remoteIndex, false, now) !== undefined,
      now,
    )
  }

  private onResponse(msg: Uint8Array, from: UdpEndpoint, now: number): void {
    const receiver = responseReceiver(msg)
    if (receiver < 0) return this.reject(Drop.handshake_invalid)
    const peer = this.d.indices.get(receiver)
    const pending = peer?.pending
    if (peer === undefined || pending === undefined || pending.handshake.localIndex !== receiver)
      return this.reject(Drop.unknown_index)
    if (this.local === undefined) return this.reject(Drop.handshake_invalid)
    const r = consumeResponse(this.local, pending.handshake, msg)
    if (!r.ok) return this.reject(Drop.handshake_invalid)
    pending.handshake.state.wipe()
    peer.pending = undefined
    this.learnEndpoint(peer, from)
    const session = this.d.sessions.install(peer, r.value.keys, receiver, r.value.remoteIndex, true, now)
    // The first message on a new session confirms it to the responder (session.ts).
    if (session !== undefined) this.d.engine.sealAndSendOne(session.slot, EMPTY)
    this.established(peer, session !== undefined, now)
  }

  /** Stores the cookie of a reply to our pending initiation; the next retry carries its mac2 (no resend now, as in WireGuard). */
  private onCookieReply(msg: Uint8Array, now: number): void {
    const receiver = cookieReplyReceiver(msg)
    if (receiver < 0) return this.reject(Drop.handshake_invalid)
    const peer = this.d.indices.get(receiver)
    const pending = peer?.pending
    if (peer === undefined || pending === undefined || pending.handshake.localIndex !== receiver)
      return this.reject(Drop.unknown_index)
    const cookie = consumeCookieReply(peer.cookieKeyIn, pending.message, msg)
    if (cookie === undefined) return this.reject(Drop.handshake_invalid)
    peer.cookie?.fill(0)
    peer.cookie = cookie
    peer.cookieAt = now
    this.d.metrics.cookieReplies.inc(COOKIE.rx)
  }

  private established(peer: Peer, ok: boolean, now: number): void {
    if (!ok) return
    if (peer.lastHandshakeAt !== undefined) this.d.metrics.rekeys.inc()
    peer.lastHandshakeAt = now
    this.d.metrics.handshakes.inc(RESULT.completed)
  }

  /** An authenticated handshake from a new address: the peer moved (NAT rebinding). */
  private learnEndpoint(peer: Peer, from: UdpEndpoint): void {
    if (!sameEndpoint(peer.endpoint, from)) this.d.sessions.setEndpoint(peer, from)
  }

  private reject(reason: number): void {
    this.d.drops.add(reason)
    this.d.metrics.handshakes.inc(RESULT.rejected)
  }

  private send(msg: Uint8Array, to: UdpEndpoint): void {
    try {
      if (!this.d.engine.sendRaw(msg, to)) this.d.drops.add(Drop.send_error)
    } catch (e) {
      this.d.drops.add(Drop.send_error)
      this.d.logger.debug('cannot send handshake', { error: errorMessage(e) })
    }
  }
}
