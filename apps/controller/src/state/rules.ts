import { type Prefix, detectFamily, formatAddress, parseAddress, specialRangeProblem } from '@vpcmesh/cidr'
import { WireErrorCode, formatEndpoint, parseEndpoint } from '@vpcmesh/protocol'
import { ApiError } from '../errors.js'

/** An already-registered prefix and the VPC that owns it. */
export interface OwnedPrefix {
  prefix: Prefix
  ownerId: string
}

/**
 * Refuses prefixes that overlap each other or any registered prefix (VPC CIDRs and routes of
 * every VPC, the VPC itself included). `nameOf` names the owner in the message so the operator
 * sees both sides. Pure; throws ApiError VPCMESH_ERR_CIDR_OVERLAP.
 */
export function assertNoOverlap(candidates: Prefix[], existing: OwnedPrefix[], nameOf: (id: string) => string): void {
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i] as Prefix
    for (let j = 0; j < i; j++) {
      const d = candidates[j] as Prefix
      if (c.overlaps(d)) {
        throw new ApiError(
          WireErrorCode.cidrOverlap,
          `${c.toString()} overlaps ${d.toString()} in the same request; give each network once`,
        )
      }
    }
    for (const e of existing) {
      if (c.overlaps(e.prefix)) {
        throw new ApiError(
          WireErrorCode.cidrOverlap,
          `${c.toString()} overlaps ${e.prefix.toString()} of VPC "${nameOf(e.ownerId)}" (${e.ownerId}); registered networks must not overlap`,
        )
      }
    }
  }
}

/** Sorted canonical texts of prefixes. */
export function prefixTexts(prefixes: Prefix[]): string[] {
  return [...prefixes].sort((a, b) => a.compare(b)).map((p) => p.toString())
}

/** A registered endpoint: its owner, canonical text and, when the host is an IP literal, the address. */
export interface OwnedEndpoint {
  ownerId: string
  /** Canonical `host:port` (see {@link canonicalEndpoint}). */
  endpoint: string
  /** 4 or 16 bytes; undefined for a DNS name (which only the agent can check, after resolving it). */
  address: Uint8Array | undefined
}

/**
 * Canonical form of a valid `host:port` endpoint, so that two spellings of one socket compare
 * equal: IP literals in canonical text (RFC 5952 for IPv6), DNS names in lower case.
 * @returns the canonical text and the address for an IP literal
 */
export function canonicalEndpoint(text: string): { endpoint: string; address: Uint8Array | undefined } {
  const e = parseEndpoint(text)
  if (typeof e === 'string') throw new ApiError(WireErrorCode.endpointInvalid, e)
  if (detectFamily(e.host) === undefined)
    return { endpoint: formatEndpoint({ host: e.host.toLowerCase(), port: e.port }), address: undefined }
  const address = parseAddress(e.host)
  return { endpoint: formatEndpoint({ host: formatAddress(address), port: e.port }), address }
}

/**
 * The controller's own addresses that registrations must leave alone: the listen host unless
 * it is unspecified (0.0.0.0, ::), and every advertised address.
 */
export function controllerAddresses(listen: string, advertised: readonly string[]): Uint8Array[] {
  const out = advertised.map((a) => parseAddress(a))
  const e = parseEndpoint(listen)
  if (typeof e !== 'string' && detectFamily(e.host) !== undefined) {
    const a = parseAddress(e.host)
    if (a.some((b) => b !== 0)) out.push(a)
  }
  return out
}

/**
 * Refuses prefixes that must never be routed into the mesh: default routes, loopback,
 * link-local (cloud metadata), multicast, broadcast, IPv4-mapped IPv6 (400
 * VPCMESH_ERR_PREFIX_RESERVED), and prefixes containing one of the controller's addresses
 * (409 VPCMESH_ERR_PREFIX_COVERS_UNDERLAY): every agent would route its control connection
 * into its TUN and could no longer be reached to undo the change. Pure.
 */
export function assertRoutable(candidates: readonly Prefix[], controller: readonly Uint8Array[]): void {
  for (const c of candidates) {
    const why = specialRangeProblem(c)
    if (why !== undefined) throw new ApiError(WireErrorCode.prefixReserved, why)
    const hit = controller.find((a) => c.contains(a))
    if (hit !== undefined) {
      throw new ApiError(
        WireErrorCode.prefixCoversUnderlay,
        `${c.toString()} contains the controller's address ${formatAddress(hit)}; agents would route their control connection into the mesh`,
      )
    }
  }
}

/**
 * Refuses prefixes that contain a registered agent endpoint (409
 * VPCMESH_ERR_PREFIX_COVERS_UNDERLAY): every other agent would send that agent's tunnel
 * datagrams into its own TUN, and the pair would never come up. Pure.
 */
export function assertClearOfEndpoints(
  candidates: readonly Prefix[],
  endpoints: readonly OwnedEndpoint[],
  nameOf: (id: string) => string,
): void {
  for (const c of candidates) {
    for (const e of endpoints) {
      if (e.address !== undefined && c.contains(e.address)) {
        const owner = `VPC "${nameOf(e.ownerId)}" (${e.ownerId})`
        throw new ApiError(
          WireErrorCode.prefixCoversUnderlay,
          `${c.toString()} contains ${e.endpoint}, the tunnel endpoint of ${owner}; tunnel traffic to it would be routed into the mesh`,
        )
      }
    }
  }
}

/**
 * Refuses an endpoint that another VPC already registered (409 VPCMESH_ERR_ENDPOINT_TAKEN),
 * or whose address lies inside a registered prefix (409 VPCMESH_ERR_PREFIX_COVERS_UNDERLAY). Pure.
 */
export function assertEndpointUsable(
  e: OwnedEndpoint,
  endpoints: readonly OwnedEndpoint[],
  prefixes: readonly OwnedPrefix[],
  nameOf: (id: string) => string,
): void {
  const twin = endpoints.find((o) => o.ownerId !== e.ownerId && o.endpoint === e.endpoint)
  if (twin !== undefined) {
    throw new ApiError(
      WireErrorCode.endpointTaken,
      `endpoint ${e.endpoint} is already the tunnel endpoint of VPC "${nameOf(twin.ownerId)}" (${twin.ownerId}); each agent needs its own host:port`,
    )
  }
  const address = e.address
  if (address === undefined) return
  const inside = prefixes.find((p) => p.prefix.contains(address))
  if (inside !== undefined) {
    throw new ApiError(
      WireErrorCode.prefixCoversUnderlay,
      `endpoint ${e.endpoint} lies inside ${inside.prefix.toString()} of VPC "${nameOf(inside.ownerId)}"; tunnel traffic to it would be routed into the mesh`,
    )
  }
}
