import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { ErrorBody, StatusResponse, type AgentStatus } from '@vpcmesh/protocol'
import { isFresh, reportedPeers } from '../state/agent-report.js'
import type { AgentRecord, VpcRecord } from '../state/store.js'
import type { RouteDeps } from './deps.js'
import { statusKeyOf, statusKeys } from '../state/status-key.js'

/**
 * Joins registry and agent records into the status view. An agent counts as connected when
 * its session says so and it was heard within `staleMs` (a replica that died cannot clear
 * its flag). Pure.
 */
export function agentStatuses(
  version: number,
  vpcs: VpcRecord[],
  agents: AgentRecord[],
  nowMs: number,
  staleMs: number,
): AgentStatus[] {
  const byId = new Map(agents.map((a) => [a.id, a]))
  const fresh = (a: AgentRecord | undefined): boolean => isFresh(a, nowMs, staleMs)
  return vpcs.map((v) => {
    const gws = (v.gateways ?? []).length >= 2 ? (v.gateways ?? []) : []
    const activeKey = gws.length === 0 ? v.id : statusKeyOf(v, v.active?.gateway ?? gws[0]?.id)
    const a = byId.get(activeKey) ?? byId.get(v.id)
    const applied = a?.appliedVersion ?? 0
    return {
      id: v.id,
      name: v.name,
      enrolled: v.publicKey !== null,
      connected: fresh(a),
      appliedVersion: applied,
      lag: version - applied,
      lastSeen: a === undefined || a.lastSeen === 0 ? null : new Date(a.lastSeen).toISOString(),
      replica: a?.replica || null,
      observedAddress: a?.observedAddress || null,
      agentVersion: a?.agentVersion || null,
      peers: reportedPeers(a),
      gateways: gws.map((g) => {
        const r = byId.get(statusKeyOf(v, g.id))
        return {
          id: g.id,
          name: g.name,
          active: v.active?.gateway === g.id,
          drained: g.drained,
          connected: fresh(r),
          lastSeen: r === undefined || r.lastSeen === 0 ? null : new Date(r.lastSeen).toISOString(),
          replica: r?.replica || null,
        }
      }),
      active: v.active == null ? null : { ...v.active, since: new Date(v.active.since).toISOString() },
    }
  })
}

/** GET /v1/status: mesh version and every agent's connection and applied version. */
export function statusApi(d: RouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/status',
      {
        schema: {
          tags: ['status'],
          summary: 'Mesh status',
          response: { 200: StatusResponse, 401: ErrorBody, 503: ErrorBody },
        },
      },
      async () => {
        const snap = await d.store.snapshot()
        const agents = await d.store.agents(statusKeys(snap.vpcs))
        return {
          version: snap.version,
          agents: agentStatuses(snap.version, snap.vpcs, agents, d.clock.now(), 3 * d.config.heartbeatMs),
        }
      },
    )
  }
}
