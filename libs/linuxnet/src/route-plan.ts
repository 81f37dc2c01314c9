/**
 * What goes into vpcmesh's routing table, decided purely from the config and host facts.
 *
 * A mesh prefix is routed into the TUN unless routing it would break the host or take over
 * somebody else's route. Such a prefix is skipped and reported, and the rest still applies:
 *
 *   reserved  default route, loopback, link-local, multicast, IPv4-mapped IPv6
 *   local     overlaps this VPC's own CIDRs or routes
 *   underlay  contains an address the agent itself needs outside the tunnel: one of this
 *             host's addresses, the controller's, or a peer's tunnel endpoint
 *   operator  the main table already has a route for exactly this prefix (never taken over)
 *
 * Because vpcmesh's table is looked up before main, every other main-table route that lies
 * inside a routed mesh prefix gets a `throw` entry in our table: the lookup falls through to
 * main for it, so the more specific route keeps winning as it would in one table. The
 * controller's addresses get `throw` entries too: the control connection never follows a
 * route of ours.
 */
import { type Prefix, parseAddress, parsePrefix, prefixFrom, specialRangeProblem } from '@vpcmesh/cidr'
import type { NormalizedRouterConfig } from './router-config.js'

/** Why a mesh prefix was not routed into the TUN; see the module comment. */
export type SkipReason = 'reserved' | 'local' | 'underlay' | 'operator'

/** Every {@link SkipReason}, for metrics with a bounded label. */
export const SKIP_REASONS: readonly SkipReason[] = Object.freeze(['reserved', 'local', 'underlay', 'operator'])

/** A mesh prefix left out of the table, and why. */
export interface SkippedRoute {
  /** Canonical CIDR. */
  prefix: string
  reason: SkipReason
  /** One sentence for people: what it collides with. */
  detail: string
}

/** A route of the main table that is not ours. */
export interface MainRoute {
  /** Canonical CIDR (`0.0.0.0/0` for `default`). */
  prefix: string
  /** Its link, when it has one. */
  dev?: string | undefined
}

/** What the host looks like, read before planning. */
export interface HostFacts {
  /** Canonical addresses on every link but the TUN (the host's underlay and LAN addresses). */
  addresses: readonly string[]
  /** Main-table routes that are not ours. */
  mainRoutes: readonly MainRoute[]
}

/** The desired content of our table. */
export interface TablePlan {
  /** Canonical prefixes routed into the TUN, sorted. */
  routes: string[]
  /** Canonical prefixes with a `throw` entry (lookup continues in main), sorted. */
  throws: string[]
  /** Mesh prefixes left out, in config order. */
  skipped: SkippedRoute[]
}

/** A protected address with what it is, for messages. */
interface Guarded {
  address: Uint8Array
  text: string
  what: string
}

function guarded(cfg: NormalizedRouterConfig, host: HostFacts): Guarded[] {
  const out: Guarded[] = host.addresses.map((a) => ({ address: parseAddress(a), text: a, what: "this host's address" }))
  for (const a of cfg.controllerAddresses)
    out.push({ address: parseAddress(a), text: a, what: "the controller's address" })
  for (const a of cfg.peerEndpoints) out.push({ address: parseAddress(a), text: a, what: "a peer's tunnel endpoint" })
  return out
}

/** Why `p` must not be routed into the TUN, or undefined. */
function skipReason(
  p: Prefix,
  locals: readonly Prefix[],
  guards: readonly Guarded[],
  main: ReadonlyMap<string, MainRoute>,
): SkippedRoute | undefined {
  const prefix = p.toString()
  const special = specialRangeProblem(p)
  if (special !== undefined) return { prefix, reason: 'reserved', detail: special }
  const local = locals.find((l) => l.overlaps(p))
  if (local !== undefined)
    return { prefix, reason: 'local', detail: `${prefix} overlaps this VPC's own ${local.toString()}` }
  const g = guards.find((x) => p.contains(x.address))
  if (g !== undefined)
    return { prefix, reason: 'underlay', detail: `${prefix} contains ${g.what} ${g.text}; it would cut the agent off` }
  const op = main.get(prefix)
  if (op !== undefined) {
    return {
      prefix,
      reason: 'operator',
      detail: `the main table already routes ${prefix}${op.dev === undefined ? '' : ` dev ${op.dev}`}; that route is kept`,
    }
  }
  return undefined
}

/**
 * Plans our table for `cfg` on a host described by `host`. Pure and deterministic.
 */
export function planTable(cfg: NormalizedRouterConfig, host: HostFacts): TablePlan {
  const locals = cfg.localCidrs.map((t) => parsePrefix(t))
  const guards = guarded(cfg, host)
  const main = new Map(host.mainRoutes.filter((r) => !r.prefix.endsWith('/0')).map((r) => [r.prefix, r]))
  const routes: Prefix[] = []
  const skipped: SkippedRoute[] = []
  for (const text of cfg.routes) {
    const p = parsePrefix(text)
    const why = skipReason(p, locals, guards, main)
    if (why === undefined) routes.push(p)
    else skipped.push(why)
  }
  const throws = new Set<string>()
  for (const r of main.values()) {
    const q = parsePrefix(r.prefix)
    if (routes.some((p) => p.contains(q))) throws.add(q.toString())
  }
  for (const a of cfg.controllerAddresses) {
    const bytes = parseAddress(a)
    throws.add(prefixFrom(bytes, bytes.length * 8).toString())
  }
  return { routes: routes.map(String), throws: sortTexts([...throws]), skipped }
}

function sortTexts(texts: string[]): string[] {
  return texts
    .map((t) => parsePrefix(t))
    .sort((a, b) => a.compare(b))
    .map(String)
}
