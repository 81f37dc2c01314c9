/**
 * The periodic work of the data plane, one pass over all peers per tick: expire old
 * sessions, credit engine counters, start handshakes that are due (first session, retry,
 * rekey on time or message count, lost liveness), and keepalives.
 */
import type { PacketEngine } from '@vpcmesh/tun'
import { Drop, type DropCounter } from './drops.js'
import type { Handshaker } from './handshaker.js'
import type { Liveness } from './liveness.js'
import type { ResolvedOptions } from './options.js'
import type { Peer } from './peer.js'
import type { SessionStore } from './session-store.js'
import type { SlotTable } from './slots.js'

/** What the {@link Ticker} works with. */
export interface TickerDeps {
  engine: PacketEngine
  options: ResolvedOptions
  slots: SlotTable
  sessions: SessionStore
  handshaker: Handshaker
  liveness: Liveness
  drops: DropCounter
}

/** Engine-wide drop counters and the reason each is counted under. */
const GLOBAL_DROPS = [
  ['udpDropUnknownIndex', Drop.unknown_index],
  ['udpDropTooShort', Drop.malformed],
  ['udpDropTruncated', Drop.oversize],
  ['udpRecvErrors', Drop.recv_error],
  ['tunWriteErrors', Drop.tun_write_error],
  // Counted by forwarding engines only (inline, outbound.ts counts these itself and the engine leaves them 0).
  ['tunDropNoRoute', Drop.no_route],
  ['tunDropNoSession', Drop.no_session],
  ['tunDropMalformed', Drop.malformed],
  ['eventsDropped', Drop.event_queue_full],
] as const

/** Runs the periodic work. */
export class Ticker {
  private readonly d: TickerDeps
  private readonly globalBase: number[]

  constructor(deps: TickerDeps) {
    this.d = deps
    const g = deps.engine.stats.global()
    this.globalBase = GLOBAL_DROPS.map(([f]) => g[f])
  }

  /** One pass at monotonic time `now`. */
  tick(peers: Iterable<Peer>, now: number): void {
    const { sessions, options } = this.d
    for (const peer of peers) {
      sessions.expire(peer, now, options.rejectAfterMs)
      sessions.sync(peer)
      if (this.wantsHandshake(peer, now)) this.d.handshaker.initiate(peer, now)
      this.d.liveness.tick(peer, now)
    }
    this.syncGlobal()
  }

  /** True when a new initiation to `peer` is due at `now`. */
  wantsHandshake(peer: Peer, now: number): boolean {
    const o = this.d.options
    if (peer.endpoint === null || now < peer.nextInitiationAt) return false
    const s = peer.sendSession
    if (s === undefined)
      return o.handshakeOnConfigure || peer.demanded || peer.pending !== undefined || peer.sessions.length > 0
    const age = now - s.createdAt
    if (age >= o.rekeyAfterMs + (s.initiator ? 0 : o.handshakeRetryMs)) return true
    if (this.d.slots.sendCounter(s.slot) >= o.rekeyAfterMessages) return true
    // Nothing authenticated for the down window although we have a session: the peer may have lost it (restart).
    const silentFor = now - (peer.lastReceivedAt ?? s.createdAt)
    return silentFor > o.downAfterKeepalives * o.keepaliveMs
  }

  /** Credits growth of the engine-wide drop counters. */
  syncGlobal(): void {
    const g = this.d.engine.stats.global()
    GLOBAL_DROPS.forEach(([field, reason], i) => {
      const delta = g[field] - (this.globalBase[i] ?? 0)
      this.globalBase[i] = g[field]
      if (delta > 0) this.d.drops.add(reason, delta)
    })
    this.d.drops.flush()
  }
}
