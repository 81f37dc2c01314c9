/** Source addresses of handshake datagrams as bytes and as rate-limit keys. */
import { parseAddress } from '@vpcmesh/cidr'

/** The bytes of address text (4 for IPv4, 16 for IPv6), or undefined when it is not an address. Never throws. */
export function addressBytes(address: string): Uint8Array | undefined {
  try {
    return parseAddress(address)
  } catch {
    return undefined
  }
}

/**
 * The rate-limit key of a source address: the IPv4 address itself, or the /64 of an IPv6
 * address (one host usually owns a whole /64). IPv4-mapped IPv6 counts as IPv4. Text that is
 * not an address is its own key.
 */
export function sourceKey(address: string): string {
  const bytes = addressBytes(address)
  if (bytes === undefined) return address
  if (bytes.length === 4) return bytes.join('.')
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff)
    return bytes.subarray(12).join('.')
  return `${Buffer.from(bytes.subarray(0, 8)).toString('hex')}/64`
}
