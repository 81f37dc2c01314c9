/**
 * The outbound hot path: TUN batch → cryptokey routing → `sealAndSend`. For each packet the
 * destination address is read in place, looked up (longest-prefix match) among all peers'
 * allowed prefixes, and the peer's sending slot written to `batch.slots[i]`; otherwise the
 * slot stays -1 and the drop is counted by reason. No allocation per packet, never throws.
 */
import type { RouteTable } from '@vpcmesh/cidr'
import { type Logger, errorMessage } from '@vpcmesh/common'
import type { PacketEngine, TunBatch } from '@vpcmesh/tun'
import { Drop, type DropCounter } from './drops.js'
import { IPV4, IPV6, ipVersion } from './packet.js'
import type { Peer } from './peer.js'

/** What the outbound path reads. */
export interface OutboundDeps {
  engine: PacketEngine
  routes: RouteTable<Peer>
  drops: DropCounter
  logger: Logger
  /** Called after the batch with each peer that had traffic but no session (once per peer per batch). */
  onDemand: (peer: Peer) => void
}

/** The peer a packet is routed to, or a negative {@link Drop} index as `-(reason + 1)`. */
export function routePacket(routes: RouteTable<Peer>, buf: Uint8Array, offset: number, length: number): Peer | number {
  const version = ipVersion(buf, offset, length)
  let peer: Peer | undefined
  if (version === IPV4.version) {
    if (length < IPV4.minHeaderBytes) return -(Drop.malformed + 1)
    peer = routes.lookupV4(buf, offset + IPV4.offsetDestination)
  } else if (version === IPV6.version) {
    if (length < IPV6.minHeaderBytes) return -(Drop.malformed + 1)
    peer = routes.lookupV6(buf, offset + IPV6.offsetDestination)
  } else {
    return -(Drop.malformed + 1)
  }
  return peer ?? -(Drop.no_route + 1)
}

/** Builds the `onTunBatch` handler. */
export function createOutbound(d: OutboundDeps): (batch: TunBatch) => void {
  const demanded: Peer[] = []
  // Hot loop: kept in one function on purpose (see CONTRIBUTING.md, Hot paths).
  return (batch: TunBatch): void => {
    try {
      const { buffer, offsets, lengths, slots } = batch
      for (let i = 0; i < batch.count; i++) {
        const r = routePacket(d.routes, buffer, offsets[i] ?? 0, lengths[i] ?? 0)
        if (typeof r === 'number') {
          d.drops.add(-r - 1)
          continue
        }
        if (r.sendSlot < 0) {
          d.drops.add(Drop.no_session)
          if (!r.demanded) {
            r.demanded = true
            demanded.push(r)
          }
          continue
        }
        slots[i] = r.sendSlot
      }
      d.engine.sealAndSend(batch.count)
    } catch (e) {
      d.logger.error('outbound batch failed', { error: errorMessage(e) })
    }
    d.drops.flush()
    while (demanded.length > 0) {
      const peer = demanded.pop()
      if (peer !== undefined) d.onDemand(peer)
    }
  }
}
