import type { Vpc } from '@vpcmesh/protocol'
import { gatewaysCell, vpcGatewayTable } from './gateway-view.js'
import { formatFields, formatTable, listCell, shellQuote, yesNo } from './output.js'

/** Whether the VPC's agent has enrolled (the controller knows its public key). */
function agentState(vpc: Vpc): string {
  return vpc.publicKey === null ? 'not enrolled' : 'enrolled'
}

/** The `vpc list` table: one row per VPC; GATEWAYS is last so the older columns keep their place. */
export function vpcTable(vpcs: readonly Vpc[]): string {
  const rows = vpcs.map((v) => [
    v.id,
    v.name,
    listCell(v.cidrs.map((c) => withGlobal(v, c))),
    listCell(v.routes.map((c) => withGlobal(v, c))),
    v.endpoint,
    yesNo(v.masquerade),
    agentState(v),
    String(v.version),
    gatewaysCell(v),
  ])
  return formatTable(['ID', 'NAME', 'CIDRS', 'ROUTES', 'ENDPOINT', 'MASQUERADE', 'AGENT', 'VERSION', 'GATEWAYS'], rows)
}

/** A VPC's fields, one a line (the top of `vpc show`, and the confirmation of changes). */
export function vpcFields(vpc: Vpc, indent = ''): string {
  return formatFields(
    [
      ['id', vpc.id],
      ['name', vpc.name],
      ['cidrs', listCell(vpc.cidrs.map((c) => withGlobal(vpc, c)))],
      ['routes', listCell(vpc.routes.map((c) => withGlobal(vpc, c)))],
      ['mode', vpc.mode === 'global' ? 'global (reached at the global prefixes shown after →)' : 'local'],
      ['endpoint', vpc.endpoint],
      ['masquerade', yesNo(vpc.masquerade)],
      ['route table', routeTableCell(vpc)],
      ['agent', vpc.publicKey === null ? 'not enrolled' : `enrolled, public key ${vpc.publicKey}`],
      ['created', vpc.createdAt],
      ['updated', vpc.updatedAt],
      ['version', String(vpc.version)],
    ],
    indent,
  )
}

/** A prefix of a global-mode VPC with its global prefix (`10.0.0.0/24→242.0.0.0/24`); others as they are. */
export function withGlobal(vpc: Vpc, prefix: string): string {
  const g = vpc.globalPrefixes.find((x) => x.local === prefix)
  return g === undefined ? prefix : `${prefix}→${g.global}`
}

/** `none`, `aws`, ... or `vip 10.1.0.254/24`. */
function routeTableCell(vpc: Vpc): string {
  const rt = vpc.routeTable
  return rt.vip === undefined ? rt.provider : `${rt.provider} ${rt.vip}`
}

/**
 * The `vpc show` view: the fields, then (for a VPC with gateways) a blank line, `gateways:`
 * and the gateway table. Every line is indented by `indent`, blank lines excepted.
 */
export function vpcDetails(vpc: Vpc, indent = ''): string {
  const fields = vpcFields(vpc, indent)
  if (vpc.gateways.length === 0) return fields
  const table = vpcGatewayTable(vpc)
    .split('\n')
    .map((l) => `${indent}  ${l}`)
  const lines = [fields, '', `${indent}gateways:`, ...table]
  if (vpc.gateways.length > 1 && vpc.active === null) lines.push(`${indent}  (no gateway elected active yet)`)
  return lines.join('\n')
}

/** One prefix a VPC serves: its own CIDR or an extra route, as routed mesh-wide and as inside the VPC. */
export interface PrefixRow {
  /** The prefix every other agent routes (the global one of a global-mode VPC's IPv4 prefix). */
  readonly prefix: string
  /** The prefix inside the VPC. */
  readonly local: string
  readonly kind: 'cidr' | 'route'
  readonly vpc: Vpc
}

/** Every prefix of `vpcs`, in list order, own CIDRs before routes. */
export function prefixRows(vpcs: readonly Vpc[]): PrefixRow[] {
  const row = (vpc: Vpc, local: string, kind: 'cidr' | 'route'): PrefixRow => ({
    prefix: vpc.globalPrefixes.find((g) => g.local === local)?.global ?? local,
    local,
    kind,
    vpc,
  })
  return vpcs.flatMap((vpc) => [
    ...vpc.cidrs.map((c) => row(vpc, c, 'cidr')),
    ...vpc.routes.map((c) => row(vpc, c, 'route')),
  ])
}

/**
 * The `route list` table: which VPC serves which prefix, and whether it is a CIDR or a route;
 * when any prefix is translated (global mode), a LOCAL column with the prefix inside the VPC.
 */
export function prefixTable(rows: readonly PrefixRow[]): string {
  const translated = rows.some((r) => r.local !== r.prefix)
  return formatTable(
    ['PREFIX', 'KIND', 'VPC', 'ID', ...(translated ? ['LOCAL'] : [])],
    rows.map((r) => [r.prefix, r.kind, r.vpc.name, r.vpc.id, ...(translated ? [r.local] : [])]),
  )
}

/** What to show about a fresh join token. */
export interface JoinTokenView {
  /** The VPC's name, or its id when the name is not known. */
  readonly vpc: string
  readonly token: string
  readonly expiresAt: string
  readonly controllerUrl: string
}

/** The join token, shown once, and the exact agent command to run with it. */
export function joinTokenText(v: JoinTokenView): string {
  const lines = [
    `join token for ${v.vpc} (single use, expires ${v.expiresAt}); it is shown only this once:`,
    '',
    `  ${v.token}`,
    '',
    `next step: on the route-target VM of ${v.vpc}, run`,
    `  vpcmesh agent --controller ${shellQuote(v.controllerUrl)} --join-token ${shellQuote(v.token)}`,
  ]
  if (isLoopback(v.controllerUrl)) {
    lines.push(`  (replace ${v.controllerUrl} with the controller address that VM can reach)`)
  }
  return lines.join('\n')
}

function isLoopback(url: string): boolean {
  const host = new URL(url).hostname
  return host === 'localhost' || host === '[::1]' || host.startsWith('127.')
}
