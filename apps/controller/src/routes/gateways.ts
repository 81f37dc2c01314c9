import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { DrainRequest, GatewayParams, VpcResponse } from '@vpcmesh/protocol'
import { gatewayNotFound, vpcNotFound } from '../errors.js'
import { noStandby } from '../state/registry-ops.js'
import { isFresh } from '../state/agent-report.js'
import { statusKeyOf } from '../state/status-key.js'
import { ERROR_RESPONSES, type RouteDeps, toApiVpc } from './deps.js'

/**
 * /v1/vpcs/:id/gateways/:gateway/drain: planned maintenance of an HA VPC's active gateway.
 * The active role moves to `to`, or to the first other gateway that is connected (heard
 * within three heartbeats) and not drained, with a new fencing epoch; the drained gateway
 * is not elected again until its agent reconnects. Peers already hold sessions to the
 * standby, so the switch is one map push: established flows keep going.
 */
export function gatewayApi(d: RouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/vpcs/:id/gateways/:gateway/drain',
      {
        schema: {
          tags: ['gateways'],
          summary: 'Move the active role away from a gateway (planned maintenance)',
          params: GatewayParams,
          body: DrainRequest.nullish(),
          response: { 200: VpcResponse, ...ERROR_RESPONSES },
        },
      },
      async (req) => {
        const { id, gateway } = req.params
        const rec = await d.store.getVpc(id)
        if (rec === undefined) throw vpcNotFound(id)
        const gws = rec.gateways ?? []
        if (!gws.some((g) => g.id === gateway)) throw gatewayNotFound(rec.name, gateway)
        const to = req.body?.to
        if (to !== undefined && !gws.some((g) => g.id === to)) throw gatewayNotFound(rec.name, to)
        const candidates = gws.filter((g) => g.id !== gateway && !g.drained && (to === undefined || g.id === to))
        const records = await d.store.agents(candidates.map((g) => statusKeyOf(rec, g.id)))
        const now = d.clock.now()
        const live = new Set(records.filter((r) => isFresh(r, now, 3 * d.config.heartbeatMs)).map((r) => r.id))
        const target = candidates.find((g) => live.has(statusKeyOf(rec, g.id)))
        if (target === undefined) throw noStandby(rec.name)
        const out = await d.store.drainGateway(id, gateway, target.id, 3 * d.config.heartbeatMs)
        d.logger.info('gateway drained', { vpc: id, gateway, to: target.id, epoch: out.active?.epoch })
        return { vpc: toApiVpc(out) }
      },
    )
  }
}
