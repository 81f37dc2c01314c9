/**
 * The locate hop of `vpcmesh explain`: which VPC a flow starts in and which it reaches, at which
 * addresses (local and as routed mesh-wide), and through which agents. Pure, over the registry
 * records and the agents' connection state.
 */
import { mapAddress, parseAddress, parsePrefix } from '@vpcmesh/cidr'
import { type ExplainHop, type RouteEntry, WireErrorCode } from '@vpcmesh/protocol'
import { ApiError } from '../errors.js'
import { lookupAddress, vpcsHoldingLocal } from '../mesh/route-lookup.js'
import type { VpcRecord } from '../state/store.js'
import { statusKeyOf } from '../state/status-key.js'

/** One end of a flow: its VPC, the agent (active gateway) that serves it, and its addresses. */
export interface FlowEnd {
  vpc: VpcRecord
  /** Status key of the agent to probe (the active gateway's). */
  agent: string
  /** Tunnel peer id other agents know this VPC's active gateway by (`vpc_…` or `vpc_…/gw_…`). */
  peerId: string
  /** The active gateway's name, or null for a VPC with one gateway. */
  gatewayName: string | null
  connected: boolean
  /** The address inside the VPC. */
  local: string
  /** The address as the rest of the mesh routes it (global for a global-mode VPC's IPv4). */
  routed: string
  /** The routed prefix holding `routed`, and the VPC prefix it maps to. */
  entry: RouteEntry
}

/** A located flow. */
export interface Flow {
  src: FlowEnd
  dst: FlowEnd
}

/** Whether the agent with a status key is connected (fresh). */
export type Connected = (agent: string) => boolean

/** The routed prefix of `vpc` whose local prefix holds `address` (longest), with the routed address. */
function routedOf(
  entries: readonly RouteEntry[],
  vpc: VpcRecord,
  address: string,
): { e: RouteEntry; routed: string } | undefined {
  const bytes = parseAddress(address)
  let best: RouteEntry | undefined
  for (const e of entries) {
    if (e.vpc !== vpc.id || !parsePrefix(e.local).contains(bytes)) continue
    if (best === undefined || parsePrefix(e.local).bits > parsePrefix(best.local).bits) best = e
  }
  if (best === undefined) return undefined
  return { e: best, routed: mapAddress(bytes, parsePrefix(best.local), parsePrefix(best.prefix)) ?? address }
}

/** The agent side of a VPC: status key, tunnel peer id, gateway name. */
export function agentOf(v: VpcRecord): { agent: string; peerId: string; gatewayName: string | null } {
  const gws = v.gateways ?? []
  if (gws.length < 2) return { agent: v.id, peerId: v.id, gatewayName: null }
  const active = gws.find((g) => g.id === v.active?.gateway)
  const id = active?.id ?? gws[0]?.id
  return { agent: statusKeyOf(v, id), peerId: `${v.id}/${id}`, gatewayName: active?.name ?? null }
}

/**
 * The VPC SRC is in: the one whose own prefixes hold it (`srcVpc`, a name or id, picks one
 * when several global-mode VPCs share the address).
 * @throws ApiError VPCMESH_ERR_VALIDATION when several hold it and `srcVpc` does not pick one
 */
export function sourceVpc(vpcs: readonly VpcRecord[], src: string, srcVpc?: string): VpcRecord | undefined {
  const holding = vpcsHoldingLocal(vpcs, src).filter(
    (v) => srcVpc === undefined || v.name === srcVpc || v.id === srcVpc,
  )
  if (holding.length > 1)
    throw new ApiError(
      WireErrorCode.validation,
      `${src} is inside VPCs ${holding.map((v) => v.name).join(', ')}; say which with srcVpc (--src-vpc)`,
    )
  return holding[0]
}

/** Builds one end; undefined when `address` is not routed for `vpc`. */
function end(entries: readonly RouteEntry[], vpc: VpcRecord, local: string, connected: Connected): FlowEnd | undefined {
  const r = routedOf(entries, vpc, local)
  if (r === undefined) return undefined
  const a = agentOf(vpc)
  return { vpc, ...a, connected: connected(a.agent), local, routed: r.routed, entry: r.e }
}

/** Evidence about one end. */
function describe(role: 'SRC' | 'DST', e: FlowEnd): string[] {
  const translated = e.routed === e.local ? '' : ` (the mesh routes it as ${e.routed}, prefix ${e.entry.prefix})`
  const gw = e.gatewayName === null ? 'its agent' : `active gateway ${e.gatewayName}`
  return [
    `${role} ${e.local} is in VPC ${e.vpc.name} (${e.vpc.mode ?? 'local'} mode, prefix ${e.entry.local})${translated}`,
    `VPC ${e.vpc.name}: ${gw} ${e.connected ? 'connected' : 'NOT connected to the controller'}`,
  ]
}

/**
 * Locates SRC and DST (an IP address, local or global). Returns the locate hop, and the flow
 * when both ends are known. A disconnected agent makes the hop broken but still gives the flow
 * (the other agent's evidence is still worth reading).
 */
export function locate(
  vpcs: readonly VpcRecord[],
  entries: readonly RouteEntry[],
  req: { src: string; dst: string; srcVpc?: string },
  connected: Connected,
): { hop: ExplainHop; flow?: Flow } {
  const broken = (evidence: string[], fix: string): { hop: ExplainHop } => ({
    hop: { hop: 'locate', verdict: 'broken', evidence, fix },
  })
  const sv = sourceVpc(vpcs, req.src, req.srcVpc)
  if (sv === undefined)
    return broken(
      [`SRC ${req.src} is not inside any VPC's CIDRs or routes`],
      'SRC must be a host address inside a registered VPC; list them with `vpcmesh vpc list`',
    )
  const src = end(entries, sv, req.src, connected)
  if (src === undefined)
    return broken(
      [`SRC ${req.src} is in VPC ${sv.name}, but no routed prefix of it holds the address`],
      `give VPC ${sv.name}'s prefix a global prefix (global mode) so the mesh can reach it`,
    )
  const found = lookupAddress(entries, req.dst)
  if (found === undefined) return broken(...unroutedDst(vpcs, req.dst))
  const dv = vpcs.find((v) => v.id === found.route.vpc) as VpcRecord
  const a = agentOf(dv)
  const dst: FlowEnd = {
    vpc: dv,
    ...a,
    connected: connected(a.agent),
    local: found.localAddress,
    routed: req.dst,
    entry: found.route,
  }
  const evidence = [...describe('SRC', src), ...describe('DST', dst)]
  if (dv.id === sv.id)
    return broken(
      evidence,
      'SRC and DST are in the same VPC: the flow does not cross the mesh, vpcmesh is not on its path',
    )
  const down = [src, dst].filter((e) => !e.connected)
  if (down.length > 0) {
    const names = down.map((e) => e.vpc.name).join(' and ')
    return {
      hop: {
        hop: 'locate',
        verdict: 'broken',
        evidence,
        fix: `start the agent of ${names} (or check its controller URL and credentials); \`vpcmesh status\` shows when it was last seen`,
      },
      flow: { src, dst },
    }
  }
  return { hop: { hop: 'locate', verdict: 'ok', evidence }, flow: { src, dst } }
}

/** Why DST is not routed: a global-mode VPC's local address (use its global one), or nowhere. */
function unroutedDst(vpcs: readonly VpcRecord[], dst: string): [string[], string] {
  const holders = vpcsHoldingLocal(vpcs, dst).filter((v) => v.mode === 'global')
  if (holders.length === 0)
    return [
      [`DST ${dst} is not inside any prefix routed in the mesh`],
      'DST must be an address of a registered VPC (its CIDRs or routes, or their global prefixes); `vpcmesh route list` shows them',
    ]
  const bytes = parseAddress(dst)
  const globals = holders.flatMap((v) =>
    (v.globalPrefixes ?? []).flatMap((g) => {
      const m = mapAddress(bytes, parsePrefix(g.local), parsePrefix(g.global))
      return m === undefined ? [] : [`${m} (VPC ${v.name})`]
    }),
  )
  return [
    [`DST ${dst} is a local address of global-mode VPC ${holders.map((v) => v.name).join(', ')}: not routed mesh-wide`],
    `address it at its global address: ${globals.join(' or ') || 'none allocated'}`,
  ]
}
