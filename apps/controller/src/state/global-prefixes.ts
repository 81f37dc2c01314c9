/**
 * Global prefixes of global-mode VPCs: which local prefix is reached at which global prefix.
 * Pure functions; the registry operations call them inside their transactions with the
 * prefixes routed mesh-wide at that version, so an allocation never collides.
 */
import { type Prefix, allocatePrefix, parsePrefix } from '@vpcmesh/cidr'
import { type GlobalPrefix, WireErrorCode } from '@vpcmesh/protocol'
import { ApiError } from '../errors.js'
import type { GlobalRequest } from './store.js'

/**
 * The global prefix of every IPv4 prefix in `locals`: the operator's wish when there is one,
 * else the one it had (`keep`), else the lowest free block of the same length in the pool,
 * avoiding `used` (every prefix routed by other VPCs) and the blocks chosen before it. IPv6
 * prefixes get none (they are routed as they are). Sorted by local prefix.
 * @throws ApiError VPCMESH_ERR_VALIDATION for a wish of another length or family, or for a
 *   prefix the VPC does not have; VPCMESH_ERR_GLOBAL_POOL_EXHAUSTED when the pool is full
 */
export function planGlobalPrefixes(
  locals: readonly Prefix[],
  request: GlobalRequest,
  keep: readonly GlobalPrefix[],
  used: readonly Prefix[],
): GlobalPrefix[] {
  const mine = new Set(locals.map(String))
  for (const w of request.wishes) {
    if (!mine.has(w.local.toString()))
      throw new ApiError(
        WireErrorCode.validation,
        `globalPrefixes: ${w.local.toString()} is not one of the VPC's CIDRs or routes (${[...mine].join(', ')})`,
      )
    if (w.local.family !== 4 || w.global.family !== 4 || w.global.bits !== w.local.bits)
      throw new ApiError(
        WireErrorCode.validation,
        `globalPrefixes: ${w.local.toString()} needs an IPv4 global prefix of the same length ` +
          `/${w.local.bits} (got ${w.global.toString()}); IPv6 prefixes are routed as they are`,
      )
  }
  const wished = new Map(request.wishes.map((w) => [w.local.toString(), w.global]))
  const kept = new Map(keep.map((k) => [k.local, parsePrefix(k.global)]))
  const out: GlobalPrefix[] = []
  const taken: Prefix[] = [...used, ...request.wishes.map((w) => w.global)]
  const v4 = [...locals].filter((l) => l.family === 4).sort((a, b) => a.compare(b))
  // Wished and kept prefixes first, so an allocation never takes a block one of them holds.
  for (const l of v4) {
    const text = l.toString()
    const held = wished.get(text) ?? kept.get(text)
    if (held !== undefined && held.bits === l.bits) {
      if (!wished.has(text)) taken.push(held)
      out.push({ local: text, global: held.toString() })
    }
  }
  for (const l of v4) {
    const text = l.toString()
    if (out.some((g) => g.local === text)) continue
    const got = allocatePrefix(request.pool, l.bits, taken)
    if (got === undefined)
      throw new ApiError(
        WireErrorCode.globalPoolExhausted,
        `the global pool ${request.pool.toString()} has no free /${l.bits} left for ${text}; ` +
          'free some, give globalPrefixes yourself, or configure a larger VPCMESH_GLOBAL_POOL',
      )
    taken.push(got)
    out.push({ local: text, global: got.toString() })
  }
  return out.sort((a, b) => parsePrefix(a.local).compare(parsePrefix(b.local)))
}
