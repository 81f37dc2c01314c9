/**
 * The mesh's routing table as operators ask about it: every prefix routed mesh-wide with the
 * VPC behind it and the prefix inside that VPC, and the lookup "which VPC and which real
 * address is 242.1.2.3?" (longest match). Pure, over the registry records.
 */
import { type Prefix, mapAddress, parseAddress, parsePrefix } from '@vpcmesh/cidr'
import { type RouteEntry, type RouteLookup, routedPrefixPairs } from '@vpcmesh/protocol'
import type { VpcRecord } from '../state/store.js'

/** Every routed prefix of `vpcs`, sorted by prefix (IPv4 first). */
export function routeEntries(vpcs: readonly VpcRecord[]): RouteEntry[] {
  return vpcs
    .flatMap((r) =>
      routedPrefixPairs(r).map((x) => ({
        prefix: x.routed,
        vpc: r.id,
        vpcName: r.name,
        kind: x.kind,
        local: x.local,
        mode: r.mode ?? ('local' as const),
        p: parsePrefix(x.routed),
      })),
    )
    .sort((a, b) => a.p.compare(b.p))
    .map(({ p: _p, ...e }) => e)
}

/**
 * Where `address` (an IP literal) is routed: the longest routed prefix holding it and the
 * address inside its VPC. Undefined when no routed prefix holds it (or it is not an address).
 */
export function lookupAddress(entries: readonly RouteEntry[], address: string): RouteLookup | undefined {
  let bytes: Uint8Array
  try {
    bytes = parseAddress(address)
  } catch {
    return undefined
  }
  let best: { e: RouteEntry; p: Prefix } | undefined
  for (const e of entries) {
    const p = parsePrefix(e.prefix)
    if (p.contains(bytes) && (best === undefined || p.bits > best.p.bits)) best = { e, p }
  }
  if (best === undefined) return undefined
  const localAddress = mapAddress(bytes, best.p, parsePrefix(best.e.local)) ?? address
  return { address, route: best.e, localAddress }
}

/**
 * The VPCs whose own (local) prefixes hold `address`: where a host with that address may
 * live. Several for a local address shared by global-mode VPCs.
 */
export function vpcsHoldingLocal(vpcs: readonly VpcRecord[], address: string): VpcRecord[] {
  let bytes: Uint8Array
  try {
    bytes = parseAddress(address)
  } catch {
    return []
  }
  return vpcs.filter((r) => [...r.cidrs, ...r.routes].some((c) => parsePrefix(c).contains(bytes)))
}
