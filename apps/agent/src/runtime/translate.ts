import { type MeshNode, type NetMap, routedPrefixes } from '@vpcmesh/protocol'
import { type Prefix, parsePrefix } from '@vpcmesh/cidr'
import type { DataplaneConfig, PeerConfig } from '@vpcmesh/dataplane'
import type { RouterConfig } from '@vpcmesh/linuxnet'
import type { ResolvedEndpoint } from './endpoint-resolver.js'

/** Host facts translate needs besides the map. */
export interface TranslateOptions {
  /** base64 X25519 private key of this agent. */
  privateKey: string
  tunName: string
  mtu: number
  /** IP addresses of the controllers: routes containing one are not installed. @default [] */
  controllerAddresses?: string[]
}

/** What one map means for this host: the data plane's peers and the router's state. */
export interface HostConfig {
  dataplane: DataplaneConfig
  router: RouterConfig
}

/** The endpoint-map key of gateway `gw` of VPC `vpcId` (VPCs with one gateway use their id). */
export function gatewayKey(vpcId: string, gw: string): string {
  return `${vpcId}/${gw}`
}

/**
 * The tunnel peers of one VPC: one, or one per gateway when it has several. Then all share
 * the VPC's id as their group (any may send from the VPC's prefixes, so a switch loses no
 * in-flight packet), and only the active gateway (else the first) gets the prefixes routed.
 */
function tunnelPeers(p: MeshNode, endpoints: ReadonlyMap<string, ResolvedEndpoint | null>): PeerConfig[] {
  const prefixes = routedPrefixes(p)
  const gws = p.gateways ?? []
  if (gws.length < 2)
    return [
      {
        id: p.id,
        name: p.name,
        publicKey: p.publicKey as string,
        endpoint: endpoints.get(p.id) ?? null,
        allowedPrefixes: prefixes,
      },
    ]
  const lead = gws.find((g) => g.id === p.active?.gateway) ?? gws[0]
  return gws.map((g) => ({
    id: gatewayKey(p.id, g.id),
    name: `${p.name}/${g.name}`,
    publicKey: g.publicKey,
    endpoint: endpoints.get(gatewayKey(p.id, g.id)) ?? null,
    allowedPrefixes: g === lead ? prefixes : [],
    group: p.id,
  }))
}

/**
 * The usable translation pairs of a node of the map (none unless it is in global mode): only
 * pairs whose local prefix is one of its CIDRs or routes, both IPv4 of the same length,
 * neither repeated nor overlapping an earlier pair. A pair that is not (a corrupt map) is left
 * out: that prefix is unreachable from the mesh, and the rest applies. Used for this VPC's
 * prefix NAT and for the DNS answers of peers.
 */
export function globalPairs(node: MeshNode): Array<{ local: string; global: string }> {
  if (node.mode !== 'global') return []
  const mine = new Set([...node.cidrs, ...node.routes])
  const out: Array<{ local: Prefix; global: Prefix }> = []
  for (const g of node.globalPrefixes ?? []) {
    try {
      const local = parsePrefix(g.local)
      const global = parsePrefix(g.global)
      const ok = mine.has(g.local) && local.family === 4 && global.family === 4 && local.bits === global.bits
      if (ok && !out.some((o) => o.local.equals(local) || o.global.overlaps(global))) out.push({ local, global })
    } catch {
      // unparsable: left out
    }
  }
  return out.map((o) => ({ local: o.local.toString(), global: o.global.toString() }))
}

/**
 * The prefix texts that parse. A map entry with an unparsable prefix (a corrupt or hostile
 * map: the wire schema only bounds the text) loses that prefix here, so the router's config
 * stays valid and every other prefix is applied; the data plane skips and reports such a peer.
 */
function parsable(texts: readonly string[]): string[] {
  return texts.filter((t) => {
    try {
      parsePrefix(t)
      return true
    } catch {
      return false
    }
  })
}

/**
 * Turns a map into plain configs. Pure. Every peer's CIDRs and routes are routed into the
 * TUN even before the peer enrolled (no key yet): such traffic is dropped and counted by the
 * data plane instead of leaking onto the underlay. Only peers with a key become tunnel peers.
 * The router gets the controllers' and the peers' underlay addresses too: it never installs
 * a route that would draw the agent's own control or tunnel traffic into the TUN.
 * A global-mode peer is routed (and accepted from) at its global prefixes only; a global-mode
 * self gets its translation pairs, applied by nftables prefix NAT.
 */
export function translate(
  map: NetMap,
  endpoints: ReadonlyMap<string, ResolvedEndpoint | null>,
  o: TranslateOptions,
): HostConfig {
  const peers = map.peers.filter((p) => p.publicKey !== null).flatMap((p) => tunnelPeers(p, endpoints))
  return {
    dataplane: { privateKey: o.privateKey, peers },
    router: {
      tunName: o.tunName,
      mtu: o.mtu,
      routes: parsable(map.peers.flatMap((p) => routedPrefixes(p))),
      localCidrs: parsable([...map.self.cidrs, ...map.self.routes]),
      controllerAddresses: [...(o.controllerAddresses ?? [])],
      peerEndpoints: [...new Set(peers.flatMap((p) => (p.endpoint === null ? [] : [p.endpoint.address])))],
      masquerade: map.self.masquerade,
      mssClamp: true,
      globalNat: globalPairs(map.self),
    },
  }
}
