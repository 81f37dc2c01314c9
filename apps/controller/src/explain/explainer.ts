/**
 * `POST /v1/explain`: locates the flow in the registry, asks SRC's agent to resolve a DST name,
 * probes both agents at once (through the relay, wherever their sessions are) and turns the
 * evidence into hops. Answers within the probe timeout plus the DNS probe; a silent agent makes
 * its hops `unknown`, never an error.
 */
import { detectFamily } from '@vpcmesh/cidr'
import type { Clock } from '@vpcmesh/common'
import {
  type ExplainHop,
  type ExplainRequest,
  type ExplainResponse,
  type ProbeOutcome,
  type ProbeRequest,
  WireErrorCode,
} from '@vpcmesh/protocol'
import { ApiError } from '../errors.js'
import { routeEntries } from '../mesh/route-lookup.js'
import { isFresh } from '../state/agent-report.js'
import { statusKeys } from '../state/status-key.js'
import type { Store, VpcRecord } from '../state/store.js'
import { dnsHop } from './dns-hop.js'
import { type Connected, type Flow, agentOf, locate, sourceVpc } from './flow.js'
import { forwardHop } from './forward-hop.js'
import { summarize } from './hop-verdicts.js'
import { mtuHop } from './mtu-hop.js'
import { natHop } from './nat-hop.js'
import { routeHop } from './route-hops.js'
import { tunnelHop } from './tunnel-hop.js'

/** Probes one agent by status key; never rejects (the ProbeRelay). */
export type ProbeAgent = (agent: string, request: ProbeRequest) => Promise<ProbeOutcome>

/** Dependencies of {@link explainFlow}. */
export interface ExplainComponents {
  store: Store
  probe: ProbeAgent
  clock: Clock
  /** An agent not heard for this long counts as disconnected, ms. */
  staleMs: number
}

/** A DST name as the request schema lets through but that is not an address. */
const NAME = /^[a-z0-9_](?:[a-z0-9_.-]{0,251}[a-z0-9])?$/i

/** Checks the addresses; DST may be a name. @throws ApiError VPCMESH_ERR_VALIDATION */
function checkRequest(req: ExplainRequest): void {
  if (detectFamily(req.src) === undefined)
    throw new ApiError(WireErrorCode.validation, `src ${JSON.stringify(req.src)} is not an IP address`)
  if (detectFamily(req.dst) === undefined && !NAME.test(req.dst))
    throw new ApiError(
      WireErrorCode.validation,
      `dst ${JSON.stringify(req.dst)} is neither an IP address nor a DNS name`,
    )
}

/** Explains how a packet from `req.src` to `req.dst` would travel. @throws ApiError for bad input, store errors */
export async function explainFlow(c: ExplainComponents, req: ExplainRequest): Promise<ExplainResponse> {
  checkRequest(req)
  const snap = await c.store.snapshot()
  const entries = routeEntries(snap.vpcs)
  const records = new Map((await c.store.agents(statusKeys(snap.vpcs))).map((a) => [a.id, a]))
  const now = c.clock.now()
  const connected: Connected = (key) => isFresh(records.get(key), now, c.staleMs)
  const probe = (agent: string, connectedNow: boolean, r: ProbeRequest): Promise<ProbeOutcome> =>
    connectedNow ? c.probe(agent, r) : Promise.resolve({ ok: false, reason: 'agent not connected' })
  const hops: ExplainHop[] = []
  let dst = req.dst
  if (detectFamily(req.dst) === undefined) {
    const sv = sourceVpc(snap.vpcs, req.src, req.srcVpc)
    if (sv !== undefined) {
      const a = agentOf(sv)
      const outcome = await probe(a.agent, connected(a.agent), { resolve: req.dst, routes: [], peers: [] })
      const d = dnsHop(snap.vpcs, sv.name, req.dst, outcome)
      hops.push(d.hop)
      if (d.address === undefined) return answer(req, [locateNameOnly(sv, req, connected(a.agent)), ...hops])
      dst = d.address
    }
  }
  const located = locate(snap.vpcs, entries, { ...req, dst }, connected)
  hops.unshift(located.hop)
  if (located.flow !== undefined) hops.push(...(await flowHops(located.flow, req.proto, probe)))
  return answer(req, hops)
}

/** The locate hop when DST is a name that did not resolve: SRC is known, DST is not. */
function locateNameOnly(sv: VpcRecord, req: ExplainRequest, connected: boolean): ExplainHop {
  const evidence = [
    `SRC ${req.src} is in VPC ${sv.name}`,
    `VPC ${sv.name}: its agent ${connected ? 'connected' : 'NOT connected to the controller'}`,
    `DST ${req.dst} is a name: see the dns hop`,
  ]
  if (connected) return { hop: 'locate', verdict: 'ok', evidence }
  return {
    hop: 'locate',
    verdict: 'broken',
    evidence,
    fix: `start the agent of ${sv.name}; \`vpcmesh status\` shows when it was last seen`,
  }
}

/** Probes both agents at once and builds the hops after locate. */
async function flowHops(
  flow: Flow,
  proto: ExplainRequest['proto'],
  probe: (agent: string, connected: boolean, r: ProbeRequest) => Promise<ProbeOutcome>,
): Promise<ExplainHop[]> {
  const { src, dst } = flow
  const [so, dout] = await Promise.all([
    probe(src.agent, src.connected, { routes: [dst.entry.prefix], peers: [dst.peerId] }),
    probe(dst.agent, dst.connected, { routes: [src.entry.prefix], peers: [src.peerId] }),
  ])
  const hops: ExplainHop[] = [
    routeHop('route', src.vpc.name, dst.entry.prefix, so),
    tunnelHop(
      { from: src.vpc.name, to: dst.vpc.name, peerId: dst.peerId, outcome: so },
      { from: dst.vpc.name, to: src.vpc.name, peerId: src.peerId, outcome: dout },
    ),
  ]
  const nat = natHop(src, dst, so, dout)
  if (nat !== undefined) hops.push(nat)
  hops.push(
    mtuHop({ vpc: src.vpc.name, outcome: so }, { vpc: dst.vpc.name, outcome: dout }, proto),
    routeHop('route-back', dst.vpc.name, src.entry.prefix, dout),
    forwardHop(
      { vpc: dst.vpc.name, local: dst.local, outcome: dout },
      { vpc: src.vpc.name, local: src.local, outcome: so },
    ),
  )
  return hops
}

/** The answer around `hops`. */
function answer(req: ExplainRequest, hops: ExplainHop[]): ExplainResponse {
  return { src: req.src, dst: req.dst, proto: req.proto ?? null, port: req.port ?? null, hops, ...summarize(hops) }
}
