import { GatewayId, GatewayName, WireErrorCode, type Vpc } from '@vpcmesh/protocol'
import type { ApiClient } from './client.js'
import { ApiCallError, usageError } from './errors.js'
import { loadVpc, resolveVpc } from './vpc-ref.js'

/** True when `ref` has the form of a gateway id (`gw_` + 12 hex digits) rather than a name. */
export function isGatewayId(ref: string): boolean {
  return GatewayId.safeParse(ref).success
}

/**
 * Throws a usage error when `ref` is neither a gateway id nor a possible gateway name
 * (`label` names the argument or flag, e.g. `GW` or `--to`).
 */
export function checkGatewayRef(ref: string, label: string, command: string): void {
  if (isGatewayId(ref) || GatewayName.safeParse(ref).success) return
  throw usageError(
    `bad value for ${label}: "${ref}" is neither a gateway id like gw_0123456789ab nor a gateway name`,
    command,
  )
}

/** The error for a gateway name that matches no gateway of `vpc`; it lists the gateways there are. */
export function gatewayNotFound(ref: string, vpc: Vpc): ApiCallError {
  const known = vpc.gateways.map((g) => `${g.name} (${g.id})`).join(', ')
  const has = known === '' ? 'it has no gateways yet' : `its gateways: ${known}`
  return new ApiCallError(WireErrorCode.gatewayNotFound, `gateway ${ref} not found in vpc ${vpc.name}; ${has}`, {
    status: 0,
  })
}

/** Gateway `ref` of `vpc` as an id: an id as given, a name looked up among the VPC's gateways. */
export function gatewayIdOf(vpc: Vpc, ref: string): string {
  if (isGatewayId(ref)) return ref
  const gw = vpc.gateways.find((g) => g.name === ref)
  if (gw === undefined) throw gatewayNotFound(ref, vpc)
  return gw.id
}

/** A VPC and gateways named on the command line, resolved to ids. */
export interface GatewayTarget {
  readonly vpcId: string
  readonly gateway: string
  /** The `--to` gateway, when one was given. */
  readonly to: string | undefined
}

/**
 * Resolves a VPC (id or name) and gateways of it (ids or names) to ids. Ids are used as
 * given, so the controller reports unknown ones; names are looked up in the VPC, which is
 * read only when a gateway is named (GET /v1/vpcs for a VPC name, GET /v1/vpcs/:id for an id).
 */
export async function resolveGateways(
  client: ApiClient,
  vpcRef: string,
  gatewayRef: string,
  toRef: string | undefined,
): Promise<GatewayTarget> {
  const refs = toRef === undefined ? [gatewayRef] : [gatewayRef, toRef]
  if (refs.every(isGatewayId)) return { vpcId: (await resolveVpc(client, vpcRef)).id, gateway: gatewayRef, to: toRef }
  const vpc = await loadVpc(client, vpcRef)
  return {
    vpcId: vpc.id,
    gateway: gatewayIdOf(vpc, gatewayRef),
    to: toRef === undefined ? undefined : gatewayIdOf(vpc, toRef),
  }
}
