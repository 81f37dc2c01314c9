import type { Vpc } from '@vpcmesh/protocol'
import { formatTable } from './output.js'

/**
 * A gateway's role in its VPC: `active` holds the lease, `drained` was drained and is not
 * elected again until its agent reconnects, `standby` waits (also every gateway of an HA VPC
 * before the first election), `single` is the only gateway of a VPC, which has no election.
 */
export type GatewayRole = 'active' | 'standby' | 'drained' | 'single'

/** The active gateway of a VPC as the API shows it (`since` in ISO 8601). */
type Active = Vpc['active']

/** The role of gateway `id` in a VPC with `count` gateways and active gateway `active`. */
export function gatewayRole(g: { id: string; drained: boolean }, active: Active, count: number): GatewayRole {
  if (active?.gateway === g.id) return 'active'
  if (g.drained) return 'drained'
  return active === null && count === 1 ? 'single' : 'standby'
}

/** EPOCH, SINCE and REASON cells: filled for the active gateway, empty for the others. */
export function activeCells(id: string, active: Active): string[] {
  return active?.gateway === id ? [String(active.epoch), active.since, active.reason] : ['', '', '']
}

/**
 * The gateways of `vpc show`: name, id, announced endpoint, role, and for the active one its
 * fencing epoch, since when (ISO 8601) and why (elected, failover, drain).
 */
export function vpcGatewayTable(vpc: Vpc): string {
  const rows = vpc.gateways.map((g) => [
    g.name,
    g.id,
    g.endpoint ?? '-',
    gatewayRole(g, vpc.active, vpc.gateways.length),
    ...activeCells(g.id, vpc.active),
  ])
  return formatTable(['GATEWAY', 'ID', 'ENDPOINT', 'ROLE', 'EPOCH', 'SINCE', 'REASON'], rows)
}

/** The GATEWAYS cell of `vpc list`: `-`, `1`, or the count and the active one's name. */
export function gatewaysCell(vpc: Vpc): string {
  const n = vpc.gateways.length
  if (n <= 1) return n === 0 ? '-' : '1'
  const active = vpc.gateways.find((g) => g.id === vpc.active?.gateway)
  return `${n}, ${active === undefined ? 'none active' : `active ${active.name}`}`
}
