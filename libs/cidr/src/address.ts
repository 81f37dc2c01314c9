/**
 * IP addresses as bytes: parse text to a `Uint8Array` (4 bytes for IPv4, 16 for IPv6, in
 * network order) and format it back. The byte length is the family; there is no separate
 * address object, so addresses read out of packets need no conversion.
 */
import { CIDR_ERROR_CODES, CidrError, invalidInput } from './errors.js'
import { IPV4_BYTES, formatIPv4Text, parseIPv4Text } from './ipv4.js'
import { IPV6_BYTES, formatIPv6Text, parseIPv6Text } from './ipv6.js'

export { IPV4_BYTES, IPV6_BYTES }

/** An IP address family: 4 or 6. */
export type IpFamily = 4 | 6

/** Address length in bytes for `family`: 4 or 16. */
export function familyBytes(family: IpFamily): number {
  return family === 4 ? IPV4_BYTES : IPV6_BYTES
}

/** The family of an address by its byte length, or `undefined` for any other length. */
export function familyOf(bytes: Uint8Array): IpFamily | undefined {
  if (bytes.length === IPV4_BYTES) return 4
  if (bytes.length === IPV6_BYTES) return 6
  return undefined
}

/**
 * Parses address text of either family; text containing `:` is IPv6.
 * @returns new bytes, or a human reason why `text` is not an address we accept
 */
export function parseAddressText(text: string): Uint8Array | string {
  if (text === '') return 'empty input; expected e.g. 192.0.2.1 or 2001:db8::1'
  if (/\s/.test(text)) return 'contains whitespace; remove it'
  return text.includes(':') ? parseIPv6Text(text) : parseIPv4Text(text)
}

/**
 * Parses IPv4 or IPv6 address text (`192.0.2.1`, `2001:db8::1`, `::ffff:192.0.2.1`).
 * IPv4-mapped IPv6 text stays IPv6 (16 bytes).
 * @returns a new array the caller owns: 4 bytes for IPv4, 16 for IPv6
 * @throws CidrError VPCMESH_ERR_CIDR_INVALID quoting `text` and saying what to fix
 */
export function parseAddress(text: string): Uint8Array {
  const r = parseAddressText(text)
  if (typeof r === 'string') throw invalidInput('IP address', text, r)
  return r
}

/**
 * Parses address text that must be of one family.
 * @throws CidrError VPCMESH_ERR_CIDR_INVALID if `text` is invalid or of the other family
 */
export function parseAddressOf(text: string, family: IpFamily): Uint8Array {
  const bytes = parseAddress(text)
  if (familyOf(bytes) !== family) throw invalidInput('IP address', text, `expected an IPv${family} address`)
  return bytes
}

/** The family `text` parses as, or `undefined` when it is not a valid address. Never throws. */
export function detectFamily(text: string): IpFamily | undefined {
  const r = parseAddressText(text)
  return typeof r === 'string' ? undefined : familyOf(r)
}

/**
 * Formats an address as canonical text: dotted quad for 4 bytes, RFC 5952 for 16 bytes.
 * @param bytes - the buffer holding the address (not modified, not retained)
 * @param offset - where the address starts in `bytes` @default 0
 * @param family - which family to read; @default the family implied by `bytes.length`
 * @throws CidrError VPCMESH_ERR_CIDR_INVALID when no family is given or implied, or the
 *   address does not fit in `bytes` at `offset`
 */
export function formatAddress(bytes: Uint8Array, offset = 0, family = familyOf(bytes)): string {
  const len = family === undefined ? 0 : familyBytes(family)
  if (family === undefined || !Number.isInteger(offset) || offset < 0 || offset + len > bytes.length) {
    throw new CidrError(
      CIDR_ERROR_CODES.invalid,
      `cannot format ${bytes.length} bytes at offset ${offset} as an IP address; pass 4 or 16 bytes, or a family that fits`,
    )
  }
  return family === 4 ? formatIPv4Text(bytes, offset) : formatIPv6Text(bytes, offset)
}
