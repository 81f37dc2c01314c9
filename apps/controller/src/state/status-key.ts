import type { VpcRecord } from './store.js'

/**
 * The status record key of a gateway: the VPC id for its first gateway (and agents enrolled
 * before gateways), `vpc/gateway` for the others, so single-gateway VPCs keep one record.
 */
export function statusKeyOf(rec: VpcRecord, gateway: string | undefined): string {
  const first = rec.gateways?.[0]?.id
  return gateway === undefined || first === undefined || first === gateway ? rec.id : `${rec.id}/${gateway}`
}

/** The status record keys of every agent of `vpcs`: each VPC id, and `vpc/gateway` for later gateways. */
export function statusKeys(vpcs: readonly VpcRecord[]): string[] {
  return vpcs.flatMap((v) => [v.id, ...(v.gateways ?? []).slice(1).map((g) => statusKeyOf(v, g.id))])
}
