import { VpcId, WireErrorCode, type Vpc } from '@vpcmesh/protocol'
import type { ApiClient } from './client.js'
import { ApiCallError } from './errors.js'

/** A VPC named on the command line, resolved to its id. */
export interface VpcRef {
  readonly id: string
  /** How to call it in messages: the name when the user gave one, else the id. */
  readonly label: string
}

/** True when `ref` has the form of a VPC id (`vpc_` + 12 hex digits) rather than a name. */
export function isVpcId(ref: string): boolean {
  return VpcId.safeParse(ref).success
}

/** The error for a VPC reference that matches nothing. */
export function vpcNotFound(ref: string): ApiCallError {
  return new ApiCallError(WireErrorCode.vpcNotFound, `vpc ${ref} not found`, { status: 0 })
}

/** Finds `ref` (an id or a name) in a VPC list; undefined when nothing matches. */
export function findVpc(vpcs: readonly Vpc[], ref: string): Vpc | undefined {
  return vpcs.find((v) => (isVpcId(ref) ? v.id === ref : v.name === ref))
}

/**
 * Resolves an id or a name to an id. An id is used as given (the controller reports an
 * unknown one); a name is looked up with GET /v1/vpcs and must match exactly.
 */
export async function resolveVpc(client: ApiClient, ref: string): Promise<VpcRef> {
  if (isVpcId(ref)) return { id: ref, label: ref }
  const { vpcs } = await client.listVpcs()
  const vpc = findVpc(vpcs, ref)
  if (vpc === undefined) throw vpcNotFound(ref)
  return { id: vpc.id, label: vpc.name }
}

/**
 * The whole VPC named by `ref`: an id is fetched with GET /v1/vpcs/:id (the controller
 * reports an unknown one), a name is looked up in GET /v1/vpcs and must match exactly.
 */
export async function loadVpc(client: ApiClient, ref: string): Promise<Vpc> {
  if (isVpcId(ref)) return (await client.getVpc(ref)).vpc
  const vpc = findVpc((await client.listVpcs()).vpcs, ref)
  if (vpc === undefined) throw vpcNotFound(ref)
  return vpc
}
