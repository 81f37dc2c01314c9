import { parsePrefix } from '@vpcmesh/cidr'
import type { Route } from 'tencentcloud-sdk-nodejs/tencentcloud/services/vpc/v20170312/vpc_models.js'
import type { RouteTableReport } from './provider.js'
import { formatRouteMark, parseRouteMark } from './tencent-route-mark.js'

/**
 * The next-hop type of every route vpcmesh creates on Tencent Cloud: an ordinary CVM, addressed by
 * its private IPv4 address. (`CVM` is the "public gateway" CVM, a different, console-configured role.)
 */
export const NEXT_HOP_TYPE = 'NORMAL_CVM'

/** Who is writing: the VPC's mesh id and the gateway's private IPv4 address. */
export interface TencentGateway {
  readonly vpcId: string
  readonly gatewayIp: string
}

/** The writes one route table needs, in the order the provider sends them, and what they mean. */
export interface TablePlan {
  readonly routeTableId: string
  /** ReplaceRoutes: our routes re-pointed here or re-marked with the new epoch (full routes with RouteId). */
  readonly replace: Route[]
  /** CreateRoutes: new routes to this gateway. */
  readonly create: Route[]
  /** DeleteRoutes: our routes whose prefix is no longer claimed (RouteId only). */
  readonly remove: Pick<Route, 'RouteId'>[]
  readonly report: RouteTableReport
}

/** The highest epoch recorded on `routes` for `vpcId`, or 0 when none of them is ours. */
export function tableFence(routes: readonly Route[], vpcId: string): number {
  let fence = 0
  for (const r of routes) {
    const mark = parseRouteMark(r.RouteDescription)
    if (mark !== undefined && mark.vpcId === vpcId && mark.epoch > fence) fence = mark.epoch
  }
  return fence
}

/**
 * What `apply` must write to one table so that every claimed IPv4 prefix routes to `me`, marked with
 * `epoch`. IPv6 prefixes are reported as conflicts (the module comment of tencent.ts says why). The
 * caller has already checked the fence. A table that already matches yields a plan with no writes.
 * @param prefixes - canonical prefix text, without duplicates
 */
export function planApply(
  routeTableId: string,
  routes: readonly Route[],
  prefixes: readonly string[],
  epoch: number,
  me: TencentGateway,
): TablePlan {
  const description = formatRouteMark({ vpcId: me.vpcId, epoch })
  const byDest = groupByDestination(routes, me.vpcId)
  const plan = emptyPlan(routeTableId)
  for (const prefix of prefixes) {
    const held = byDest.get(prefix) ?? { ours: [], foreign: [] }
    if (prefix.includes(':') || held.foreign.length > 0) {
      plan.report.conflicts.push(prefix)
      continue
    }
    const [mine, ...extra] = held.ours
    for (const r of extra) plan.remove.push({ RouteId: r.RouteId })
    const target = { DestinationCidrBlock: prefix, GatewayType: NEXT_HOP_TYPE, GatewayId: me.gatewayIp }
    if (mine === undefined) {
      plan.create.push({ ...target, RouteDescription: description })
      plan.report.created.push(prefix)
    } else if (!pointsAt(mine, me.gatewayIp)) {
      plan.replace.push({ ...target, RouteId: mine.RouteId, RouteDescription: description })
      plan.report.replaced.push(prefix)
    } else if (mine.RouteDescription !== description) {
      plan.replace.push({ ...target, RouteId: mine.RouteId, RouteDescription: description })
    }
  }
  const claimed = new Set(prefixes)
  for (const [dest, held] of byDest) {
    if (claimed.has(dest) || held.ours.length === 0) continue
    for (const r of held.ours) plan.remove.push({ RouteId: r.RouteId })
    plan.report.deleted.push(dest)
  }
  return plan
}

/** What `removeAll` must write to one table: delete every route marked for `vpcId`. */
export function planRemoveAll(routeTableId: string, routes: readonly Route[], vpcId: string): TablePlan {
  const plan = emptyPlan(routeTableId)
  for (const [dest, held] of groupByDestination(routes, vpcId)) {
    if (held.ours.length === 0) continue
    for (const r of held.ours) plan.remove.push({ RouteId: r.RouteId })
    plan.report.deleted.push(dest)
  }
  return plan
}

/** True when the plan writes nothing. */
export function planIsEmpty(plan: TablePlan): boolean {
  return plan.replace.length === 0 && plan.create.length === 0 && plan.remove.length === 0
}

type MutableReport = { created: string[]; replaced: string[]; deleted: string[]; conflicts: string[] }
type MutablePlan = TablePlan & { report: MutableReport }

function emptyPlan(routeTableId: string): MutablePlan {
  return {
    routeTableId,
    replace: [],
    create: [],
    remove: [],
    report: { created: [], replaced: [], deleted: [], conflicts: [] },
  }
}

function pointsAt(route: Route, gatewayIp: string): boolean {
  return route.GatewayType === NEXT_HOP_TYPE && route.GatewayId === gatewayIp
}

/** The table's routes by canonical destination, split into ours (marked for `vpcId`) and everyone else's. */
function groupByDestination(routes: readonly Route[], vpcId: string): Map<string, { ours: Route[]; foreign: Route[] }> {
  const out = new Map<string, { ours: Route[]; foreign: Route[] }>()
  for (const r of routes) {
    const dest = canonical(r.DestinationIpv6CidrBlock || r.DestinationCidrBlock)
    if (dest === undefined) continue
    const entry = out.get(dest) ?? { ours: [], foreign: [] }
    const mark = parseRouteMark(r.RouteDescription)
    if (mark !== undefined && mark.vpcId === vpcId && (r.RouteType ?? 'USER') === 'USER') entry.ours.push(r)
    else entry.foreign.push(r)
    out.set(dest, entry)
  }
  return out
}

function canonical(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined
  try {
    return parsePrefix(text, { strict: false }).toString()
  } catch {
    return text
  }
}
