/**
 * RouterConfig: the whole desired host state for one TUN, as plain data (tailscale
 * router.Config). The agent builds it purely from the network map; the router applies it.
 */
import { type Prefix, comparePrefixes, isCidrError, parsePrefix } from '@vpcmesh/cidr'
import { errorMessage } from '@vpcmesh/common'
import { LINUXNET_ERROR_CODES, LinuxNetError } from './errors.js'

/** Desired host network state of one agent. */
export interface RouterConfig {
  /** Name of the TUN link (created by the packet engine, not by the router): 1-15 of `A-Za-z0-9_.-`. */
  tunName: string
  /** TUN MTU in bytes: 576-65535, at least 1280 when any IPv6 route is present. */
  mtu: number
  /** Canonical CIDRs (IPv4 and IPv6) routed into the TUN: the remote VPCs' CIDRs and routes. */
  routes: string[]
  /** This VPC's own CIDRs and routes. Never routed into the TUN; a route overlapping one is refused. */
  localCidrs: string[]
  /**
   * true: SNAT (masquerade) traffic that arrives from the mesh through the TUN and leaves
   * towards the local network, so local hosts need no return routes. false: preserve source
   * IPs; the operator must route the remote CIDRs back to this VM.
   */
  masquerade: boolean
  /** Clamp TCP MSS to the route MTU on SYN and SYN/ACK in both directions through the TUN. @default true */
  mssClamp?: boolean
}

/** A validated RouterConfig: prefixes canonical, sorted (IPv4 first) and without duplicates; frozen. */
export interface NormalizedRouterConfig {
  readonly tunName: string
  readonly mtu: number
  readonly routes: readonly string[]
  readonly localCidrs: readonly string[]
  readonly masquerade: boolean
  readonly mssClamp: boolean
}

/** Linux interface names: at most IFNAMSIZ-1 = 15 bytes; this set is also safe inside nft quotes. */
const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/

/** True when `name` is acceptable as a Linux link name here (and safe to quote into nft rules). */
export function isValidLinkName (name: unknown): name is string {
  return typeof name === 'string' && IFNAME.test(name) && name !== '.' && name !== '..'
}

/** Parses, canonicalizes, sorts and de-duplicates prefixes; collects one problem per bad entry. */
function prefixes (field: string, list: unknown, problems: string[]): Prefix[] {
  if (!Array.isArray(list)) { problems.push(`${field} must be an array of CIDR strings`); return [] }
  const out = new Map<string, Prefix>()
  for (const [i, text] of list.entries()) {
    try {
      if (typeof text !== 'string') throw new Error('not a string')
      const p = parsePrefix(text)
      out.set(p.toString(), p)
    } catch (e) {
      problems.push(`${field}[${i}]: ${isCidrError(e) ? e.message : `${JSON.stringify(text)} ${errorMessage(e)}`}`)
    }
  }
  return [...out.values()].sort(comparePrefixes)
}

/** Checks the scalar fields, pushing one problem per bad field. */
function checkScalars (cfg: RouterConfig, hasV6: boolean, problems: string[]): void {
  if (!isValidLinkName(cfg.tunName)) {
    problems.push(`tunName ${JSON.stringify(cfg.tunName)} must be 1-15 characters of A-Z, a-z, 0-9, "_", "." and "-"`)
  }
  const min = hasV6 ? 1280 : 576
  if (!Number.isInteger(cfg.mtu) || cfg.mtu < min || cfg.mtu > 65535) {
    problems.push(`mtu ${String(cfg.mtu)} must be an integer ${min}-65535${hasV6 ? ' (IPv6 routes need at least 1280)' : ''}`)
  }
  if (typeof cfg.masquerade !== 'boolean') problems.push('masquerade must be true or false')
  if (cfg.mssClamp !== undefined && typeof cfg.mssClamp !== 'boolean') problems.push('mssClamp must be true, false or absent')
}

/**
 * Validates a RouterConfig and returns its normalized, frozen form. Reports every problem at
 * once. Pure: touches nothing on the host.
 * @throws LinuxNetError VPCMESH_ERR_LINUXNET_CONFIG listing each problem, e.g. a route that
 *   overlaps a local CIDR (routing our own network into the TUN would cut this VM off from it)
 */
export function normalizeRouterConfig (cfg: RouterConfig): NormalizedRouterConfig {
  const problems: string[] = []
  const routes = prefixes('routes', cfg.routes, problems)
  const locals = prefixes('localCidrs', cfg.localCidrs, problems)
  checkScalars(cfg, routes.some((p) => p.family === 6), problems)
  for (const r of routes) {
    for (const l of locals) {
      if (r.overlaps(l)) problems.push(`route ${r.toString()} overlaps local CIDR ${l.toString()}; it must not be routed into the mesh`)
    }
  }
  if (problems.length > 0) {
    throw new LinuxNetError(LINUXNET_ERROR_CODES.CONFIG, `invalid router config: ${problems.join('; ')}`)
  }
  return Object.freeze({
    tunName: cfg.tunName,
    mtu: cfg.mtu,
    routes: Object.freeze(routes.map(String)),
    localCidrs: Object.freeze(locals.map(String)),
    masquerade: cfg.masquerade,
    mssClamp: cfg.mssClamp ?? true
  })
}
