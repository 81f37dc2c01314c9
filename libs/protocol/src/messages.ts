import { z } from 'zod'
import { MeshNode } from './netmap.js'
import { ProbeFrame, ProbeResultFrame } from './explain.js'
import { GatewayId, GatewayName, MeshVersion, PublicKey, VpcId } from './names.js'

/** How an agent proves who it is: a join token once, then its per-agent credential. */
export const AgentAuth = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('join'), token: z.string().min(16).max(128) }),
  z.object({
    kind: z.literal('credential'),
    vpcId: VpcId,
    credential: z.string().min(16).max(128),
    /** The gateway the credential was issued to (welcome.gatewayId); absent for agents enrolled before gateways. */
    gateway: GatewayId.optional(),
  }),
])
export type AgentAuth = z.infer<typeof AgentAuth>

/** Agent → controller, first frame: protocol version, auth, key, what it already has. */
export const Hello = z.object({
  type: z.literal('hello'),
  protocol: z.number().int().min(1),
  agentVersion: z.string().max(64),
  auth: AgentAuth,
  publicKey: PublicKey,
  /** The mesh version the agent last applied; 0 when it has nothing. */
  lastVersion: MeshVersion,
  /** The store epoch `lastVersion` belongs to (from welcome); another epoch means start over. */
  epoch: z.string().max(64).optional(),
  /** This gateway's name and the underlay `host:port` it receives tunnel traffic on (HA gateways). */
  gateway: z
    .object({ name: GatewayName, endpoint: z.string().min(3).max(300).optional() })
    .strict()
    .optional(),
  /**
   * Optional frames this agent understands (e.g. `probe`); the controller sends such a frame
   * only to agents that list it. Older controllers ignore the field.
   */
  features: z.array(z.string().max(32)).max(32).optional(),
})

/** Controller → agent after a good hello. `credential` only on enrolment: store it 0600. */
export const Welcome = z.object({
  type: z.literal('welcome'),
  vpcId: VpcId,
  credential: z.string().optional(),
  /** Interval at which both sides send pings, ms. */
  heartbeatMs: z.number().int().positive(),
  replica: z.string(),
  /** Identity of the store's history: versions of different epochs are unrelated. */
  epoch: z.string(),
  /** The gateway id this agent is (store it with the credential). */
  gatewayId: GatewayId.optional(),
})

/** Controller → agent: the whole map; replaces whatever the agent had. */
export const Snapshot = z.object({
  type: z.literal('snapshot'),
  version: MeshVersion,
  self: MeshNode,
  peers: z.array(MeshNode),
})

/**
 * Controller → agent: the changes between `fromVersion` (which the agent has) and `version`.
 * `upsert` replaces peers by id, `remove` drops peers by id, `self` (if present) replaces self.
 */
export const Delta = z.object({
  type: z.literal('delta'),
  fromVersion: MeshVersion,
  version: MeshVersion,
  self: MeshNode.optional(),
  upsert: z.array(MeshNode),
  remove: z.array(VpcId),
})

/** Agent → controller: the agent has applied (programmed) this version. */
export const Ack = z.object({ type: z.literal('ack'), version: MeshVersion })

/** Either side: liveness probe; the other side answers pong with the same id. */
export const Ping = z.object({ type: z.literal('ping'), id: z.number().int().min(0) })
export const Pong = z.object({ type: z.literal('pong'), id: z.number().int().min(0) })

/** Agent → controller: tunnel state as seen by this agent (its own status only). */
export const PeerStatus = z.object({
  id: VpcId,
  /** For a VPC with several gateways: which gateway this tunnel goes to (one entry per gateway). */
  gateway: GatewayId.optional(),
  up: z.boolean(),
  rttMs: z.number().min(0).nullable(),
  txBytes: z.number().min(0),
  rxBytes: z.number().min(0),
  lastHandshakeAgeS: z.number().min(0).nullable(),
})
export type PeerStatus = z.infer<typeof PeerStatus>
export const StatusReport = z.object({
  type: z.literal('status'),
  peers: z.array(PeerStatus).max(4096),
})

/** Controller → agent before it closes the connection: why. */
export const ErrorFrame = z.object({ type: z.literal('error'), code: z.string(), message: z.string() })

/** Every frame an agent may send. */
export const AgentMessage = z.discriminatedUnion('type', [Hello, Ack, Ping, Pong, StatusReport, ProbeResultFrame])
export type AgentMessage = z.infer<typeof AgentMessage>

/** Every frame a controller may send. */
export const ControllerMessage = z.discriminatedUnion('type', [
  Welcome,
  Snapshot,
  Delta,
  Ping,
  Pong,
  ErrorFrame,
  ProbeFrame,
])
export type ControllerMessage = z.infer<typeof ControllerMessage>

export type Hello = z.infer<typeof Hello>
export type Welcome = z.infer<typeof Welcome>
export type Snapshot = z.infer<typeof Snapshot>
export type Delta = z.infer<typeof Delta>

/** WebSocket close codes used by the controller (4000-4999 is the application range). */
export const CloseCode = Object.freeze({
  /** Frame was not JSON or did not match the schema. */
  badFrame: 4400,
  /** Hello missing, auth failed or token used. */
  unauthorized: 4401,
  /** The VPC was deleted. */
  vpcDeleted: 4404,
  /** Protocol version not spoken. */
  protocolVersion: 4426,
  /** Another connection for the same VPC took over. */
  replaced: 4409,
  /** No pong within the heartbeat timeout. */
  heartbeatTimeout: 4408,
  /** No hello within the pre-hello timeout; reconnect. */
  helloTimeout: 4407,
  /** The hello's public key is not a usable X25519 key (bad encoding or a low-order point). */
  keyInvalid: 4422,
  /** The hello's public key is already the key of another VPC. */
  keyInUse: 4423,
  /** Too many hellos from this address; reconnect later (with backoff). */
  rateLimited: 4429,
  /** Too many connections without hello (from this address or in total); reconnect later. */
  tryAgainLater: 1013,
  /** Controller failed handling a frame (e.g. Redis unavailable); reconnect later. */
  internalError: 1011,
  /** Controller shutting down; reconnect elsewhere. */
  goingAway: 1001,
} as const)
