import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { ErrorBody, PeerStatus, StatusResponse, type AgentStatus } from '@vpcmesh/protocol'
import type { AgentRecord, VpcRecord } from '../state/store.js'
import type { RouteDeps } from './deps.js'

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
  return vpcs.map((v) => {
    const a = byId.get(v.id)
    const applied = a?.appliedVersion ?? 0
    const peers = PeerStatus.array().safeParse(safeJson(a?.peers))
    return {
      id: v.id,
      name: v.name,
      enrolled: v.publicKey !== null,
      connected: a === undefined ? false : a.connected && nowMs - a.lastSeen <= staleMs,
      appliedVersion: applied,
      lag: version - applied,
      lastSeen: a === undefined || a.lastSeen === 0 ? null : new Date(a.lastSeen).toISOString(),
      replica: a?.replica || null,
      observedAddress: a?.observedAddress || null,
      agentVersion: a?.agentVersion || null,
      peers: peers.success ? peers.data : [],
    }
  })
}

function safeJson(s: string | undefined): unknown {
  try {
    return JSON.parse(s ?? '[]')
  } catch {
    return []
  }
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
        const [snap, agents] = await Promise.all([d.store.snapshot(), d.store.agents()])
        return {
          version: snap.version,
          agents: agentStatuses(snap.version, snap.vpcs, agents, d.clock.now(), 3 * d.config.heartbeatMs),
        }
      },
    )
  }
}
