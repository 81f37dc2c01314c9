import { MeshError, hasCode } from '@vpcmesh/common'

/**
 * A route-table provider points the VPC's own route table (the cloud's, or the LAN's next hop)
 * at the VPC's *active* gateway. Only the active gateway's agent calls it, with credentials
 * local to that VPC; a standby never does. Every call carries the gateway's fencing epoch
 * (strictly increasing per VPC, granted with the lease): a provider records the epoch it wrote
 * in the table itself and refuses to write when the table already records a higher one, so a
 * deposed gateway cannot write the table back.
 */
export interface RouteTableProvider {
  /** Which provider this is (the per-VPC `routeTable.provider` setting). */
  readonly kind: RouteTableKind

  /**
   * Make every prefix in `claim.prefixes` route to this gateway, and delete the routes this
   * provider created earlier (recorded in the table) for prefixes no longer listed.
   *
   * Contract:
   * - Reads the table first. When the table records a fencing epoch greater than
   *   `claim.epoch`, makes no write at all and throws code `fenced`.
   * - Touches only routes it created (recorded and tagged/described as vpcmesh's). A prefix
   *   whose destination is held by a route vpcmesh did not create is left alone and listed in
   *   `conflicts`; the other prefixes are still applied.
   * - Idempotent: when the table already matches, it makes no write call.
   * - Throws a {@link RouteTableError}; the caller retries with backoff when `retryable`.
   */
  apply(claim: RouteTableClaim): Promise<RouteTableReport>

  /**
   * The VPC is being deleted (or the last gateway removed): delete every route this provider
   * created, fenced the same way as {@link apply}. Idempotent.
   */
  removeAll(epoch: number): Promise<RouteTableReport>

  /**
   * This gateway stopped being active (drained or deposed). Cloud providers do nothing (the
   * next active gateway replaces the routes); `vip` drops the floating address.
   */
  release(): Promise<void>

  /**
   * Optional (`vip` only): true when another host answers for what this gateway claims, i.e.
   * another gateway of the VPC holds the floating address. The agent asks while it cannot
   * reach any controller: a gateway cut off alone learns it was replaced and gives way, while in
   * a controller outage for everyone nobody else claims the address and it keeps forwarding.
   */
  contested?(): Promise<boolean>

  /**
   * Optional (`vip` only): called about every second while this gateway is active. The VIP is
   * added with a short lifetime that this renews, so the address of an agent that died on a
   * live host disappears by itself within seconds instead of answering ARP for a dead gateway.
   */
  keepalive?(): Promise<void>
}

/** The provider kinds a VPC may choose. `none` keeps the route table in the operator's hands. */
export const ROUTE_TABLE_KINDS = ['none', 'vip', 'aws', 'aliyun', 'tencent'] as const
export type RouteTableKind = (typeof ROUTE_TABLE_KINDS)[number]

/** What the active gateway asks of the route table. */
export interface RouteTableClaim {
  /** This gateway's fencing epoch (from its lease). */
  readonly epoch: number
  /** Remote prefixes (canonical CIDR text, IPv4 and IPv6) that must route to this gateway. */
  readonly prefixes: readonly string[]
}

/** What one apply/removeAll call did, for logs, metrics and tests. */
export interface RouteTableReport {
  /** Prefixes for which a route was created. */
  readonly created: readonly string[]
  /** Prefixes whose existing vpcmesh route was pointed at this gateway. */
  readonly replaced: readonly string[]
  /** Prefixes whose vpcmesh route was deleted. */
  readonly deleted: readonly string[]
  /** Prefixes left alone because a route vpcmesh did not create holds the destination. */
  readonly conflicts: readonly string[]
}

/** Stable codes raised by route-table providers; each is listed in docs/errors.md. */
export const ROUTE_TABLE_ERROR_CODES = Object.freeze({
  /** The table records a higher fencing epoch: another gateway became active since. */
  fenced: 'VPCMESH_ERR_ROUTE_TABLE_FENCED',
  /** The provider settings are invalid (missing region, route table id, instance id, …). */
  config: 'VPCMESH_ERR_ROUTE_TABLE_CONFIG',
  /** The cloud refused the credentials (missing, invalid or expired). */
  credentials: 'VPCMESH_ERR_ROUTE_TABLE_CREDENTIALS',
  /** The cloud kept throttling after the SDK's own retries. */
  throttled: 'VPCMESH_ERR_ROUTE_TABLE_THROTTLED',
  /** Any other refusal or failure of the cloud API (the message names the cloud's code). */
  api: 'VPCMESH_ERR_ROUTE_TABLE_API',
  /** A host command for the `vip` provider (ip, arping) failed. */
  command: 'VPCMESH_ERR_ROUTE_TABLE_COMMAND',
} as const)
export type RouteTableErrorCode = (typeof ROUTE_TABLE_ERROR_CODES)[keyof typeof ROUTE_TABLE_ERROR_CODES]

/** Raised by every provider. `cloudCode` is the cloud's own error code when there is one. */
export class RouteTableError extends MeshError {
  declare readonly code: RouteTableErrorCode
  readonly cloudCode: string | undefined

  constructor(code: RouteTableErrorCode, message: string, opts: { cause?: unknown; cloudCode?: string } = {}) {
    const retryable = code === ROUTE_TABLE_ERROR_CODES.throttled || code === ROUTE_TABLE_ERROR_CODES.api
    super(code, message, { cause: opts.cause, retryable })
    this.name = 'RouteTableError'
    this.cloudCode = opts.cloudCode
  }
}

/** True when `e` is a RouteTableError (by code, so it also works across package copies). */
export function isRouteTableError(e: unknown): e is RouteTableError {
  return hasCode(e) && (Object.values(ROUTE_TABLE_ERROR_CODES) as string[]).includes(e.code)
}

/** An empty report. */
export const NO_CHANGE: RouteTableReport = Object.freeze({ created: [], replaced: [], deleted: [], conflicts: [] })

/**
 * Settings of a cloud provider, merged from the VPC's registration (region, route tables) and
 * the agent's own configuration (which instance it runs on, an endpoint override). Credentials
 * are never part of it: each SDK finds them itself (environment, file, instance role).
 */
export interface CloudRouteTableSettings {
  /** Cloud region, e.g. `eu-west-1`, `cn-hangzhou`, `ap-guangzhou`. */
  readonly region: string
  /** The VPC route tables to program (at least one). */
  readonly routeTableIds: readonly string[]
  /** This gateway's instance id (the next hop); the agent reads it from its config. */
  readonly instanceId: string
  /** AWS and Aliyun: route to this ENI instead of the instance (multi-ENI gateways). */
  readonly networkInterfaceId?: string | undefined
  /** API endpoint override (a VPC endpoint, or a local server in tests). */
  readonly endpoint?: string | undefined
  /** The VPC's mesh id: recorded with every route vpcmesh creates, so only ours are touched. */
  readonly vpcId: string
}
