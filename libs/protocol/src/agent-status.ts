import { z } from 'zod'
import { MeshVersion, VpcId, VpcName } from './names.js'

/**
 * The agent's local `GET /status` answer (its status server, `--status-listen`, default
 * 127.0.0.1:7701), read by `vpcmesh agent-status`. Open sets (skip reasons, error codes, drop
 * reasons) are plain strings, so a newer agent's additions still parse; fields are never
 * removed without a protocol version bump. docs/operations.md describes the fields.
 */

/** A UDP endpoint `{address, port}`. */
export const UdpEndpointState = z.object({ address: z.string(), port: z.number().int().min(0).max(65_535) })

/** A tunnel peer: a VPC id, or `vpc_…/gw_…` for one gateway of a VPC that has several. */
export const TunnelPeerId = z.string().regex(/^vpc_[0-9a-f]{12}(?:\/gw_[0-9a-f]{12})?$/, {
  message: 'must be a VPC id, or vpc_…/gw_… for one gateway of an HA VPC',
})

/** One configured peer as the data plane sees it. */
export const AgentPeerState = z.object({
  id: TunnelPeerId,
  name: z.string(),
  /** Something authenticated arrived within the liveness window. */
  up: z.boolean(),
  /** Smoothed round-trip time in ms; null before the first pong. */
  rttMs: z.number().min(0).nullable(),
  /** Tunnel UDP payload bytes and data messages, keepalives included. */
  txBytes: z.number().min(0),
  rxBytes: z.number().min(0),
  txPackets: z.number().min(0),
  rxPackets: z.number().min(0),
  /** Seconds since the last completed handshake; null if none. */
  lastHandshakeAgeS: z.number().min(0).nullable(),
  /** Where its packets go now (configured or roamed); null if unknown. */
  endpoint: UdpEndpointState.nullable(),
})
export type AgentPeerState = z.infer<typeof AgentPeerState>

/** A peer entry of the map that the data plane left out, and why. */
export const SkippedPeerState = z.object({
  /** The entry's id as given ('' when it had none). */
  id: z.string(),
  name: z.string(),
  /** A `VPCMESH_ERR_DATAPLANE_*` code (docs/errors.md). */
  code: z.string(),
  message: z.string(),
})
export type SkippedPeerState = z.infer<typeof SkippedPeerState>

/** A mesh prefix the host routing left out: reason `reserved`, `local`, `underlay` or `operator`. */
export const SkippedRouteState = z.object({ prefix: z.string(), reason: z.string(), detail: z.string() })
export type SkippedRouteState = z.infer<typeof SkippedRouteState>

/** Packets and bytes counted by an nftables rule. */
const DenyCounter = z.object({ packets: z.number().min(0), bytes: z.number().min(0) })

/** What the agent has programmed on the host, read back after the last apply. */
export const AgentHostState = z.object({
  /** The agent's routing table; null before the first successful apply. */
  table: z.number().int().nullable(),
  routes: z.array(z.object({ prefix: z.string(), dev: z.string() })),
  /** Prefixes with a `throw` entry in the table (looked up in main instead). */
  throws: z.array(z.string()),
  skippedRoutes: z.array(SkippedRouteState),
  /** The `inet vpcmesh` nftables table exists. */
  nftables: z.boolean(),
  warnings: z.array(z.string()),
  /** Packets from the TUN the mesh policy refused to forward; null when the table is absent. */
  forwardDenied: DenyCounter.nullable(),
  /** Packets from the TUN refused delivery to this host; null when the table is absent. */
  inputDenied: DenyCounter.nullable(),
})
export type AgentHostState = z.infer<typeof AgentHostState>

/** The whole `GET /status` document of an agent. */
export const AgentStatusDocument = z.object({
  /** This agent's VPC name from the applied map; null before the first map. */
  vpc: VpcName.nullable(),
  /** From the applied map or the stored credential; null before enrolment. */
  vpcId: VpcId.nullable(),
  /** Mesh version of the applied map; 0 before the first. */
  appliedVersion: MeshVersion,
  controller: z.object({
    state: z.enum(['idle', 'connecting', 'connected', 'backoff', 'stopped']),
    url: z.string().nullable(),
    lastError: z.string().nullable(),
  }),
  tun: z.object({ name: z.string(), mtu: z.number().int().min(0) }),
  lastReconcileError: z.string().nullable(),
  /** Null before the first successful apply. */
  host: AgentHostState.nullable(),
  peers: z.array(AgentPeerState),
  skippedPeers: z.array(SkippedPeerState),
  /** Data-plane drops since start by reason (`vpcmesh_agent_drops_total`); absent from agents that do not report them. */
  drops: z.record(z.string(), z.number().min(0)).optional(),
})
export type AgentStatusDocument = z.infer<typeof AgentStatusDocument>
