/**
 * The engine's session slots as the data plane assigns them: a free list, the owner peer
 * and session of each slot (read by the inbound hot loop by slot number), and per-slot
 * baselines of the engine's counters so their growth is credited to the right peer even
 * when a slot is reused. Engine counters never reset, so deltas are exact. On a forwarding
 * engine each slot's owner is also uploaded (`setSlotPeer`), for the workers' source check.
 */
import type { PacketEngine, SlotStats } from '@vpcmesh/tun'
import { Drop, type DropCounter } from './drops.js'
import type { DataplaneMetrics } from './dataplane-metrics.js'
import type { Peer } from './peer.js'
import type { Session } from './session.js'

/** Slot counters the data plane reads, and the drop reason of each drop counter. */
const TRACKED = [
  ['txPackets', -1],
  ['txBytes', -1],
  ['rxPackets', -1],
  ['rxBytes', -1],
  ['txDropNoSession', Drop.no_session],
  ['txDropNoEndpoint', Drop.no_endpoint],
  ['txDropSendError', Drop.send_error],
  ['txDropTooBig', Drop.oversize],
  ['rxDropReplay', Drop.replay],
  ['rxDropAuth', Drop.auth_failure],
  ['rxDropMalformed', Drop.malformed],
  // Forwarding engines only: the workers' source check. Inline, inbound.ts counts its own verdicts.
  ['rxDropRejected', Drop.spoofed_source],
] as const satisfies ReadonlyArray<readonly [keyof SlotStats, number]>

/** Slot ownership and accounting. */
export class SlotTable {
  /** Owner of each slot, by slot number. */
  readonly owner: Array<Peer | undefined>
  /** Session in each slot, by slot number. */
  readonly session: Array<Session | undefined>
  private readonly freeList: number[]
  private readonly base: Float64Array
  private readonly engine: PacketEngine
  /** The drop reason of each TRACKED counter on this engine (-1: not a drop to credit). */
  private readonly reasons: number[]

  constructor(engine: PacketEngine) {
    const n = engine.info.maxSlots
    this.engine = engine
    const forwarding = engine.forwarding !== undefined
    this.reasons = TRACKED.map(([field, reason]) => (field === 'rxDropRejected' && !forwarding ? -1 : reason))
    this.owner = new Array<Peer | undefined>(n).fill(undefined)
    this.session = new Array<Session | undefined>(n).fill(undefined)
    this.freeList = Array.from({ length: n }, (_, i) => n - 1 - i)
    this.base = new Float64Array(n * TRACKED.length)
  }

  /** Slots not in use. */
  get free(): number {
    return this.freeList.length
  }

  /** Takes a free slot for `peer` and records the counter baseline; -1 if none is free. */
  allocate(peer: Peer): number {
    const slot = this.freeList.pop()
    if (slot === undefined) return -1
    this.owner[slot] = peer
    const stats = this.engine.stats.slot(slot)
    TRACKED.forEach(([field], i) => {
      this.base[slot * TRACKED.length + i] = stats[field]
    })
    this.engine.forwarding?.setSlotPeer(slot, peer.index)
    return slot
  }

  /** Binds the session installed in `slot`. */
  bind(slot: number, session: Session): void {
    this.session[slot] = session
  }

  /** Credits the last counter growth, clears the engine slot and frees it. */
  release(slot: number, drops: DropCounter, metrics: DataplaneMetrics): void {
    if (this.owner[slot] === undefined) return
    this.sync(slot, drops, metrics)
    this.owner[slot] = undefined
    this.session[slot] = undefined
    try {
      this.engine.sessions.clear(slot)
      this.engine.forwarding?.setSlotPeer(slot, -1)
    } catch {
      /* closed engine: nothing to clear */
    }
    this.freeList.push(slot)
  }

  /** Credits counter growth of an owned slot to its peer, the peer metrics and the drops. */
  sync(slot: number, drops: DropCounter, metrics: DataplaneMetrics): void {
    const peer = this.owner[slot]
    if (peer === undefined) return
    const stats = this.engine.stats.slot(slot)
    const d = new Float64Array(TRACKED.length)
    TRACKED.forEach(([field], i) => {
      const reason = this.reasons[i] ?? -1
      const at = slot * TRACKED.length + i
      d[i] = stats[field] - (this.base[at] ?? 0)
      this.base[at] = stats[field]
      if (reason >= 0 && (d[i] ?? 0) > 0) drops.add(reason, d[i])
    })
    const [txPackets = 0, txBytes = 0, rxPackets = 0, rxBytes = 0] = d
    const t = peer.traffic
    t.txPackets += txPackets
    t.txBytes += txBytes
    t.rxPackets += rxPackets
    t.rxBytes += rxBytes
    if (txPackets > 0) {
      metrics.packets.inc(peer.labels.tx, txPackets)
      metrics.bytes.inc(peer.labels.tx, txBytes)
    }
    if (rxPackets > 0) {
      metrics.packets.inc(peer.labels.rx, rxPackets)
      metrics.bytes.inc(peer.labels.rx, rxBytes)
    }
  }

  /** The send counter of the session in `slot` (to rekey on message count). */
  sendCounter(slot: number): number {
    return this.engine.stats.slot(slot).sendCounter
  }
}
