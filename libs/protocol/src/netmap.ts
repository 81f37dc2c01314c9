import { z } from 'zod'
import { CidrText, GatewayId, GatewayName, PublicKey, VpcId, VpcName } from './names.js'

/** A DNS name of labels (letters, digits, inner hyphens), no trailing dot. */
const DNS_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i

/** One gateway (agent) of a VPC that has several. */
export const MeshGateway = z.object({
  id: GatewayId,
  name: GatewayName,
  /** The gateway agent's X25519 public key. */
  publicKey: PublicKey,
  /** Underlay `host:port` of its UDP port, or null (peers wait for it to initiate). */
  endpoint: z.string().nullable(),
})
export type MeshGateway = z.infer<typeof MeshGateway>

/** Which gateway of a VPC holds the active role, under which fencing epoch, since when and why. */
export const ActiveGateway = z.object({
  gateway: GatewayId,
  /** Fencing epoch of its lease: strictly increasing per VPC. */
  epoch: z.number().int().min(0),
  /** ms since the Unix epoch. */
  since: z.number().int().min(0),
  reason: z.enum(['elected', 'failover', 'drain']),
})
export type ActiveGateway = z.infer<typeof ActiveGateway>

/**
 * A DNS zone a VPC serves inside itself: names under `zone` are answered by `server` (an IP
 * address inside the VPC's CIDRs or routes, `address` or `address:port`, port 53 by default),
 * asked as if they were under `rewriteTo` when given (`b.cluster.local` → `cluster.local`).
 */
export const DnsZoneSetting = z
  .object({
    zone: z.string().max(253).regex(DNS_NAME, { message: 'must be a DNS name such as corp.internal' }),
    server: z.string().min(2).max(60),
    rewriteTo: z.string().max(253).regex(DNS_NAME, { message: 'must be a DNS name such as cluster.local' }).optional(),
  })
  .strict()
export type DnsZoneSetting = z.infer<typeof DnsZoneSetting>

/**
 * One IPv4 prefix of a global-mode VPC (a CIDR or route, as the VPC knows it) and the global
 * prefix of the same length the rest of the mesh reaches it at. The VPC's own gateway
 * translates between the two 1:1 (nftables prefix NAT), so only the global prefix is routed.
 */
export const GlobalPrefix = z.object({ local: CidrText, global: CidrText }).strict()
export type GlobalPrefix = z.infer<typeof GlobalPrefix>

/**
 * Address mode of a VPC. `local`: its prefixes are routed mesh-wide as they are and must not
 * overlap any other routed prefix. `global`: each IPv4 prefix is reached at a global prefix
 * (see {@link GlobalPrefix}), so its local prefixes may overlap anything; IPv6 prefixes are
 * routed as they are (docs/architecture.md, "Global addresses").
 */
export const AddressMode = z.enum(['local', 'global'])
export type AddressMode = z.infer<typeof AddressMode>

/** How the VPC's route table follows the active gateway. */
export const RouteTableSetting = z
  .object({
    provider: z.enum(['none', 'vip', 'aws', 'aliyun', 'tencent']),
    /** `vip` only: the floating LAN address with its prefix length, e.g. `10.1.0.254/24`. */
    vip: z.string().min(3).max(49).optional(),
  })
  .strict()
export type RouteTableSetting = z.infer<typeof RouteTableSetting>

/**
 * What an agent needs to know about one network of the mesh (itself or a peer): identity,
 * the prefixes behind it (its CIDRs plus extra routes), where its agent listens, its key.
 */
export const MeshNode = z.object({
  id: VpcId,
  name: VpcName,
  /** The VPC's own CIDRs, canonical text. */
  cidrs: z.array(CidrText),
  /** Extra prefixes behind this VPC (pod/service CIDRs), canonical text. */
  routes: z.array(CidrText),
  /** Underlay endpoint `host:port` of the agent's UDP port. */
  endpoint: z.string(),
  /** Agent's X25519 public key; null until the agent has enrolled. */
  publicKey: PublicKey.nullable(),
  /** Whether traffic from the mesh into this VPC is source-NATed to the agent's address. */
  masquerade: z.boolean(),
  /**
   * Every gateway, when the VPC has more than one. `publicKey` and `endpoint` above are then
   * the active gateway's; peers keep tunnels to all of them and route to the active one.
   */
  gateways: z.array(MeshGateway).max(16).optional(),
  /** The active gateway, once elected (VPCs with more than one gateway). */
  active: ActiveGateway.nullable().optional(),
  /** How the VPC's route table follows the active gateway. Absent: `none`. */
  routeTable: RouteTableSetting.optional(),
  /** DNS zones the VPC serves; other VPCs' agents forward those names to it. */
  dnsZones: z.array(DnsZoneSetting).max(16).optional(),
  /** Absent: `local`. */
  mode: AddressMode.optional(),
  /** Global-mode VPCs: the global prefix of each IPv4 CIDR and route (absent otherwise). */
  globalPrefixes: z.array(GlobalPrefix).max(64).optional(),
})
export type MeshNode = z.infer<typeof MeshNode>

/** A full peer map for one agent at one mesh version. */
export const NetMap = z.object({
  version: z.number().int().min(0),
  /** Store epoch the version belongs to (see Welcome.epoch). */
  epoch: z.string().optional(),
  self: MeshNode,
  peers: z.array(MeshNode),
})
export type NetMap = z.infer<typeof NetMap>

/** What {@link routedPrefixPairs} reads of a node (a map node, an API VPC or a stored record). */
export interface RoutedInput {
  cidrs: readonly string[]
  routes: readonly string[]
  mode?: AddressMode | undefined
  globalPrefixes?: readonly GlobalPrefix[] | undefined
}

/** One prefix of a VPC as the mesh routes it: `routed` is the global prefix of a translated one, else `local`. */
export interface RoutedPrefix {
  local: string
  routed: string
  kind: 'cidr' | 'route'
}

/**
 * Every prefix the rest of the mesh routes to a VPC, in the order of its CIDRs then routes:
 * all of them as they are in local mode; in global mode each IPv4 prefix's global prefix (an
 * IPv4 prefix without one is left out: nobody can reach it) and IPv6 prefixes as they are.
 */
export function routedPrefixPairs(n: RoutedInput): RoutedPrefix[] {
  const globals = new Map(n.mode === 'global' ? (n.globalPrefixes ?? []).map((g) => [g.local, g.global]) : [])
  const pair = (local: string, kind: 'cidr' | 'route'): RoutedPrefix[] => {
    if (n.mode !== 'global' || local.includes(':')) return [{ local, routed: local, kind }]
    const routed = globals.get(local)
    return routed === undefined ? [] : [{ local, routed, kind }]
  }
  return [...n.cidrs.flatMap((c) => pair(c, 'cidr')), ...n.routes.flatMap((c) => pair(c, 'route'))]
}

/** The routed prefixes of a VPC (see {@link routedPrefixPairs}). */
export function routedPrefixes(n: RoutedInput): string[] {
  return routedPrefixPairs(n).map((p) => p.routed)
}
