import { isFresh, reportedPeers } from '../state/agent-report.js'
import type { AgentRecord, VpcRecord } from '../state/store.js'
import { statusKeyOf } from '../state/status-key.js'

/**
 * What the other VPCs' agents say about an HA VPC's active gateway, from their last status
 * reports: the standby to fail over to when every fresh reporter sees the active gateway's
 * tunnel down and that standby's up, else undefined. Reporters are the agents of other VPCs
 * heard within `staleMs` that report a tunnel to the active gateway; with none, nothing is
 * decided (no evidence is not evidence of failure). The standby must be undrained and its own
 * agent connected and fresh. Pure.
 */
export function peersVerdict(
  rec: VpcRecord,
  records: readonly AgentRecord[],
  nowMs: number,
  staleMs: number,
): string | undefined {
  const active = rec.active?.gateway
  const gws = rec.gateways ?? []
  if (active === undefined || gws.length < 2) return undefined
  const fresh = (r: AgentRecord | undefined): boolean => isFresh(r, nowMs, staleMs)
  let reporters = 0
  const standbyUp = new Map<string, number>()
  for (const r of records) {
    if (r.id === rec.id || r.id.startsWith(`${rec.id}/`) || !fresh(r)) continue
    const mine = reportedPeers(r).filter((p) => p.id === rec.id && p.gateway !== undefined)
    const toActive = mine.find((p) => p.gateway === active)
    if (toActive === undefined) continue
    reporters++
    if (toActive.up) return undefined
    for (const p of mine)
      if (p.up && p.gateway !== active)
        standbyUp.set(p.gateway as string, (standbyUp.get(p.gateway as string) ?? 0) + 1)
  }
  if (reporters === 0) return undefined
  const byKey = new Map(records.map((r) => [r.id, r]))
  return gws.find(
    (g) =>
      g.id !== active && !g.drained && standbyUp.get(g.id) === reporters && fresh(byKey.get(statusKeyOf(rec, g.id))),
  )?.id
}
