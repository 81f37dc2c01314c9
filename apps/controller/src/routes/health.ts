import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { HealthResponse } from '@vpcmesh/protocol'
import { errorMessage } from '@vpcmesh/common'
import type { Metrics } from '@vpcmesh/metrics'
import type { RouteDeps } from './deps.js'

/** /healthz (process alive), /readyz (Redis answers), /metrics (Prometheus text), /docs (OpenAPI). */
export function healthApi(d: RouteDeps & { metrics: Metrics }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/healthz', { schema: { hide: true, response: { 200: HealthResponse } } }, async () => ({
      status: 'ok' as const,
    }))

    app.get(
      '/readyz',
      { schema: { hide: true, response: { 200: HealthResponse, 503: HealthResponse } } },
      async (_req, reply) => {
        try {
          await d.store.ping()
          return { status: 'ready' as const }
        } catch (e) {
          return await reply.status(503).send({ status: 'unavailable' as const, detail: errorMessage(e) })
        }
      },
    )

    app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
      const e = await d.metrics.render()
      return await reply.header('content-type', e.contentType).send(e.body)
    })

    app.get('/docs', { schema: { hide: true } }, async () => app.swagger())
    app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger())
  }
}
