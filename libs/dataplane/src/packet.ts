/**
 * IPv4/IPv6 header fields the data plane reads in place (no parsing, no allocation).
 * Offsets are from the start of the IP packet.
 */

/** The version nibble: high 4 bits of byte 0 (RFC 791 §3.1, RFC 8200 §3). */
export const VERSION_SHIFT = 4

/** IPv4 (https://www.rfc-editor.org/rfc/rfc791#section-3.1). */
export const IPV4 = {
  version: 4,
  /** Smallest header: IHL = 5 words. */
  minHeaderBytes: 20,
  /** Source Address, 4 bytes. */
  offsetSource: 12,
  /** Destination Address, 4 bytes. */
  offsetDestination: 16,
} as const

/** IPv6 (https://www.rfc-editor.org/rfc/rfc8200#section-3). */
export const IPV6 = {
  version: 6,
  /** The fixed header. */
  minHeaderBytes: 40,
  /** Source Address, 16 bytes. */
  offsetSource: 8,
  /** Destination Address, 16 bytes. */
  offsetDestination: 24,
} as const

/** The IP version of the packet at `buf[offset]` (4, 6, or anything else for junk); -1 when empty. */
export function ipVersion(buf: Uint8Array, offset: number, length: number): number {
  return length < 1 ? -1 : (buf[offset] ?? 0) >> VERSION_SHIFT
}
