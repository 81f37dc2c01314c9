import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { ExplainRequest, ExplainResponse } from '@vpcmesh/protocol'
import { type ProbeAgent, explainFlow } from '../explain/explainer.js'
import { ERROR_RESPONSES, type RouteDeps } from './deps.js'

/** POST /v1/explain: how a packet from SRC to DST would travel, hop by hop, from live agent evidence. */
export function explainApi(d: RouteDeps & { probe: ProbeAgent }): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/explain',
      {
        schema: {
          tags: ['explain'],
          summary: 'Explain how a packet from src to dst would travel (locate, dns, routes, tunnel, nat, mtu, forward)',
          body: ExplainRequest,
          response: { 200: ExplainResponse, ...ERROR_RESPONSES },
        },
      },
      async (req) =>
        await explainFlow(
          { store: d.store, probe: d.probe, clock: d.clock, staleMs: 3 * d.config.heartbeatMs },
          req.body,
        ),
    )
  }
}
