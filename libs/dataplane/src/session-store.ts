/**
 * Installs, confirms, expires and removes a peer's sessions in engine slots (session.ts has
 * the rules). Every engine session call of the data plane goes through here.
 */
import { type Logger, errorMessage } from '@vpcmesh/common'
import type { PacketEngine, UdpEndpoint } from '@vpcmesh/tun'
import type { DataplaneMetrics } from './dataplane-metrics.js'
import type { DropCounter } from './drops.js'
import type { ForwardingTables } from './forwarding-tables.js'
import type { IndexTable } from './indices.js'
import type { TransportKeys } from './noise/ik.js'
import type { Peer } from './peer.js'
import { MAX_SESSIONS, pickEviction, type Session } from './session.js'
import type { SlotTable } from './slots.js'

/** What {@link SessionStore} works with. */
export interface SessionStoreDeps {
  engine: PacketEngine
  slots: SlotTable
  indices: IndexTable<Peer>
  drops: DropCounter
  metrics: DataplaneMetrics
  logger: Logger
  /** Present on a forwarding engine: told about every change of a peer's sending slot. */
  forwarding: ForwardingTables | undefined
}

/** Session lifecycle over engine slots. */
export class SessionStore {
  private readonly d: SessionStoreDeps

  constructor(deps: SessionStoreDeps) {
    this.d = deps
  }

  /**
   * Installs keys from a finished handshake. `localIndex` is already reserved for `peer`.
   * An initiator session is confirmed at once; a responder session replaces any older
   * unconfirmed one. Returns undefined (and frees the index) if the engine refused.
   */
  install(
    peer: Peer,
    keys: TransportKeys,
    localIndex: number,
    remoteIndex: number,
    initiator: boolean,
    now: number,
  ): Session | undefined {
    if (!initiator) for (const s of peer.sessions.filter((x) => !x.confirmed)) this.remove(peer, s)
    while (peer.sessions.length >= MAX_SESSIONS) {
      const victim = pickEviction(peer.sessions, peer.sendSession, now, peer.tieWindowMs)
      if (victim === undefined) break
      this.remove(peer, victim)
    }
    const slot = this.d.slots.allocate(peer)
    if (slot < 0) return this.refuse(peer, localIndex, 'no free slot')
    try {
      this.d.engine.sessions.set(slot, { sendKey: keys.sendKey, recvKey: keys.recvKey, localIndex, remoteIndex })
      if (peer.endpoint !== null) this.d.engine.sessions.setEndpoint(slot, peer.endpoint)
    } catch (e) {
      this.d.slots.release(slot, this.d.drops, this.d.metrics)
      return this.refuse(peer, localIndex, errorMessage(e))
    } finally {
      keys.sendKey.fill(0)
      keys.recvKey.fill(0)
    }
    const session: Session = { slot, localIndex, remoteIndex, createdAt: now, initiator, confirmed: initiator }
    this.d.slots.bind(slot, session)
    peer.sessions.push(session)
    this.reselect(peer)
    return session
  }

  private refuse(peer: Peer, localIndex: number, why: string): undefined {
    this.d.indices.release(localIndex)
    this.d.logger.warn('cannot install session', { peer: peer.config.name, reason: why })
    return undefined
  }

  /** Marks a responder session usable for sending after the first message on it. */
  confirm(peer: Peer, session: Session): void {
    session.confirmed = true
    this.reselect(peer)
  }

  /** Removes one session: frees its slot and index. */
  remove(peer: Peer, session: Session): void {
    const i = peer.sessions.indexOf(session)
    if (i < 0) return
    peer.sessions.splice(i, 1)
    // Stop sending with it before the slot is cleared (a forwarding engine's workers).
    this.reselect(peer)
    this.d.slots.release(session.slot, this.d.drops, this.d.metrics)
    this.d.indices.release(session.localIndex)
  }

  /** Recomputes the sending session of `peer` and tells a forwarding engine. */
  private reselect(peer: Peer): void {
    peer.reselect()
    this.d.forwarding?.publish(peer)
  }

  /** Removes sessions created `rejectAfterMs` or more before `now`. */
  expire(peer: Peer, now: number, rejectAfterMs: number): void {
    for (const s of peer.sessions.filter((x) => now - x.createdAt >= rejectAfterMs)) this.remove(peer, s)
  }

  /** Removes every session and the pending handshake of `peer`. */
  clearPeer(peer: Peer): void {
    for (const s of [...peer.sessions]) this.remove(peer, s)
    if (peer.pending !== undefined) {
      this.d.indices.release(peer.pending.handshake.localIndex)
      peer.pending.handshake.state.wipe()
    }
    peer.pending = undefined
  }

  /** Points the peer and all its slots at `endpoint`. */
  setEndpoint(peer: Peer, endpoint: UdpEndpoint): void {
    peer.endpoint = { address: endpoint.address, port: endpoint.port }
    for (const s of peer.sessions) {
      try {
        this.d.engine.sessions.setEndpoint(s.slot, endpoint)
      } catch (e) {
        this.d.logger.warn('cannot set endpoint', {
          peer: peer.config.name,
          error: errorMessage(e),
        })
      }
    }
  }

  /** Credits engine counters of every slot of `peer`. */
  sync(peer: Peer): void {
    for (const s of peer.sessions) this.d.slots.sync(s.slot, this.d.drops, this.d.metrics)
  }
}
