import type { AgentHostState, AgentPeerState, AgentStatusDocument } from '@vpcmesh/protocol'
import { formatFields, formatTable } from './output.js'
import { formatMs } from './status-view.js'

/**
 * The `agent-status` view: a summary (VPC, applied version, controller, TUN, host), the peer
 * table, the skipped routes and peers, and the non-zero drop counts.
 */
export function agentStatusText(s: AgentStatusDocument): string {
  const routes = (s.host?.skippedRoutes ?? []).map((r) => [r.prefix, r.reason, r.detail])
  const peers = s.skippedPeers.map((p) => [p.name || '-', p.id || '-', p.code, p.message])
  return [
    summary(s),
    '',
    peerTable(s.peers),
    '',
    section('skipped routes', ['PREFIX', 'REASON', 'DETAIL'], routes),
    '',
    section('skipped peers', ['PEER', 'ID', 'CODE', 'MESSAGE'], peers),
    '',
    `drops: ${dropsLine(s.drops)}`,
  ].join('\n')
}

/** `title: none`, or `title (n):` over a table of the rows. */
function section(title: string, headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  return rows.length === 0 ? `${title}: none` : `${title} (${rows.length}):\n${formatTable(headers, rows)}`
}

function summary(s: AgentStatusDocument): string {
  const c = s.controller
  return formatFields([
    ['VPC', s.vpc === null ? `- (${s.vpcId ?? 'not enrolled'})` : `${s.vpc} (${s.vpcId ?? '-'})`],
    ['version applied', s.appliedVersion === 0 ? '0 (no map yet)' : String(s.appliedVersion)],
    [
      'controller',
      [c.state, c.url, c.lastError === null ? null : `last error: ${c.lastError}`].filter(Boolean).join(', '),
    ],
    ['tun', `${s.tun.name} mtu ${s.tun.mtu}`],
    ['last apply', s.lastReconcileError === null ? 'ok' : `failed: ${s.lastReconcileError}`],
    ['host', hostLine(s.host)],
    ...(s.host?.warnings ?? []).map((w) => ['warning', w] as const),
  ])
}

function hostLine(h: AgentHostState | null): string {
  if (h === null) return 'nothing applied yet'
  const denied = (d: { packets: number } | null): string => (d === null ? '-' : String(d.packets))
  return [
    `table ${h.table ?? '-'}`,
    `${h.routes.length} route${h.routes.length === 1 ? '' : 's'}`,
    `nftables ${h.nftables ? 'yes' : 'no'}`,
    `denied forward ${denied(h.forwardDenied)} input ${denied(h.inputDenied)}`,
  ].join(', ')
}

/** One row per peer: state, RTT, endpoint, handshake age, traffic. */
export function peerTable(peers: readonly AgentPeerState[]): string {
  if (peers.length === 0) return 'no peers'
  const rows = peers.map((p) => [
    p.name,
    p.id,
    p.up ? 'up' : 'down',
    p.rttMs === null ? '-' : formatMs(p.rttMs),
    p.endpoint === null ? '-' : endpointText(p.endpoint),
    p.lastHandshakeAgeS === null ? 'never' : `${Math.round(p.lastHandshakeAgeS)}s ago`,
    String(p.txBytes),
    String(p.rxBytes),
  ])
  return formatTable(['PEER', 'ID', 'STATE', 'RTT', 'ENDPOINT', 'HANDSHAKE', 'TX BYTES', 'RX BYTES'], rows)
}

function endpointText(e: { address: string; port: number }): string {
  return e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`
}

/** `no_route 4, replay 1` (non-zero reasons), `none`, or why there are no numbers. */
function dropsLine(drops: Readonly<Record<string, number>> | undefined): string {
  if (drops === undefined) return 'not reported by this agent'
  const nonZero = Object.entries(drops).filter(([, n]) => n > 0)
  return nonZero.length === 0 ? 'none' : nonZero.map(([reason, n]) => `${reason} ${n}`).join(', ')
}
