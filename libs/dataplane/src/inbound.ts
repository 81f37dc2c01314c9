/**
 * The inbound hot path: UDP batch → verdicts → `writeTun`. IP entries are accepted only when
 * their inner source address routes (same table as outbound) to the peer owning the slot
 * that authenticated them, or to a peer of its group (another gateway of the same VPC): a
 * peer cannot spoof another network. Keepalives and control
 * payloads feed liveness; raw datagrams are copied and handed to the handshake code after
 * the batch. Any authenticated entry confirms a fresh session and refreshes liveness; one
 * from a new source address moves the peer's endpoint (roaming).
 */
import type { RouteTable } from '@vpcmesh/cidr'
import { type Clock, type Logger, errorMessage } from '@vpcmesh/common'
import { PacketFlag, PacketKind, Verdict, type PacketEngine, type UdpBatch, type UdpEndpoint } from '@vpcmesh/tun'
import { Drop, type DropCounter } from './drops.js'
import type { Liveness } from './liveness.js'
import { IPV4, IPV6, ipVersion } from './packet.js'
import type { Peer } from './peer.js'
import type { SessionStore } from './session-store.js'
import type { SlotTable } from './slots.js'

/** What the inbound path reads and calls. */
export interface InboundDeps {
  engine: PacketEngine
  clock: Clock
  logger: Logger
  routes: RouteTable<Peer>
  slots: SlotTable
  sessions: SessionStore
  liveness: Liveness
  drops: DropCounter
  /** Handles a copied raw datagram after the batch. */
  onRaw: (datagram: Uint8Array, from: UdpEndpoint, now: number) => void
}

/** The peer the inner source address of an IP packet routes to, or undefined (also for malformed). */
export function sourcePeer(
  routes: RouteTable<Peer>,
  buf: Uint8Array,
  offset: number,
  length: number,
): Peer | undefined {
  const version = ipVersion(buf, offset, length)
  if (version === IPV4.version && length >= IPV4.minHeaderBytes) return routes.lookupV4(buf, offset + IPV4.offsetSource)
  if (version === IPV6.version && length >= IPV6.minHeaderBytes) return routes.lookupV6(buf, offset + IPV6.offsetSource)
  return undefined
}

/** Builds the `onUdpBatch` handler. */
export function createInbound(d: InboundDeps): (batch: UdpBatch) => void {
  const raw: Array<{ datagram: Uint8Array; from: UdpEndpoint }> = []
  // Hot loop: kept in one function on purpose (see CONTRIBUTING.md, Hot paths).
  return (batch: UdpBatch): void => {
    const now = d.clock.monotonic()
    try {
      const { buffer, offsets, lengths, kinds, slots, flags, verdicts } = batch
      for (let i = 0; i < batch.count; i++) {
        const kind = kinds[i] ?? 0
        const off = offsets[i] ?? 0
        const len = lengths[i] ?? 0
        if (kind === PacketKind.Raw) {
          raw.push({ datagram: buffer.slice(off, off + len), from: batch.source(i) })
          continue
        }
        const slot = slots[i] ?? -1
        const peer = d.slots.owner[slot]
        const session = d.slots.session[slot]
        if (peer === undefined || session === undefined) {
          d.drops.add(Drop.no_session)
          continue
        }
        peer.lastReceivedAt = now
        if (!session.confirmed) d.sessions.confirm(peer, session)
        if (((flags[i] ?? 0) & PacketFlag.NewSource) !== 0) d.sessions.setEndpoint(peer, batch.source(i))
        if (kind === PacketKind.Ip) {
          const from = sourcePeer(d.routes, buffer, off, len)
          if (from === peer || (from !== undefined && from.config.group === peer.config.group))
            verdicts[i] = Verdict.Accept
          else
            d.drops.add(
              ipVersion(buffer, off, len) === IPV4.version || ipVersion(buffer, off, len) === IPV6.version
                ? Drop.spoofed_source
                : Drop.malformed,
            )
        } else if (kind === PacketKind.Control) {
          d.liveness.onControl(peer, slot, buffer, off, len, now)
        }
      }
      d.engine.writeTun(batch.count)
    } catch (e) {
      d.logger.error('inbound batch failed', { error: errorMessage(e) })
    }
    d.drops.flush()
    while (raw.length > 0) {
      const r = raw.shift()
      if (r !== undefined) d.onRaw(r.datagram, r.from, now)
    }
  }
}
