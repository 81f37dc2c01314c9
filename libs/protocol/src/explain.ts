import { z } from 'zod'
import { AgentPeerState, SkippedRouteState, TunnelPeerId } from './agent-status.js'
import { CidrText, VpcId, VpcName } from './names.js'

/**
 * `vpcmesh explain SRC DST`: the REST request and answer (`POST /v1/explain`) and the probe
 * frames the controller exchanges with agents to gather live evidence (docs/protocol.md,
 * "Probe frames"; docs/operations.md, "Explaining a flow"). Every list is bounded so a probe
 * answer stays far below MAX_FRAME_BYTES.
 */

/** A host name as `explain` accepts it for DST (letters, digits, hyphens, dots; no trailing dot). */
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?)*$/i

/** `POST /v1/explain` body. */
export const ExplainRequest = z
  .object({
    /** An IP address inside a VPC's own prefixes (where the packet starts). */
    src: z.string().min(2).max(45),
    /** An IP address (local or global) or a DNS name, resolved by SRC's agent. */
    dst: z.string().min(1).max(253),
    proto: z.enum(['tcp', 'udp', 'icmp']).optional(),
    port: z.number().int().min(1).max(65_535).optional(),
    /** The VPC (name or id) SRC is in, needed only when several global-mode VPCs hold SRC's address. */
    srcVpc: z.string().min(1).max(64).optional(),
  })
  .strict()
export type ExplainRequest = z.infer<typeof ExplainRequest>

/** The hops of a flow, in the order a packet meets them. */
export const HopName = z.enum(['locate', 'dns', 'route', 'tunnel', 'nat', 'mtu', 'route-back', 'forward'])
export type HopName = z.infer<typeof HopName>

/** `ok`: evidence says it works; `broken`: evidence says it does not; `unknown`: no evidence (agent silent). */
export const HopVerdict = z.enum(['ok', 'broken', 'unknown'])
export type HopVerdict = z.infer<typeof HopVerdict>

/** One hop of the answer: what was looked at, the verdict, and for a broken hop the fix. */
export const ExplainHop = z.object({
  hop: HopName,
  verdict: HopVerdict,
  /** The VPC whose agent supplied the evidence (absent for the controller's own view). */
  vpc: VpcName.optional(),
  /** Facts, one short sentence each, as read now. */
  evidence: z.array(z.string().max(500)).max(32),
  /** What to do about it: set on broken (and sometimes unknown) hops. */
  fix: z.string().max(1000).optional(),
})
export type ExplainHop = z.infer<typeof ExplainHop>

/** `POST /v1/explain` answer. `verdict` is `broken` when any hop is, else `unknown` when any is, else `ok`. */
export const ExplainResponse = z.object({
  src: z.string(),
  dst: z.string(),
  proto: z.enum(['tcp', 'udp', 'icmp']).nullable(),
  port: z.number().int().nullable(),
  hops: z.array(ExplainHop),
  verdict: HopVerdict,
  /** The first broken hop, null when none is. */
  firstBroken: HopName.nullable(),
})
export type ExplainResponse = z.infer<typeof ExplainResponse>

/** What the controller asks an agent to read, live. */
export const ProbeRequest = z
  .object({
    /** Resolve this name the way hosts of the VPC would (the agent's forwarder, else the host resolver). */
    resolve: z.string().regex(HOST_NAME).optional(),
    /** Prefixes whose entry in the agent's routing table is read from the kernel. */
    routes: z.array(CidrText).max(16),
    /** Tunnel peers (`vpc_…` or `vpc_…/gw_…`) whose data-plane state is reported. */
    peers: z.array(TunnelPeerId).max(16),
  })
  .strict()
export type ProbeRequest = z.infer<typeof ProbeRequest>

/** A prefix's entry in the agent's routing table as the kernel has it now. */
export const ProbeRoute = z.object({
  prefix: CidrText,
  /** The device the route points at; null when the table has no entry for exactly this prefix. */
  dev: z.string().max(64).nullable(),
  /** The route type (`unicast`, `throw`, `blackhole`, …); null when absent. */
  type: z.string().max(32).nullable(),
})
export type ProbeRoute = z.infer<typeof ProbeRoute>

/** A base chain of another table on the forward hook whose policy is drop. */
export const ForeignDropChain = z.object({
  family: z.string().max(16),
  table: z.string().max(64),
  chain: z.string().max(64),
  /** The chain has an accept rule for packets coming in from the TUN (`iifname TUN … accept`). */
  acceptsFromTun: z.boolean(),
  /** The chain accepts packets going out to the TUN (`oifname TUN … accept`, or established connections). */
  acceptsToTun: z.boolean(),
})
export type ForeignDropChain = z.infer<typeof ForeignDropChain>

/** The nftables ruleset as the probe read it (`nft -j list ruleset`). */
export const ProbeNft = z.object({
  /** The `inet vpcmesh` table exists. */
  table: z.boolean(),
  /** Rule comments of our table, in order. */
  comments: z.array(z.string().max(120)).max(256),
  /** Elements of our mesh policy sets `local4` and `local6` (prefixes, canonical text). */
  localSet: z.array(z.string().max(49)).max(256),
  foreignDrops: z.array(ForeignDropChain).max(32),
})
export type ProbeNft = z.infer<typeof ProbeNft>

/** A name resolved by the agent. */
export const ProbeDns = z.object({
  name: z.string().max(253),
  /** `forwarder`: the agent's own DNS forwarder (`--dns-listen`); `host`: the host's resolver. */
  via: z.enum(['forwarder', 'host']),
  /** The server asked (`address:port`), null for the host resolver. */
  server: z.string().max(60).nullable(),
  addresses: z.array(z.string().max(45)).max(16),
  /** Why resolution failed; null when it succeeded. */
  error: z.string().max(300).nullable(),
})
export type ProbeDns = z.infer<typeof ProbeDns>

/** What an agent read to answer a {@link ProbeRequest}. Each part is null when it could not be read (see `errors`). */
export const ProbeResult = z.object({
  vpcId: VpcId.nullable(),
  tun: z.object({ name: z.string().max(64), mtu: z.number().int().min(0) }),
  /** The agent's routing table number; null before its first apply. */
  table: z.number().int().nullable(),
  routes: z.array(ProbeRoute).max(16).nullable(),
  /** Mesh prefixes the host routing left out (the status document's skippedRoutes). */
  skippedRoutes: z.array(SkippedRouteState).max(256),
  peers: z.array(AgentPeerState).max(16),
  nft: ProbeNft.nullable(),
  /** `net.ipv4.ip_forward` and `net.ipv6.conf.all.forwarding`; null when unreadable. */
  forwarding: z.object({ ipv4: z.boolean().nullable(), ipv6: z.boolean().nullable() }),
  dns: ProbeDns.nullable(),
  /** What could not be read, one line each. */
  errors: z.array(z.string().max(500)).max(16),
})
export type ProbeResult = z.infer<typeof ProbeResult>

/** Controller → agent: read the evidence of `request` and answer with a `probeResult` of the same id. */
export const ProbeFrame = z.object({
  type: z.literal('probe'),
  id: z.string().min(1).max(64),
  request: ProbeRequest,
})
export type ProbeFrame = z.infer<typeof ProbeFrame>

/** Agent → controller: the answer to `probe` `id`: the result, or why there is none. */
export const ProbeResultFrame = z.object({
  type: z.literal('probeResult'),
  id: z.string().min(1).max(64),
  result: ProbeResult.nullable(),
  error: z.string().max(500).optional(),
})
export type ProbeResultFrame = z.infer<typeof ProbeResultFrame>

/** The hello `features` entry of agents that answer probe frames. */
export const PROBE_FEATURE = 'probe'

/** A probe's outcome as the controller sees it: the agent's result, or why there is none. */
export const ProbeOutcome = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), result: ProbeResult }),
  z.object({ ok: z.literal(false), reason: z.string().max(500) }),
])
export type ProbeOutcome = z.infer<typeof ProbeOutcome>

/**
 * Controller replica → replicas (Redis pub/sub): probe the agent with status key `agent` if you
 * hold its session, and publish the {@link ProbeOutcome} on the reply channel of `id`.
 */
export const RelayedProbe = z.object({
  id: z.string().min(1).max(64),
  agent: z.string().min(1).max(64),
  request: ProbeRequest,
})
export type RelayedProbe = z.infer<typeof RelayedProbe>
