import type { Prefix } from '@vpcmesh/cidr'
import type { ActiveGateway, DnsZoneSetting, GlobalPrefix, RouteTableSetting } from '@vpcmesh/protocol'

/** One gateway (agent) of a VPC. Times are ms since the epoch. */
export interface GatewayRecord {
  id: string
  name: string
  publicKey: string
  /** Underlay `host:port` it announced, or null (the first gateway then uses the VPC's endpoint). */
  endpoint: string | null
  /** Drained by an operator: not elected again until its agent reconnects. */
  drained: boolean
  createdAt: number
}

/** A VPC as stored. Times are ms since the epoch; `version` is the mesh version of its last change. */
export interface VpcRecord {
  id: string
  name: string
  cidrs: string[]
  routes: string[]
  endpoint: string
  masquerade: boolean
  publicKey: string | null
  createdAt: number
  updatedAt: number
  version: number
  /** Gateways in enrolment order (absent in records written before gateways existed). */
  gateways?: GatewayRecord[]
  /** The gateway holding the active role (VPCs with two or more gateways). */
  active?: ActiveGateway | null
  /** Absent: `{ provider: 'none' }`. */
  routeTable?: RouteTableSetting
  /** DNS zones the VPC serves (absent: none). */
  dnsZones?: DnsZoneSetting[]
  /** Absent: local (records written before global mode are local). */
  mode?: 'global'
  /** Global mode: the global prefix of each IPv4 CIDR and route, sorted by local prefix. */
  globalPrefixes?: GlobalPrefix[]
}

/** A global prefix an operator asks for: for `local`, use `global` (same family and length). */
export interface GlobalWish {
  local: Prefix
  global: Prefix
}

/** How a global-mode VPC gets its global prefixes: the operator's wishes, the rest from `pool`. */
export interface GlobalRequest {
  /** The controller's global pool (VPCMESH_GLOBAL_POOL). */
  pool: Prefix
  wishes: GlobalWish[]
}

/** One entry of the change log: at `version`, VPC `id` was upserted or removed. */
export interface Change {
  version: number
  id: string
  kind: 'upsert' | 'remove'
}

/** Fields to create a VPC; prefixes already parsed and canonical. */
export interface NewVpc {
  name: string
  cidrs: Prefix[]
  endpoint: string
  masquerade: boolean
  routeTable?: RouteTableSetting
  dnsZones?: DnsZoneSetting[]
  /** Absent or local: local mode. */
  mode?: 'local' | 'global'
  /** Global mode: the pool and the wished prefixes (required with mode global). */
  global?: GlobalRequest
}

/** Fields to change on a VPC; absent means unchanged. */
export interface VpcPatch {
  name?: string
  cidrs?: Prefix[]
  endpoint?: string
  masquerade?: boolean
  routeTable?: RouteTableSetting
  dnsZones?: DnsZoneSetting[]
  mode?: 'local' | 'global'
  /** The pool and wishes; required whenever the VPC is or becomes global and its prefixes change. */
  global?: GlobalRequest
}

/** A consistent view of the registry at one version. */
export interface RegistrySnapshot {
  version: number
  vpcs: VpcRecord[]
  /** The store's epoch at that version, when the read returned it ('' before the first epoch). */
  epoch?: string
}

/** The order of {@link RegistrySnapshot.vpcs}: oldest first, ties by id. */
export function byCreation(a: VpcRecord, b: VpcRecord): number {
  return a.createdAt - b.createdAt || a.id.localeCompare(b.id)
}

/**
 * The registry records changed in (`from`, `version`], read in one atomic step: what a holder
 * of the registry at `from` needs to reach `version`. An id changed several times appears once.
 */
export interface RegistryDiff {
  /** The store's epoch ('' before the first epoch); a different one means `from` is meaningless. */
  epoch: string
  version: number
  /** Current records of the VPCs changed after `from` that still exist. */
  upserted: VpcRecord[]
  /** Ids of the VPCs changed after `from` that no longer exist. */
  removed: string[]
}

/**
 * The VPC registry. Every mutation is atomic, bumps the mesh version by exactly one, appends
 * one change, and announces the new version to every replica. Mutations throw ApiError with
 * a registered code for bad input (overlap, name taken, not found) and
 * VPCMESH_ERR_STORE_UNAVAILABLE when the store cannot be reached; nothing is half-applied.
 */
export interface Registry {
  /** Creates a VPC and stores `joinTokenHash` as its single-use join token for `ttlS` seconds. */
  createVpc(input: NewVpc, joinTokenHash: string, ttlS: number): Promise<VpcRecord>
  updateVpc(id: string, patch: VpcPatch): Promise<VpcRecord>
  deleteVpc(id: string): Promise<void>
  /** `global`: the pool and, optionally, the wished global prefix of the route (global-mode VPCs). */
  addRoute(id: string, route: Prefix, global?: GlobalRequest): Promise<VpcRecord>
  removeRoute(id: string, route: Prefix): Promise<VpcRecord>
  /** The VPC, or undefined. */
  getVpc(id: string): Promise<VpcRecord | undefined>
  /**
   * The store's epoch: a random id created with the first use of an empty store. If Redis
   * loses its data, a new epoch tells agents their versions no longer mean anything.
   */
  epoch(): Promise<string>
  /** The current mesh version (cheap). */
  currentVersion(): Promise<number>
  /** All VPCs with the version they are consistent with. */
  snapshot(): Promise<RegistrySnapshot>
  /**
   * The records changed after `from`, named by the change log: O(changes) work instead of the
   * snapshot's O(N). Undefined when the log no longer reaches back to `from` or `from` is ahead
   * of the store (a reset): read a snapshot instead.
   */
  registrySince(from: number): Promise<RegistryDiff | undefined>
  /** Changes after `from` up to now, or undefined when the log no longer reaches back that far. */
  changesSince(from: number): Promise<{ version: number; changes: Change[] } | undefined>
}

/** Join tokens and agent credentials, stored only as SHA-256 hashes. */
export interface Credentials {
  /** Replaces the VPC's join token (the previous one stops working). Throws VPC_NOT_FOUND. */
  issueJoinToken(id: string, tokenHash: string, ttlS: number): Promise<void>
  /**
   * Consumes a join token: atomically deletes it, records the agent's public key and the hash
   * of its new credential (a registry change). Returns the VPC, or undefined for an unknown,
   * expired or used token. Throws VPCMESH_ERR_WS_KEY_IN_USE (nothing written) when another
   * VPC already has `publicKey`: keys are unique across VPCs, checked in the same transaction.
   */
  enroll(
    tokenHash: string,
    publicKey: string,
    credentialHash: string,
    gateway?: GatewayHello,
  ): Promise<Enrolment | undefined>
  /**
   * True when the credential hash matches the gateway's (`gateway` given) or the VPC's
   * (agents enrolled before gateways).
   */
  checkCredential(id: string, credentialHash: string, gateway?: string): Promise<boolean>
  /**
   * Records a new public key presented with a valid credential (a registry change when it
   * differs), and the gateway's announced endpoint. Throws VPCMESH_ERR_WS_KEY_IN_USE when
   * another VPC or gateway already has the key.
   */
  setPublicKey(id: string, publicKey: string, gateway?: string, hello?: GatewayHello): Promise<void>
  /**
   * An agent enrolled before gateways, authenticated with the VPC's credential, names itself:
   * it becomes the VPC's first gateway with `credentialHash` as its new credential (the VPC's
   * credential is deleted). Undefined when the VPC already has gateways (nothing written).
   */
  migrateLegacy(
    id: string,
    publicKey: string,
    credentialHash: string,
    hello: GatewayHello,
  ): Promise<Enrolment | undefined>
}

/** What an agent says about its gateway in hello. */
export interface GatewayHello {
  name: string
  endpoint?: string | undefined
}

/** A consumed join token: the VPC and the gateway id issued to the agent. */
export interface Enrolment {
  vpc: VpcRecord
  gatewayId: string
}

/**
 * The active-gateway lease of VPCs with two or more gateways: a Redis key with a TTL holding
 * `gateway:epoch`. Taking it is a registry change (the VPC's `active` and the fencing epoch,
 * +1 each time, travel in the map); renewing and releasing only touch the lease key, and
 * only when it still holds the caller's gateway and epoch.
 */
export interface GatewayLeases {
  /**
   * Takes the free lease for `gateway` (connected, not drained) for `ttlMs`. Undefined (nothing
   * written) when the lease is held, the gateway is unknown or drained, or the VPC is gone.
   */
  electGateway(id: string, gateway: string, ttlMs: number): Promise<VpcRecord | undefined>
  /** Extends the lease by `ttlMs` if it still holds `gateway` at `epoch`; false otherwise. */
  renewLease(id: string, gateway: string, epoch: number, ttlMs: number): Promise<boolean>
  /** Deletes the lease if it still holds `gateway` at `epoch` (the session closed). */
  releaseLease(id: string, gateway: string, epoch: number): Promise<void>
  /**
   * Moves the active role from `gateway` to `target` (a connected, not drained gateway; chosen
   * by the caller) with a new epoch. `drain` (planned maintenance) also marks `gateway`
   * drained; `failover` (its peers cannot reach it) leaves it an eligible standby.
   * GATEWAY_NOT_ACTIVE when `gateway` is not the active one.
   */
  drainGateway(
    id: string,
    gateway: string,
    target: string,
    ttlMs: number,
    reason?: 'drain' | 'failover',
  ): Promise<VpcRecord>
}

/** What an agent last reported, as stored. `lastSeen` in ms since the epoch. */
export interface AgentRecord {
  id: string
  session: string
  replica: string
  connected: boolean
  appliedVersion: number
  lastSeen: number
  observedAddress: string
  agentVersion: string
  peers: string
}

/** Per-agent status shared by all replicas. */
export interface AgentStatusStore {
  /** Merges the given fields into the agent's record. */
  putAgent(id: string, fields: Partial<AgentRecord>): Promise<void>
  /**
   * Merges fields into several agents' records in one round trip; records that do not exist
   * (agent never connected, or VPC deleted) are not created.
   */
  updateAgents(batch: Map<string, Partial<AgentRecord>>): Promise<void>
  /** Marks the agent disconnected if `session` is still the one recorded. */
  disconnectAgent(id: string, session: string): Promise<void>
  /**
   * The agent records under `keys` (status keys: VPC ids, or `vpc/gateway` for an HA VPC's
   * later gateways); without `keys`, the record of every VPC.
   */
  agents(keys?: readonly string[]): Promise<AgentRecord[]>
}

/** Liveness of the store and change announcements. */
export interface StoreLink {
  /** Resolves when the store answers; throws STORE_UNAVAILABLE otherwise. */
  ping(): Promise<void>
  /** Calls `fn` with each announced mesh version (from any replica). Returns an unsubscribe. */
  onVersion(fn: (version: number) => void): () => void
  close(): Promise<void>
}

/** Everything the controller keeps in its store. */
export type Store = Registry & Credentials & GatewayLeases & AgentStatusStore & StoreLink
