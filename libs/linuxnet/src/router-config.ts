/**
 * RouterConfig: the whole desired host state for one TUN, as plain data (tailscale
 * router.Config). The agent builds it purely from the network map; the router applies it.
 */
import {
  type Prefix,
  comparePrefixes,
  formatAddress,
  isCidrError,
  parseAddress,
  parsePrefix,
  prefixFrom,
} from '@vpcmesh/cidr'
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
  /** This VPC's own CIDRs and routes. Never routed into the TUN; a route overlapping one is skipped and reported. */
  localCidrs: string[]
  /**
   * IP literals of the controller(s) this agent talks to. A route containing one is skipped,
   * and each gets a `throw` entry, so the control connection never enters the TUN. @default []
   */
  controllerAddresses?: string[]
  /** IP literals of the peers' tunnel endpoints; a route containing one is skipped. @default [] */
  peerEndpoints?: string[]
  /**
   * true: SNAT (masquerade) traffic that arrives from the mesh through the TUN and leaves
   * towards the local network, so local hosts need no return routes. false: preserve source
   * IPs; the operator must route the remote CIDRs back to this VM.
   */
  masquerade: boolean
  /** Clamp TCP MSS to the route MTU on SYN and SYN/ACK in both directions through the TUN. @default true */
  mssClamp?: boolean
  /**
   * Global mode: each IPv4 `local` prefix (one of localCidrs) is reached from the mesh at
   * `global` (same length), translated 1:1 by nftables prefix NAT both ways. @default []
   */
  globalNat?: Array<{ local: string; global: string }>
}

/** A validated RouterConfig: prefixes canonical, sorted (IPv4 first) and without duplicates; frozen. */
export interface NormalizedRouterConfig {
  readonly tunName: string
  readonly mtu: number
  readonly routes: readonly string[]
  readonly localCidrs: readonly string[]
  /** Canonical IP texts, sorted, without duplicates. */
  readonly controllerAddresses: readonly string[]
  /** Canonical IP texts, sorted, without duplicates. */
  readonly peerEndpoints: readonly string[]
  readonly masquerade: boolean
  readonly mssClamp: boolean
  /** Canonical IPv4 prefix pairs of equal length, sorted by local prefix. */
  readonly globalNat: ReadonlyArray<{ readonly local: string; readonly global: string }>
}

/** Linux interface names: at most IFNAMSIZ-1 = 15 bytes; this set is also safe inside nft quotes. */
const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/

/** True when `name` is acceptable as a Linux link name here (and safe to quote into nft rules). */
export function isValidLinkName(name: unknown): name is string {
  return typeof name === 'string' && IFNAME.test(name) && name !== '.' && name !== '..'
}

/** Parses, canonicalizes, sorts and de-duplicates prefixes; collects one problem per bad entry. */
function prefixes(field: string, list: unknown, problems: string[]): Prefix[] {
  if (!Array.isArray(list)) {
    problems.push(`${field} must be an array of CIDR strings`)
    return []
  }
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

/** Parses, canonicalizes, sorts and de-duplicates IP literals; collects one problem per bad entry. */
function addresses(field: string, list: unknown, problems: string[]): string[] {
  if (list === undefined) return []
  if (!Array.isArray(list)) {
    problems.push(`${field} must be an array of IP address strings`)
    return []
  }
  const out = new Map<string, Prefix>()
  for (const [i, text] of list.entries()) {
    try {
      if (typeof text !== 'string') throw new Error('not a string')
      const a = parseAddress(text)
      out.set(formatAddress(a), prefixFrom(a, a.length * 8))
    } catch (e) {
      problems.push(`${field}[${i}]: ${isCidrError(e) ? e.message : `${JSON.stringify(text)} ${errorMessage(e)}`}`)
    }
  }
  return [...out.entries()].sort((a, b) => comparePrefixes(a[1], b[1])).map(([t]) => t)
}

/** Checks the scalar fields, pushing one problem per bad field. */
function checkScalars(cfg: RouterConfig, hasV6: boolean, problems: string[]): void {
  if (!isValidLinkName(cfg.tunName)) {
    problems.push(`tunName ${JSON.stringify(cfg.tunName)} must be 1-15 characters of A-Z, a-z, 0-9, "_", "." and "-"`)
  }
  const min = hasV6 ? 1280 : 576
  if (!Number.isInteger(cfg.mtu) || cfg.mtu < min || cfg.mtu > 65535) {
    problems.push(
      `mtu ${String(cfg.mtu)} must be an integer ${min}-65535${hasV6 ? ' (IPv6 routes need at least 1280)' : ''}`,
    )
  }
  if (typeof cfg.masquerade !== 'boolean') problems.push('masquerade must be true or false')
  if (cfg.mssClamp !== undefined && typeof cfg.mssClamp !== 'boolean')
    problems.push('mssClamp must be true, false or absent')
}

/**
 * Validates a RouterConfig and returns its normalized, frozen form. Reports every problem at
 * once. Pure: touches nothing on the host. Routes that may not be installed (they overlap a
 * local CIDR, cover the underlay, …) are not errors here: the router skips and reports them.
 * @throws LinuxNetError VPCMESH_ERR_LINUXNET_CONFIG listing each problem (unparsable prefixes
 *   or addresses, a bad link name or MTU)
 */
export function normalizeRouterConfig(cfg: RouterConfig): NormalizedRouterConfig {
  const problems: string[] = []
  const routes = prefixes('routes', cfg.routes, problems)
  const locals = prefixes('localCidrs', cfg.localCidrs, problems)
  const controllerAddresses = addresses('controllerAddresses', cfg.controllerAddresses, problems)
  const peerEndpoints = addresses('peerEndpoints', cfg.peerEndpoints, problems)
  const globalNat = natPairs(cfg.globalNat, locals, problems)
  checkScalars(
    cfg,
    routes.some((p) => p.family === 6),
    problems,
  )
  if (problems.length > 0) {
    throw new LinuxNetError(LINUXNET_ERROR_CODES.config, `invalid router config: ${problems.join('; ')}`)
  }
  return Object.freeze({
    tunName: cfg.tunName,
    mtu: cfg.mtu,
    routes: Object.freeze(routes.map(String)),
    localCidrs: Object.freeze(locals.map(String)),
    controllerAddresses: Object.freeze(controllerAddresses),
    peerEndpoints: Object.freeze(peerEndpoints),
    masquerade: cfg.masquerade,
    mssClamp: cfg.mssClamp ?? true,
    globalNat: Object.freeze(globalNat.map((g) => Object.freeze(g))),
  })
}

/**
 * Checks the global-mode translation pairs: IPv4 prefixes of equal length, each local one of
 * `locals`, no local or global given twice. Collects one problem per bad pair.
 */
function natPairs(
  list: RouterConfig['globalNat'],
  locals: readonly Prefix[],
  problems: string[],
): Array<{ local: string; global: string }> {
  if (list === undefined) return []
  if (!Array.isArray(list)) {
    problems.push('globalNat must be an array of {local, global}')
    return []
  }
  const out: Array<{ local: Prefix; global: Prefix }> = []
  for (const [i, pair] of list.entries()) {
    try {
      const local = parsePrefix(String(pair?.local))
      const global = parsePrefix(String(pair?.global))
      if (local.family !== 4 || global.family !== 4 || local.bits !== global.bits)
        throw new Error(`${local.toString()} → ${global.toString()} must be IPv4 prefixes of the same length`)
      if (!locals.some((l) => l.equals(local))) throw new Error(`${local.toString()} is not one of localCidrs`)
      if (out.some((o) => o.local.equals(local) || o.global.overlaps(global)))
        throw new Error(`${local.toString()} → ${global.toString()} repeats or overlaps another pair`)
      out.push({ local, global })
    } catch (e) {
      problems.push(`globalNat[${i}]: ${errorMessage(e)}`)
    }
  }
  return out
    .sort((a, b) => comparePrefixes(a.local, b.local))
    .map((g) => ({ local: g.local.toString(), global: g.global.toString() }))
}
