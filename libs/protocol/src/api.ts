import { z } from 'zod'
import { CidrText, GatewayId, MeshVersion, PublicKey, VpcId, VpcName } from './names.js'
import { ActiveGateway, AddressMode, DnsZoneSetting, GlobalPrefix, MeshGateway, RouteTableSetting } from './netmap.js'
import { PeerStatus } from './messages.js'

/** Most CIDRs (own plus routes) one VPC may carry. */
export const MAX_PREFIXES_PER_VPC = 64

/** POST /v1/vpcs body. Unknown fields are refused, so typos do not pass silently. */
export const CreateVpcRequest = z
  .object({
    name: VpcName,
    cidrs: z.array(CidrText).min(1).max(MAX_PREFIXES_PER_VPC),
    /** Underlay `host:port` where this VPC's agent receives tunnel traffic. */
    endpoint: z.string().min(3).max(300),
    /** Source-NAT mesh traffic into this VPC to the agent's address. @default true */
    masquerade: z.boolean().default(true),
    /** How the VPC's route table follows its active gateway (HA). @default { provider: 'none' } */
    routeTable: RouteTableSetting.optional(),
    /** DNS zones this VPC serves (its servers must be inside its CIDRs or routes). @default [] */
    dnsZones: z.array(DnsZoneSetting).max(16).optional(),
    /** `global`: reached through global prefixes, so its CIDRs may overlap other VPCs'. @default 'local' */
    mode: AddressMode.optional(),
    /** Global mode: the global prefix wanted for some local prefixes; the others are allocated from the pool. */
    globalPrefixes: z.array(GlobalPrefix).max(MAX_PREFIXES_PER_VPC).optional(),
  })
  .strict()
export type CreateVpcRequest = z.infer<typeof CreateVpcRequest>

/** PATCH /v1/vpcs/:id body: any subset, at least one field. */
export const PatchVpcRequest = z
  .object({
    name: VpcName.optional(),
    cidrs: z.array(CidrText).min(1).max(MAX_PREFIXES_PER_VPC).optional(),
    endpoint: z.string().min(3).max(300).optional(),
    masquerade: z.boolean().optional(),
    routeTable: RouteTableSetting.optional(),
    dnsZones: z.array(DnsZoneSetting).max(16).optional(),
    mode: AddressMode.optional(),
    /** Global mode: global prefixes wanted for some local prefixes (the others keep theirs or get one). */
    globalPrefixes: z.array(GlobalPrefix).max(MAX_PREFIXES_PER_VPC).optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, {
    message: 'give at least one of name, cidrs, endpoint, masquerade, routeTable, dnsZones, mode, globalPrefixes',
  })
export type PatchVpcRequest = z.infer<typeof PatchVpcRequest>

/** POST /v1/vpcs/:id/routes body, and the querystring of DELETE /v1/vpcs/:id/routes. */
export const RouteRequest = z.object({ cidr: CidrText }).strict()
export type RouteRequest = z.infer<typeof RouteRequest>

/** POST /v1/vpcs/:id/routes body: the route, and for a global-mode VPC optionally its wanted global prefix. */
export const AddRouteRequest = z.object({ cidr: CidrText, global: CidrText.optional() }).strict()
export type AddRouteRequest = z.infer<typeof AddRouteRequest>

/** GET /v1/routes querystring: with `address`, only the prefix routing it and where it lands. */
export const RouteListQuery = z.object({ address: z.string().min(2).max(45).optional() }).strict()

/** One prefix routed mesh-wide, the VPC behind it and the prefix it is inside that VPC. */
export const RouteEntry = z.object({
  /** The prefix as every other agent routes it (global for a global-mode VPC's IPv4 prefixes). */
  prefix: CidrText,
  vpc: VpcId,
  vpcName: VpcName,
  /** A CIDR of the VPC, or a route behind it. */
  kind: z.enum(['cidr', 'route']),
  /** The prefix inside the VPC (equal to `prefix` unless translated). */
  local: CidrText,
  mode: AddressMode,
})
export type RouteEntry = z.infer<typeof RouteEntry>

/** Where one address lands: its route, and the real address inside the VPC. */
export const RouteLookup = z.object({
  address: z.string(),
  route: RouteEntry,
  /** The address inside the VPC (translated from a global address when the VPC is global). */
  localAddress: z.string(),
})
export type RouteLookup = z.infer<typeof RouteLookup>

/** GET /v1/routes answer. `lookup` only with `?address=`: null when no routed prefix holds it. */
export const RouteListResponse = z.object({
  version: MeshVersion,
  routes: z.array(RouteEntry),
  lookup: RouteLookup.nullable().optional(),
})
export type RouteListResponse = z.infer<typeof RouteListResponse>

/** Path parameters of /v1/vpcs/:id/gateways/:gateway routes. */
export const GatewayParams = z.object({ id: VpcId, gateway: GatewayId })

/** Path parameters of /v1/vpcs/:id routes. */
export const VpcParams = z.object({ id: VpcId })

/** A registered VPC as the API shows it. Times are ISO 8601 UTC. */
export const Vpc = z.object({
  id: VpcId,
  name: VpcName,
  cidrs: z.array(CidrText),
  routes: z.array(CidrText),
  endpoint: z.string(),
  masquerade: z.boolean(),
  publicKey: PublicKey.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Mesh version of the last change to this VPC. */
  version: MeshVersion,
  /** The VPC's gateways (agents), in enrolment order; empty before the first enrolled. */
  gateways: z.array(MeshGateway.extend({ drained: z.boolean(), createdAt: z.string() })),
  /** The active gateway, once elected (VPCs with two or more gateways); `since` is ISO 8601 here. */
  active: ActiveGateway.extend({ since: z.string() }).nullable(),
  routeTable: RouteTableSetting,
  /** DNS zones the VPC serves. */
  dnsZones: z.array(DnsZoneSetting),
  mode: AddressMode,
  /** Global mode: the global prefix of each IPv4 CIDR and route; empty in local mode. */
  globalPrefixes: z.array(GlobalPrefix),
})
export type Vpc = z.infer<typeof Vpc>

/** POST /v1/vpcs answer: the join token is shown once and stored only hashed. */
export const CreateVpcResponse = z.object({
  vpc: Vpc,
  joinToken: z.string(),
  joinTokenExpiresAt: z.string(),
})
export type CreateVpcResponse = z.infer<typeof CreateVpcResponse>

/** POST /v1/vpcs/:id/join-token answer: a fresh single-use join token. */
export const JoinTokenResponse = z.object({ vpcId: VpcId, joinToken: z.string(), joinTokenExpiresAt: z.string() })
export type JoinTokenResponse = z.infer<typeof JoinTokenResponse>

/** GET /v1/vpcs answer. */
export const ListVpcsResponse = z.object({ version: MeshVersion, vpcs: z.array(Vpc) })
export type ListVpcsResponse = z.infer<typeof ListVpcsResponse>

/** GET /v1/vpcs/:id, PATCH and route calls answer. */
export const VpcResponse = z.object({ vpc: Vpc })
export type VpcResponse = z.infer<typeof VpcResponse>

/** One agent's state in GET /v1/status. */
export const AgentStatus = z.object({
  id: VpcId,
  name: VpcName,
  enrolled: z.boolean(),
  connected: z.boolean(),
  appliedVersion: MeshVersion,
  /** Mesh version minus applied version. */
  lag: z.number().int(),
  lastSeen: z.string().nullable(),
  replica: z.string().nullable(),
  observedAddress: z.string().nullable(),
  agentVersion: z.string().nullable(),
  peers: z.array(PeerStatus),
  /** HA VPCs: each gateway's connection and role; empty for a VPC with one gateway. */
  gateways: z.array(
    z.object({
      id: GatewayId,
      name: z.string(),
      active: z.boolean(),
      drained: z.boolean(),
      connected: z.boolean(),
      lastSeen: z.string().nullable(),
      replica: z.string().nullable(),
    }),
  ),
  /** The active gateway, its epoch, since when (ISO 8601) and why; null when none elected. */
  active: ActiveGateway.extend({ since: z.string() }).nullable(),
})
export type AgentStatus = z.infer<typeof AgentStatus>

/** POST /v1/vpcs/:id/gateways/:gateway/drain body: the gateway to move to (default: any connected standby). */
export const DrainRequest = z.object({ to: GatewayId.optional() }).strict()
export type DrainRequest = z.infer<typeof DrainRequest>

/** GET /v1/status answer. */
export const StatusResponse = z.object({ version: MeshVersion, agents: z.array(AgentStatus) })
export type StatusResponse = z.infer<typeof StatusResponse>

/** GET /healthz and /readyz answers. */
export const HealthResponse = z.object({
  status: z.enum(['ok', 'ready', 'unavailable']),
  detail: z.string().optional(),
})
export type HealthResponse = z.infer<typeof HealthResponse>
