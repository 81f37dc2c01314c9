/**
 * Allocation of global prefixes (overlapping networks joined through 1:1 prefix translation):
 * the lowest free block of a given size in a pool, and the 1:1 mapping of an address between a
 * local prefix and its global prefix. Not on a packet path: arithmetic is on BigInt.
 */
import { formatAddress } from './address.js'
import { type Prefix, prefixFrom } from './prefix.js'

/** An address as an unsigned integer. */
function toBig(bytes: Uint8Array): bigint {
  let n = 0n
  for (const b of bytes) n = (n << 8n) | BigInt(b)
  return n
}

/** The `len` address bytes of integer `n`. */
function fromBig(n: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len)
  let v = n
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn)
    v >>= 8n
  }
  return out
}

/** First and last address of `p` as integers. */
function span(p: Prefix): { first: bigint; last: bigint } {
  const first = toBig(p.address)
  return { first, last: first + (1n << BigInt(p.maxBits - p.bits)) - 1n }
}

/**
 * The lowest block of prefix length `bits` inside `pool` that overlaps none of `used`, or
 * undefined when the pool has none left. `bits` must be at least the pool's length and of the
 * pool's family; prefixes of `used` of the other family are ignored. O(n log n) in `used`.
 */
export function allocatePrefix(pool: Prefix, bits: number, used: readonly Prefix[]): Prefix | undefined {
  if (!Number.isInteger(bits) || bits < pool.bits || bits > pool.maxBits) return undefined
  const size = 1n << BigInt(pool.maxBits - bits)
  const { first: poolFirst, last: poolLast } = span(pool)
  const taken = used
    .filter((u) => u.family === pool.family && u.overlaps(pool))
    .map(span)
    .sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0))
  let candidate = poolFirst
  for (const t of taken) {
    if (t.last < candidate) continue
    if (t.first > candidate + size - 1n) break
    // Overlaps the candidate block: the next aligned block after it.
    candidate = ((t.last + 1n + size - 1n) / size) * size
    if (candidate > poolLast) return undefined
  }
  if (candidate + size - 1n > poolLast) return undefined
  return prefixFrom(fromBig(candidate, pool.address.length), bits)
}

/**
 * The address that `address` (inside `from`) maps to inside `to`, keeping its host bits: the
 * 1:1 translation between a VPC's local prefix and its global prefix (same length, same
 * family). Undefined when `address` is not inside `from` or the prefixes do not match in size.
 */
export function mapAddress(address: Uint8Array, from: Prefix, to: Prefix): string | undefined {
  if (from.bits !== to.bits || from.family !== to.family || !from.contains(address)) return undefined
  const host = toBig(address) - toBig(from.address)
  return formatAddress(fromBig(toBig(to.address) + host, address.length))
}
