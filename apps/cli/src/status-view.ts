import type { AgentStatus, StatusResponse } from '@vpcmesh/protocol'
import { activeCells, gatewayRole } from './gateway-view.js'
import { formatTable, yesNo } from './output.js'

/**
 * The `status` view: the mesh version, one row per agent, then the pair matrix in which
 * row A, column B is A's view of its tunnel to B, then (only when some VPC has gateways
 * listed, i.e. HA VPCs) one row per gateway.
 */
export function statusText(status: StatusResponse, nowMs: number): string {
  if (status.agents.length === 0)
    return `mesh version ${status.version}\n\nno agents yet; add a VPC with vpcmesh vpc add`
  const parts = [`mesh version ${status.version}`, '', agentTable(status.agents, nowMs), '', pairMatrix(status.agents)]
  const gateways = statusGatewayTable(status.agents, nowMs)
  if (gateways !== undefined) parts.push('', gateways)
  return parts.join('\n')
}

/** One row per agent: connection, applied version and lag, last seen, replica. */
export function agentTable(agents: readonly AgentStatus[], nowMs: number): string {
  const rows = agents.map((a) => [
    a.name,
    a.id,
    connectedCell(a),
    String(a.appliedVersion),
    String(a.lag),
    a.lastSeen === null ? 'never' : age(a.lastSeen, nowMs),
    a.replica ?? '-',
  ])
  return formatTable(['AGENT', 'ID', 'CONNECTED', 'APPLIED', 'LAG', 'LAST SEEN', 'REPLICA'], rows)
}

/**
 * The pair matrix: for each agent row and peer column, `up <rtt>ms` (or `up` without an RTT),
 * `down`, or `-` when the row's agent reports nothing about that peer. The diagonal is `self`.
 */
export function pairMatrix(agents: readonly AgentStatus[]): string {
  const rows = agents.map((a) => [a.name, ...agents.map((b) => pairCell(a, b))])
  return formatTable(['FROM \\ TO', ...agents.map((b) => b.name)], rows)
}

/**
 * The gateways of `status` for every agent with a non-empty `gateways` list (HA VPCs): one
 * row per gateway with its role, connection, last seen and replica, and the active one's
 * epoch, since when (ISO 8601) and why. Undefined when no agent has gateways listed.
 */
export function statusGatewayTable(agents: readonly AgentStatus[], nowMs: number): string | undefined {
  const rows = agents.flatMap((a) =>
    a.gateways.map((g) => [
      a.name,
      g.name,
      g.id,
      gatewayRole(g, a.active, a.gateways.length),
      yesNo(g.connected),
      g.lastSeen === null ? 'never' : age(g.lastSeen, nowMs),
      g.replica ?? '-',
      ...activeCells(g.id, a.active),
    ]),
  )
  if (rows.length === 0) return undefined
  return formatTable(
    ['VPC', 'GATEWAY', 'ID', 'ROLE', 'CONNECTED', 'LAST SEEN', 'REPLICA', 'EPOCH', 'SINCE', 'REASON'],
    rows,
  )
}

function connectedCell(a: AgentStatus): string {
  if (!a.enrolled) return 'not enrolled'
  return a.connected ? 'yes' : 'no'
}

function pairCell(from: AgentStatus, to: AgentStatus): string {
  if (from.id === to.id) return 'self'
  const peer = from.peers.find((p) => p.id === to.id)
  if (peer === undefined) return '-'
  if (!peer.up) return 'down'
  return peer.rttMs === null ? 'up' : `up ${formatMs(peer.rttMs)}`
}

/** Milliseconds with one decimal below 10 ms, whole above: `0.4ms`, `12ms`. */
export function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)}ms` : `${Math.round(ms)}ms`
}

/** `12s ago`, `5m ago`, `3h ago`, `2d ago`; the raw text when it is not a time. */
export function age(iso: string, nowMs: number): string {
  const then = Date.parse(iso)
  if (Number.isNaN(then)) return iso
  const s = Math.max(0, Math.round((nowMs - then) / 1000))
  if (s < 120) return `${s}s ago`
  if (s < 7200) return `${Math.round(s / 60)}m ago`
  if (s < 172_800) return `${Math.round(s / 3600)}h ago`
  return `${Math.round(s / 86_400)}d ago`
}
