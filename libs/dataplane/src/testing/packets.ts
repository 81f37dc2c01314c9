/** Minimal IP packets for tests: headers with the fields the data plane reads, then a payload. */
import { parseAddress } from '@vpcmesh/cidr'

/**
 * An IPv4 packet (RFC 791) from `src` to `dst`: version 4, IHL 5, total length, TTL 64,
 * protocol 253 (RFC 3692 experimental); checksum left zero (nothing on the path checks it).
 */
export function ipv4Packet(src: string, dst: string, payload: Uint8Array = new Uint8Array(8)): Uint8Array {
  const p = new Uint8Array(20 + payload.length)
  p[0] = 0x45
  p[2] = (p.length >> 8) & 0xff
  p[3] = p.length & 0xff
  p[8] = 64
  p[9] = 253
  p.set(parseAddress(src), 12)
  p.set(parseAddress(dst), 16)
  p.set(payload, 20)
  return p
}

/** An IPv6 packet (RFC 8200) from `src` to `dst`: next header 59 (none), hop limit 64. */
export function ipv6Packet(src: string, dst: string, payload: Uint8Array = new Uint8Array(8)): Uint8Array {
  const p = new Uint8Array(40 + payload.length)
  p[0] = 0x60
  p[4] = (payload.length >> 8) & 0xff
  p[5] = payload.length & 0xff
  p[6] = 59
  p[7] = 64
  p.set(parseAddress(src), 8)
  p.set(parseAddress(dst), 24)
  p.set(payload, 40)
  return p
}

/** A payload of `n` bytes carrying `seq` in its first 4 bytes (big-endian), to check delivery order and loss. */
export function seqPayload(seq: number, n = 16): Uint8Array {
  const p = new Uint8Array(Math.max(4, n))
  new DataView(p.buffer).setUint32(0, seq >>> 0)
  return p
}

/** The `seq` of an IPv4 packet built with {@link seqPayload}. */
export function seqOf(packet: Uint8Array): number {
  return new DataView(packet.buffer, packet.byteOffset + 20, 4).getUint32(0)
}
