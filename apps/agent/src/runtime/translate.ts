import type { NetMap } from '@vpcmesh/protocol'
import type { DataplaneConfig } from '@vpcmesh/dataplane'
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

/**
 * Turns a map into plain configs. Pure. Every peer's CIDRs and routes are routed into the
 * TUN even before the peer enrolled (no key yet): such traffic is dropped and counted by the
 * data plane instead of leaking onto the underlay. Only peers with a key become tunnel peers.
 * The router gets the controllers' and the peers' underlay addresses too: it never installs
 * a route that would draw the agent's own control or tunnel traffic into the TUN.
 */
export function translate(
  map: NetMap,
  endpoints: ReadonlyMap<string, ResolvedEndpoint | null>,
  o: TranslateOptions,
): HostConfig {
  const peers = map.peers
    .filter((p) => p.publicKey !== null)
    .map((p) => ({
      id: p.id,
      name: p.name,
      publicKey: p.publicKey as string,
      endpoint: endpoints.get(p.id) ?? null,
      allowedPrefixes: [...p.cidrs, ...p.routes],
    }))
  return {
    dataplane: { privateKey: o.privateKey, peers },
    router: {
      tunName: o.tunName,
      mtu: o.mtu,
      routes: map.peers.flatMap((p) => [...p.cidrs, ...p.routes]),
      localCidrs: [...map.self.cidrs, ...map.self.routes],
      controllerAddresses: [...(o.controllerAddresses ?? [])],
      peerEndpoints: [...new Set(peers.flatMap((p) => (p.endpoint === null ? [] : [p.endpoint.address])))],
      masquerade: map.self.masquerade,
      mssClamp: true,
    },
  }
}
