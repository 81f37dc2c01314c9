/**
 * vpcmesh's routing table: one table per TUN (see {@link routeTableFor}) holding the routes
 * into the TUN and `throw` entries (see route-plan.ts). Read back with `ip -json route`,
 * diffed against the plan, then `ip route replace` what is missing before `ip route del` of
 * what is no longer wanted. Everything in the table is ours; routes are also marked with our
 * route protocol number. Earlier versions put routes into the main table: those (our
 * protocol, our TUN) are removed.
 */
import { type IpFamily, parsePrefix } from '@vpcmesh/cidr'
import { type CommandRunner, commandError } from './runner.js'
import { EXPECTED_FAILURES, runExpecting } from './expected-failures.js'
import { parseJsonArray } from './json-output.js'

/**
 * Route protocol number that marks routes vpcmesh added (`ip route … proto 112`). Unassigned
 * in the kernel's rtnetlink.h and iproute2's rt_protos as of 2025-06-01.
 */
export const VPCMESH_ROUTE_PROTOCOL = 112

/** One route as read from `ip -json route show`: through a link, or a `throw` entry. */
export interface OwnedRoute {
  /** Canonical CIDR. */
  prefix: string
  /** The link the route points at; '' for a throw entry. */
  dev: string
  /** Route metric when `ip` printed one (IPv6 always does); undefined means the default. */
  metric?: number | undefined
  /** 'throw' for a throw entry; undefined for a route through `dev`. */
  type?: 'throw' | undefined
  /** Route protocol when `ip` printed it as a number (it prints names for the well-known ones). */
  proto?: number | undefined
}

/** The commands a route change needs, in order: all replaces, then all deletions. */
export interface RouteDiff {
  /** Prefixes to `ip route replace PREFIX dev TUN`, in the order they were desired. */
  replace: string[]
  /** Prefixes to `ip route replace throw PREFIX`, in the order they were desired. */
  replaceThrow: string[]
  /** Routes to delete, sorted by prefix. */
  del: OwnedRoute[]
}

/** Where our routes live: table number and route protocol. */
export interface RouteTarget {
  /** Routing table id, 1-2^31-1 except 253-255 (default, main, local). */
  table: number
  /** Route protocol number. */
  proto: number
}

/**
 * The routing table of a TUN when the operator names none: 0x7600 plus 12 bits of a hash of
 * its name (30208-34303), so that agents with different TUNs on one host never share a table.
 */
export function routeTableFor(tunName: string): number {
  let h = 0x811c9dc5
  for (const ch of Buffer.from(tunName, 'utf8')) h = Math.imul(h ^ ch, 0x01000193) >>> 0
  return 0x7600 + (h & 0xfff)
}

/** The metric `ip route replace` uses when none is given: 0 for IPv4, 1024 for IPv6. */
function defaultMetric(family: IpFamily): number {
  return family === 4 ? 0 : 1024
}

/** Family of a canonical CIDR text. */
function familyOfText(prefix: string): IpFamily {
  return prefix.includes(':') ? 6 : 4
}

/** Turns an `ip` dst (`default`, `10.0.0.1`, `10.0.0.0/8`) into a canonical CIDR. */
function canonicalDst(dst: string, family: IpFamily): string {
  if (dst === 'default') return family === 4 ? '0.0.0.0/0' : '::/0'
  return parsePrefix(dst, { strict: false }).toString()
}

/**
 * Parses the JSON array printed by `ip -json route show …` (without a `dev` filter). Throw
 * entries come back with type 'throw' and dev ''; other entries without a dev (blackhole,
 * unreachable) are skipped unless `allTypes` (then their dev is '').
 * @throws LinuxNetError VPCMESH_ERR_LINUXNET_OUTPUT when the text is not such an array
 */
export function parseRouteList(json: string, family: IpFamily, allTypes = false): OwnedRoute[] {
  const out: OwnedRoute[] = []
  for (const r of parseJsonArray(json, 'ip -json route') as Array<Record<string, unknown>>) {
    if (typeof r.dst !== 'string') continue
    const metric = typeof r.metric === 'number' ? r.metric : undefined
    const proto = typeof r.protocol === 'string' && /^\d+$/.test(r.protocol) ? Number(r.protocol) : undefined
    const extra = proto === undefined ? {} : { proto }
    if (r.type === 'throw') out.push({ prefix: canonicalDst(r.dst, family), dev: '', metric, type: 'throw', ...extra })
    else if (typeof r.dev === 'string' || allTypes)
      out.push({ prefix: canonicalDst(r.dst, family), dev: typeof r.dev === 'string' ? r.dev : '', metric, ...extra })
  }
  return out
}

/** True when `r` has the metric `ip route replace` gives when none is named. */
function atDefaultMetric(r: OwnedRoute): boolean {
  return r.metric === undefined || r.metric === defaultMetric(familyOfText(r.prefix))
}

/** True when `r` is exactly what `ip route replace r.prefix dev tun` (or `throw r.prefix`) creates. */
function isKeeper(r: OwnedRoute, tun: string, asThrow: boolean): boolean {
  return (asThrow ? r.type === 'throw' : r.type === undefined && r.dev === tun) && atDefaultMetric(r)
}

/** Orders routes by prefix (IPv4 first, then address, then length), then link name. */
function compareRoutes(a: OwnedRoute, b: OwnedRoute): number {
  return parsePrefix(a.prefix).compare(parsePrefix(b.prefix)) || (a.dev < b.dev ? -1 : a.dev > b.dev ? 1 : 0)
}

/**
 * Pure diff of our table against the desired routes on `tun` and throw entries. A desired
 * entry already present exactly (same type, link, default metric) is left alone (its keeper);
 * otherwise it is replaced, which also overwrites a same-prefix entry at the default metric
 * (make-before-break). Every other entry is deleted.
 * @param desired - canonical prefixes into the TUN; `replace` keeps their order
 * @param throws - canonical prefixes to give throw entries; none may also be in `desired`
 */
export function diffRoutes(
  current: readonly OwnedRoute[],
  desired: readonly string[],
  tun: string,
  throws: readonly string[] = [],
): RouteDiff {
  const want = new Map<string, boolean>([
    ...desired.map((p) => [p, false] as const),
    ...throws.map((p) => [p, true] as const),
  ])
  const keepers = new Set<OwnedRoute>()
  const kept = new Set<string>()
  for (const r of current) {
    const asThrow = want.get(r.prefix)
    if (asThrow !== undefined && isKeeper(r, tun, asThrow) && !kept.has(r.prefix)) {
      keepers.add(r)
      kept.add(r.prefix)
    }
  }
  const replace = desired.filter((p) => !kept.has(p))
  const replaceThrow = throws.filter((p) => !kept.has(p))
  const replaced = new Set([...replace, ...replaceThrow])
  const overwritten = (r: OwnedRoute): boolean => replaced.has(r.prefix) && atDefaultMetric(r)
  const del = current.filter((r) => !keepers.has(r) && !overwritten(r)).sort(compareRoutes)
  return { replace, replaceThrow, del }
}

/** Reads every entry of our table `table`, IPv4 then IPv6 (none on a kernel without IPv6). */
export async function readTable(runner: CommandRunner, table: number): Promise<OwnedRoute[]> {
  return await readRoutes(runner, ['table', String(table)], false)
}

/** The main table, split into routes of ours that versions before 0.2 left there and the rest. */
export interface MainTable {
  /** Routes with our protocol on our TUN (removed: our routes live in our own table now). */
  ours: OwnedRoute[]
  /** Everyone else's routes, every type (a blackhole has dev ''): the operator's and the kernel's. */
  others: OwnedRoute[]
}

/** Reads the main table once (both families) and splits it; see {@link MainTable}. */
export async function readMainTable(runner: CommandRunner, proto: number, tun: string): Promise<MainTable> {
  const all = await readRoutes(runner, ['table', 'main'], true)
  const isOurs = (r: OwnedRoute): boolean => r.dev === tun && r.proto === proto
  return { ours: all.filter(isOurs), others: all.filter((r) => !isOurs(r)) }
}

/** `ip -json route show SELECTORS` for both families. */
async function readRoutes(runner: CommandRunner, selectors: string[], allTypes: boolean): Promise<OwnedRoute[]> {
  const out: OwnedRoute[] = []
  for (const family of [4, 6] as const) {
    const argv = ['ip', `-${family}`, '-json', 'route', 'show', ...selectors]
    // a table with no entry yet reads as empty, and so does IPv6 on a host without it
    const r = await runExpecting(runner, argv, family === 4 ? ['noTable'] : ['noTable', 'noFamily'])
    if (r !== undefined) out.push(...parseRouteList(r.stdout, family, allTypes))
  }
  return out
}

/** argv deleting one route exactly (metric included when known) from `table`. */
export function routeDelArgv(r: OwnedRoute, table: number | 'main'): string[] {
  const argv =
    r.type === 'throw'
      ? ['ip', 'route', 'del', 'throw', r.prefix, 'table', String(table)]
      : ['ip', 'route', 'del', r.prefix, 'dev', r.dev, 'table', String(table)]
  return r.metric === undefined ? argv : [...argv, 'metric', String(r.metric)]
}

/** Deletes one route; one that is already gone ("No such process") counts as deleted. */
export async function deleteRoute(runner: CommandRunner, r: OwnedRoute, table: number | 'main'): Promise<void> {
  const argv = routeDelArgv(r, table)
  await runExpecting(runner, argv, ['noRoute'])
}

/**
 * Diffs with more route commands than this go to `ip` as one batch (`ip -batch -`): one
 * process instead of one per route. Spawning a process blocks the agent's JS thread (and with
 * it the data plane) for about 2 ms, so a map with 2,000 new prefixes cost 4 s of stalls one
 * by one. Smaller diffs (the usual single change) keep one command per route, whose failure
 * names the exact route.
 */
export const ROUTE_BATCH_MIN = 8

/**
 * Applies a diff to table `t.table`: every replace first (the new path exists before the old
 * one goes; throw entries before routes, so a more specific main-table route is never
 * shadowed, not even for a moment), then every deletion. Large diffs go in batches (see
 * {@link ROUTE_BATCH_MIN}): the replaces in one `ip -batch -`, which stops at the first
 * failure like the single commands do; the deletions in one `ip -force -batch -`, where a
 * route that is already gone is fine and any other failure is an error.
 * @returns true when any command was issued
 */
export async function applyRouteDiff(
  runner: CommandRunner,
  diff: RouteDiff,
  tun: string,
  t: RouteTarget,
): Promise<boolean> {
  const where = ['table', String(t.table), 'proto', String(t.proto)]
  const replaces = [
    ...diff.replaceThrow.map((p) => ['ip', 'route', 'replace', 'throw', p, ...where]),
    ...diff.replace.map((p) => ['ip', 'route', 'replace', p, 'dev', tun, ...where]),
  ]
  if (replaces.length > ROUTE_BATCH_MIN) await runner.run(['ip', '-batch', '-'], { input: batchInput(replaces) })
  else for (const argv of replaces) await runner.run(argv)
  if (diff.del.length > ROUTE_BATCH_MIN)
    await deleteBatch(
      runner,
      diff.del.map((r) => routeDelArgv(r, t.table)),
    )
  else for (const r of diff.del) await deleteRoute(runner, r, t.table)
  return replaces.length + diff.del.length > 0
}

/** `ip -batch` input: one command per line without the leading `ip` (prefixes and link names never hold spaces). */
function batchInput(commands: readonly string[][]): string {
  return `${commands.map((argv) => argv.slice(1).join(' ')).join('\n')}\n`
}

/**
 * Runs route deletions as one `ip -force -batch -` (every line is tried). Failures that only
 * say a route is already gone are fine.
 * @throws LinuxNetError VPCMESH_ERR_LINUXNET_COMMAND when any line failed otherwise
 */
async function deleteBatch(runner: CommandRunner, commands: readonly string[][]): Promise<void> {
  const argv = ['ip', '-force', '-batch', '-']
  const res = await runner.run(argv, { input: batchInput(commands), allowFail: true })
  if (res.code === 0) return
  const other = res.stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^Command failed -:\d+$/.test(l) && !EXPECTED_FAILURES.noRoute.test(l))
  if (other.length > 0) throw commandError(argv, res.code, res.stdout, res.stderr)
}
