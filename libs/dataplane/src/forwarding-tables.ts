/**
 * The data plane's decisions as tables for a forwarding engine (`engine.forwarding`, packet
 * workers >= 1; the contract is EngineForwarding in @vpcmesh/tun): the routes outbound.ts looks
 * up per packet, each peer's send slot and group, and the peer owning each slot, which the
 * workers then apply per packet instead of outbound.ts and inbound.ts.
 *
 * - Peer index: a small integer 0..maxSlots-1 per peer for its whole life in the configuration,
 *   from a free list (0, 1, 2, ... at first). A removed peer's index is reused only after the routes no
 *   longer name it (the next {@link ForwardingTables.syncRoutes}), so no packet routed by an old
 *   table reaches a newcomer.
 * - Group id: each distinct `group` string of the configured peers gets a u32 from 1 up, kept
 *   while any peer has that group; ids are not reused (0 is what removed peers are set to).
 * Called only from the control paths (reconfig, session changes, slot changes), never per packet.
 */
import type { Logger } from '@vpcmesh/common'
import type { EngineForwarding, ForwardingRoute } from '@vpcmesh/tun'
import { errorMessage } from '@vpcmesh/common'
import type { Peer } from './peer.js'

/** What setPeer last got for an index. */
interface Uploaded {
  sendSlot: number
  group: string
}

/** Peer indices, group ids and the tables uploaded to the engine. */
export class ForwardingTables {
  private readonly fwd: EngineForwarding
  private readonly logger: Logger
  /** Peers by index. */
  private readonly byIndex: Array<Peer | undefined>
  private readonly uploaded: Array<Uploaded | undefined>
  private readonly freeList: number[]
  /** Indices of removed peers that the uploaded routes may still name. */
  private readonly released: number[] = []
  private readonly groups = new Map<string, { id: number; peers: number }>()
  private nextGroup = 1
  /** The routes last uploaded, as text; undefined before the first upload. */
  private routesKey: string | undefined

  constructor(fwd: EngineForwarding, maxSlots: number, logger: Logger) {
    this.fwd = fwd
    this.logger = logger
    this.byIndex = new Array<Peer | undefined>(maxSlots).fill(undefined)
    this.uploaded = new Array<Uploaded | undefined>(maxSlots).fill(undefined)
    this.freeList = Array.from({ length: maxSlots }, (_, i) => maxSlots - 1 - i)
  }

  /** The peer with `index`, or undefined (a stale or unknown index). */
  peer(index: number): Peer | undefined {
    return this.byIndex[index]
  }

  /** Gives a new peer its index and uploads it without a send slot. */
  add(peer: Peer): void {
    // Never empty: at most maxSlots/3 peers (parseConfig), plus those removed in one reconfig.
    const index = this.freeList.pop()
    if (index === undefined) return
    peer.index = index
    this.byIndex[index] = peer
    this.publish(peer)
  }

  /** Uploads the peer's send slot and group when either changed since the last call. */
  publish(peer: Peer): void {
    const index = peer.index
    if (this.byIndex[index] !== peer) return
    const last = this.uploaded[index]
    const group = peer.config.group
    if (last !== undefined && last.sendSlot === peer.sendSlot && last.group === group) return
    if (last?.group !== group) {
      this.ref(group)
      if (last !== undefined) this.unref(last.group)
    }
    this.fwd.setPeer(index, peer.sendSlot, this.groups.get(group)?.id ?? 0)
    this.uploaded[index] = { sendSlot: peer.sendSlot, group }
  }

  /** Takes a removed peer out of the tables (its slots are already released); its routes go at the next sync. */
  remove(peer: Peer): void {
    const index = peer.index
    if (this.byIndex[index] !== peer) return
    const last = this.uploaded[index]
    if (last !== undefined) this.unref(last.group)
    this.fwd.setPeer(index, -1, 0)
    this.byIndex[index] = undefined
    this.uploaded[index] = undefined
    this.released.push(index)
    peer.index = -1
  }

  /** Uploads the routes of `peers` (their allowed prefixes) when they differ from the last upload. */
  syncRoutes(peers: Iterable<Peer>): void {
    const routes: ForwardingRoute[] = []
    const keys: string[] = []
    for (const p of peers) {
      if (p.index < 0) continue
      for (const prefix of p.config.prefixes) {
        routes.push({ address: prefix.address, bits: prefix.bits, peer: p.index })
        keys.push(`${prefix.toString()}>${p.index}`)
      }
    }
    const key = keys.join(' ')
    if (key !== this.routesKey) {
      try {
        this.fwd.setRoutes(routes)
      } catch (e) {
        this.logger.error('cannot upload forwarding routes', { error: errorMessage(e) })
        return
      }
      this.routesKey = key
    }
    this.freeList.push(...this.released.splice(0).reverse())
  }

  private ref(group: string): void {
    const g = this.groups.get(group)
    if (g !== undefined) g.peers++
    else this.groups.set(group, { id: this.nextGroup++, peers: 1 })
  }

  private unref(group: string): void {
    const g = this.groups.get(group)
    if (g !== undefined && --g.peers === 0) this.groups.delete(group)
  }
}
