/**
 * Routes into the TUN: read ours back with `ip -json route`, diff against the desired set,
 * then `ip route replace` what is missing before `ip route del` of what is no longer wanted.
 * Ours are the routes in the main table carrying our route protocol number.
 */
import { type IpFamily, parsePrefix } from '@vpcmesh/cidr'
import { LINUXNET_ERROR_CODES, LinuxNetError } from './errors.js'
import { type CommandRunner, commandError } from './runner.js'

/**
 * Route protocol number that marks routes vpcmesh added (`ip route … proto 112`). Unassigned
 * in the kernel's rtnetlink.h and iproute2's rt_protos as of 2025-06-01.
 */
export const VPCMESH_ROUTE_PROTOCOL = 112

/** One route carrying our protocol, as read from `ip -json route show proto N`. */
export interface OwnedRoute {
  /** Canonical CIDR. */
  prefix: string
  /** The link the route points at. */
  dev: string
  /** Route metric when `ip` printed one (IPv6 always does); undefined means the default. */
  metric?: number | undefined
}

/** The commands a route change needs, in order: all replaces, then all deletions. */
export interface RouteDiff {
  /** Prefixes to `ip route replace PREFIX dev TUN proto N`, in the order they were desired. */
  replace: string[]
  /** Routes of ours to delete, sorted by prefix. */
  del: OwnedRoute[]
}

/** The metric `ip route replace` uses when none is given: 0 for IPv4, 1024 for IPv6. */
function defaultMetric (family: IpFamily): number {
  return family === 4 ? 0 : 1024
}

/** Family of a canonical CIDR text. */
function familyOfText (prefix: string): IpFamily {
  return prefix.includes(':') ? 6 : 4
}

/** Turns an `ip` dst (`default`, `10.0.0.1`, `10.0.0.0/8`) into a canonical CIDR. */
function canonicalDst (dst: string, family: IpFamily): string {
  if (dst === 'default') return family === 4 ? '0.0.0.0/0' : '::/0'
  return parsePrefix(dst, { strict: false }).toString()
}

/**
 * Parses the JSON array printed by `ip -json route show … proto N` (without a `dev` filter).
 * Entries without a dev (blackhole, unreachable) are skipped: we never add those.
 * @throws LinuxNetError VPCMESH_ERR_LINUXNET_OUTPUT when the text is not such an array
 */
export function parseRouteList (json: string, family: IpFamily): OwnedRoute[] {
  let raw: unknown
  try { raw = JSON.parse(json.trim() === '' ? '[]' : json) } catch (e) {
    throw new LinuxNetError(LINUXNET_ERROR_CODES.OUTPUT, `ip -json route printed invalid JSON: ${json.slice(0, 200)}`, { cause: e })
  }
  if (!Array.isArray(raw)) throw new LinuxNetError(LINUXNET_ERROR_CODES.OUTPUT, `ip -json route printed no array: ${json.slice(0, 200)}`)
  const out: OwnedRoute[] = []
  for (const r of raw as Array<Record<string, unknown>>) {
    if (typeof r.dst !== 'string' || typeof r.dev !== 'string') continue
    const metric = typeof r.metric === 'number' ? r.metric : undefined
    out.push({ prefix: canonicalDst(r.dst, family), dev: r.dev, metric })
  }
  return out
}

/** True when `r` is exactly what `ip route replace r.prefix dev tun` creates. */
function isKeeper (r: OwnedRoute, tun: string): boolean {
  return r.dev === tun && (r.metric === undefined || r.metric === defaultMetric(familyOfText(r.prefix)))
}

/** Orders routes by prefix (IPv4 first, then address, then length), then link name. */
function compareRoutes (a: OwnedRoute, b: OwnedRoute): number {
  return parsePrefix(a.prefix).compare(parsePrefix(b.prefix)) || (a.dev < b.dev ? -1 : a.dev > b.dev ? 1 : 0)
}

/**
 * Pure diff of our current routes against the desired prefixes on `tun`. A desired prefix
 * already routed by us to `tun` at the default metric is left alone (its keeper); otherwise
 * it is replaced, which also moves a same-prefix route of ours off another link
 * (make-before-break). Every other route of ours is deleted, except one that the replace
 * overwrites anyway (same prefix at the default metric).
 * @param desired - canonical prefixes; `replace` keeps their order
 */
export function diffRoutes (current: readonly OwnedRoute[], desired: readonly string[], tun: string): RouteDiff {
  const want = new Set(desired)
  const keepers = new Set<OwnedRoute>()
  const kept = new Set<string>()
  for (const r of current) {
    if (want.has(r.prefix) && isKeeper(r, tun) && !kept.has(r.prefix)) { keepers.add(r); kept.add(r.prefix) }
  }
  const replace = [...want].filter((p) => !kept.has(p))
  const replaced = new Set(replace)
  const overwritten = (r: OwnedRoute): boolean =>
    replaced.has(r.prefix) && (r.metric ?? defaultMetric(familyOfText(r.prefix))) === defaultMetric(familyOfText(r.prefix))
  const del = current.filter((r) => !keepers.has(r) && !overwritten(r)).sort(compareRoutes)
  return { replace, del }
}

/** Reads every route of ours in the main table, IPv4 then IPv6 (none on a kernel without IPv6). */
export async function readOwnedRoutes (runner: CommandRunner, proto: number): Promise<OwnedRoute[]> {
  const out: OwnedRoute[] = []
  for (const family of [4, 6] as const) {
    const argv = ['ip', `-${family}`, '-json', 'route', 'show', 'table', 'main', 'proto', String(proto)]
    const r = await runner.run(argv, { allowFail: true })
    if (r.code === 0) out.push(...parseRouteList(r.stdout, family))
    else if (family === 4 || !/Address family not supported/.test(r.stderr)) throw commandError(argv, r.code, r.stdout, r.stderr)
  }
  return out
}

/** argv deleting one route of ours exactly (metric included when known). */
export function routeDelArgv (r: OwnedRoute, proto: number): string[] {
  const argv = ['ip', 'route', 'del', r.prefix, 'dev', r.dev, 'proto', String(proto)]
  return r.metric === undefined ? argv : [...argv, 'metric', String(r.metric)]
}

/** Deletes one route; one that is already gone ("No such process") counts as deleted. */
export async function deleteRoute (runner: CommandRunner, r: OwnedRoute, proto: number): Promise<void> {
  const argv = routeDelArgv(r, proto)
  const res = await runner.run(argv, { allowFail: true })
  if (res.code !== 0 && !/No such process/.test(res.stderr)) {
    throw commandError(argv, res.code, res.stdout, res.stderr)
  }
}

/**
 * Applies a diff: every replace first (the new path exists before the old one goes), then
 * every deletion.
 * @returns true when any command was issued
 */
export async function applyRouteDiff (runner: CommandRunner, diff: RouteDiff, tun: string, proto: number): Promise<boolean> {
  for (const p of diff.replace) await runner.run(['ip', 'route', 'replace', p, 'dev', tun, 'proto', String(proto)])
  for (const r of diff.del) await deleteRoute(runner, r, proto)
  return diff.replace.length + diff.del.length > 0
}
