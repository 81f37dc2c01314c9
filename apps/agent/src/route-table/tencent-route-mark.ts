/**
 * The mark vpcmesh leaves in the `RouteDescription` of each Tencent Cloud route it creates:
 * `vpcmesh <vpcId> epoch <E>`. It says whose route it is (only routes marked with the provider's
 * own vpcId are ever replaced or deleted) and which fencing epoch last wrote it; a table's fence
 * is the highest epoch among its routes marked for the VPC.
 */
export interface RouteMark {
  readonly vpcId: string
  readonly epoch: number
}

const MARK = /^vpcmesh (\S+) epoch (\d{1,15})$/

/** The description to write on a route of `vpcId` at `epoch` (at most 100 characters for a valid vpcId). */
export function formatRouteMark(mark: RouteMark): string {
  return `vpcmesh ${mark.vpcId} epoch ${mark.epoch}`
}

/** The mark in a route description, or undefined when the route is not vpcmesh's. */
export function parseRouteMark(description: string | undefined): RouteMark | undefined {
  const m = MARK.exec(description ?? '')
  return m === null ? undefined : { vpcId: m[1]!, epoch: Number(m[2]) }
}
