/**
 * An in-memory UDP network for fake engines: datagrams are copied and delivered to the
 * engine attached at the destination endpoint, or silently lost (like UDP). Delivery is
 * asynchronous and batched by the receiving engine.
 */
import type { UdpEndpoint } from '../engine.js'

/** What the network needs from an attached engine. */
export interface ChannelPort {
  /** Queues a received datagram (already a private copy). */
  receive(datagram: Uint8Array, from: UdpEndpoint): void
}

/** Key of an endpoint in the network's table. */
export function endpointKey(ep: UdpEndpoint): string {
  return `${ep.address}|${ep.port}`
}

/** A shared medium for fake engines, with hooks for tests. */
export class ChannelNetwork {
  private readonly ports = new Map<string, ChannelPort>()
  /** Sees every datagram sent (copies), e.g. to prove no plaintext crosses the wire. */
  onDatagram: ((datagram: Uint8Array, from: UdpEndpoint, to: UdpEndpoint) => void) | undefined
  /** Return true to lose a datagram (loss tests). */
  dropIf: ((datagram: Uint8Array, from: UdpEndpoint, to: UdpEndpoint) => boolean) | undefined

  /** Attaches `port` at `ep`; throws if taken. */
  attach(ep: UdpEndpoint, port: ChannelPort): void {
    const key = endpointKey(ep)
    if (this.ports.has(key)) throw new Error(`channel network: ${key} already attached`)
    this.ports.set(key, port)
  }

  /** Detaches whatever is at `ep`. */
  detach(ep: UdpEndpoint): void {
    this.ports.delete(endpointKey(ep))
  }

  /** Sends a copy of `datagram`. Returns true (a UDP send succeeds even if nobody listens). */
  send(datagram: Uint8Array, from: UdpEndpoint, to: UdpEndpoint): boolean {
    const copy = Uint8Array.from(datagram)
    this.onDatagram?.(copy, from, to)
    if (this.dropIf?.(copy, from, to) === true) return true
    this.ports.get(endpointKey(to))?.receive(copy, { ...from })
    return true
  }
}
