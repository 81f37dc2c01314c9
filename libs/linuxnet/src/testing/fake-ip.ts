/**
 * In-memory model of the `ip link`, `ip addr`, `ip route` and `ip rule` state FakeRunner
 * serves: links with MTU, up flag and addresses; routes in any table keyed like the kernel
 * keys them (table, family, prefix, metric), through a link or `throw`; policy rules.
 */
import { parsePrefix } from '@vpcmesh/cidr'

/** A link in the model. */
export interface FakeLink {
  mtu: number
  up: boolean
  /** Canonical addresses (scope global). */
  addresses: string[]
}

/** A route in the model. */
export interface FakeRoute {
  /** 'main' or a table number as text. */
  table: string
  family: 4 | 6
  /** Canonical CIDR. */
  prefix: string
  /** '' for a throw entry. */
  dev: string
  type: 'unicast' | 'throw'
  /** Route protocol number (4 = static, 3 = boot). */
  proto: number
  metric: number
}

/** Result of a modelled command: exit code and what it prints. */
export interface FakeOutcome {
  code: number
  stdout?: string
  stderr?: string
}

/** Protocol names `ip` reads and prints (iproute2 rt_protos). */
const PROTO_NAMES: Record<string, number> = { redirect: 1, kernel: 2, boot: 3, static: 4 }

/** Parses `proto` text: a name from rt_protos or a number 0-255; undefined if neither. */
export function parseProto(text: string): number | undefined {
  const n = PROTO_NAMES[text] ?? (/^\d{1,3}$/.test(text) ? Number(text) : undefined)
  return n !== undefined && n <= 255 ? n : undefined
}

/** How `ip -json` prints a protocol number. */
function protoText(n: number): string {
  return Object.entries(PROTO_NAMES).find(([, v]) => v === n)?.[0] ?? String(n)
}

/** How `ip` prints a route's dst: `default`, a bare address for a host route, else the CIDR. */
function dstText(r: FakeRoute): string {
  if (r.prefix === '0.0.0.0/0' || r.prefix === '::/0') return 'default'
  return r.prefix.endsWith(r.family === 4 ? '/32' : '/128') ? r.prefix.slice(0, r.prefix.indexOf('/')) : r.prefix
}

/** A policy rule in the model (`ip rule`). */
export interface FakeRule {
  family: 4 | 6
  priority: number
  /** `not fwmark …` when true. */
  not: boolean
  /** Mark as `ip` prints it (`0x766d`), or undefined for no fwmark selector. */
  fwmark: string | undefined
  table: string
  proto: number | undefined
}

/** Selectors of `ip route show` / `ip route del`. */
export interface RouteFilter {
  table?: string
  type?: 'unicast' | 'throw'
  family?: 4 | 6
  prefix?: string
  dev?: string
  proto?: number
  metric?: number
}

/** The mutable model; FakeRunner parses argv and calls these. */
export class FakeIp {
  /** Links by name. */
  readonly links = new Map<string, FakeLink>()
  /** Routes in insertion order (as the kernel lists them within a prefix). */
  routes: FakeRoute[] = []
  /** Policy rules (the kernel's default ones are implied and never listed). */
  rules: FakeRule[] = []

  /** Canonical family-aware route from command arguments, or an error text. */
  route(
    prefixText: string,
    dev: string,
    proto: number,
    metric: number | undefined,
    table = 'main',
    type: 'unicast' | 'throw' = 'unicast',
  ): FakeRoute | string {
    let family: 4 | 6
    let prefix: string
    try {
      const p = parsePrefix(prefixText === 'default' ? '0.0.0.0/0' : prefixText, { strict: false })
      family = p.family
      prefix = p.toString()
    } catch {
      return `Error: any valid prefix is expected rather than "${prefixText}".`
    }
    if (type === 'throw')
      return { table, family, prefix, dev: '', type, proto, metric: metric ?? (family === 4 ? 0 : 1024) }
    const link = this.links.get(dev)
    if (link === undefined) return `Cannot find device "${dev}"`
    if (!link.up) return family === 4 ? 'Error: Device for nexthop is not up.' : 'Error: Nexthop device is not up.'
    return { table, family, prefix, dev, type, proto, metric: metric ?? (family === 4 ? 0 : 1024) }
  }

  /** `ip route replace` (overwrite same family+prefix+metric) or `ip route add` (fail if it exists). */
  put(r: FakeRoute, replace: boolean): FakeOutcome {
    const i = this.routes.findIndex(
      (x) => x.table === r.table && x.family === r.family && x.prefix === r.prefix && x.metric === r.metric,
    )
    if (i >= 0 && !replace) return { code: 2, stderr: 'RTNETLINK answers: File exists' }
    if (i >= 0) this.routes[i] = r
    else this.routes.push(r)
    return { code: 0 }
  }

  /** `ip route del`: removes the first route matching every given selector. */
  del(f: RouteFilter): FakeOutcome {
    const i = this.routes.findIndex((r) => matches(r, f))
    if (i < 0) return { code: 2, stderr: 'RTNETLINK answers: No such process' }
    this.routes.splice(i, 1)
    return { code: 0 }
  }

  /** `ip [-json] route show`: fields like iproute2 prints them (dev/protocol omitted when filtered on). */
  show(f: RouteFilter, json: boolean): string {
    const list = this.routes
      .filter((r) => matches(r, f))
      .map((r) => {
        const o: Record<string, unknown> = r.type === 'throw' ? { type: 'throw', dst: dstText(r) } : { dst: dstText(r) }
        if (f.dev === undefined && r.type !== 'throw') o.dev = r.dev
        if (f.proto === undefined) o.protocol = protoText(r.proto)
        if (r.family === 4 && r.type !== 'throw') o.scope = 'link'
        if (r.family === 6 || r.metric !== 0) o.metric = r.metric
        return o
      })
    if (json) return `${JSON.stringify(list)}\n`
    return list
      .map(
        (o) =>
          `${Object.entries(o)
            .map(([k, v]) => (k === 'dst' ? String(v) : `${k === 'protocol' ? 'proto' : k} ${String(v)}`))
            .join(' ')}\n`,
      )
      .join('')
  }

  /** Sets a link up or down; like the kernel, taking it down drops its routes. */
  setUp(name: string, up: boolean): void {
    const link = this.links.get(name)
    if (link !== undefined) link.up = up
    if (!up) this.routes = this.routes.filter((r) => r.dev !== name)
  }

  /** Deletes a link; like the kernel, its routes go with it. */
  removeLink(name: string): void {
    this.links.delete(name)
    this.routes = this.routes.filter((r) => r.dev !== name)
  }
}

function matches(r: FakeRoute, f: RouteFilter): boolean {
  return (
    (f.table === undefined || r.table === f.table) &&
    (f.type === undefined || r.type === f.type) &&
    (f.family === undefined || r.family === f.family) &&
    (f.prefix === undefined || r.prefix === f.prefix) &&
    (f.dev === undefined || r.dev === f.dev) &&
    (f.proto === undefined || r.proto === f.proto) &&
    (f.metric === undefined || r.metric === f.metric)
  )
}

/** `ip -json rule show` for one family: the kernel's default rules plus ours, by priority. */
export function showRules(rules: readonly FakeRule[], family: 4 | 6): string {
  const defaults: Array<Record<string, unknown>> = [
    { priority: 0, src: 'all', table: 'local' },
    { priority: 32766, src: 'all', table: 'main' },
  ]
  if (family === 4) defaults.push({ priority: 32767, src: 'all', table: 'default' })
  const ours = rules
    .filter((r) => r.family === family)
    .map((r) => {
      const o: Record<string, unknown> = { priority: r.priority }
      if (r.not) o.not = null
      o.src = 'all'
      if (r.fwmark !== undefined) o.fwmark = r.fwmark
      o.table = r.table
      if (r.proto !== undefined) o.protocol = String(r.proto)
      return o
    })
  const all = [...defaults, ...ours].sort((a, b) => (a.priority as number) - (b.priority as number))
  return `${JSON.stringify(all)}\n`
}
