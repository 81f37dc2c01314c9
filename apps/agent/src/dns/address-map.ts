import { formatAddress, parseAddress } from '@vpcmesh/cidr'
import type { AnswerMapping } from './config.js'

/**
 * Translates `address` (IPv4 or IPv6 text) 1:1 by the first mapping whose `from` prefix holds
 * it: the network bits become `to`'s, the host bits are kept (`10.0.0.7` with
 * `10.0.0.0/24 -> 242.1.0.0/24` gives `242.1.0.7`). Returns undefined when no mapping applies
 * or the text is not an address; never throws.
 */
export function translateAddress(address: string, mappings: readonly AnswerMapping[]): string | undefined {
  if (mappings.length === 0) return undefined
  let bytes: Uint8Array
  try {
    bytes = parseAddress(address)
  } catch {
    return undefined
  }
  const m = mappings.find((x) => x.from.contains(bytes))
  if (m === undefined) return undefined
  const net = m.to.address
  const out = Uint8Array.from(bytes)
  for (let bit = 0; bit < m.to.bits; bit++) {
    const i = bit >> 3
    const mask = 0x80 >> (bit & 7)
    out[i] = (out[i]! & ~mask) | (net[i]! & mask)
  }
  return formatAddress(out)
}
