import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { type Prefix, parsePrefix } from '@vpcmesh/cidr'
import { AddRouteRequest, RouteRequest, VpcParams, VpcResponse } from '@vpcmesh/protocol'
import { ERROR_RESPONSES, type RouteDeps, toApiVpc } from './deps.js'
import { parseRoutable } from './vpcs.js'

/** /v1/vpcs/:id/routes: extra prefixes behind a VPC (pod and service CIDRs, LANs behind it). */
export function routeApi(d: RouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/vpcs/:id/routes',
      {
        schema: {
          tags: ['routes'],
          summary: 'Add a route behind a VPC',
          params: VpcParams,
          body: AddRouteRequest,
          response: { 201: VpcResponse, ...ERROR_RESPONSES },
        },
      },
      async (req, reply) => {
        const [route] = parseRoutable([req.body.cidr], d) as [Prefix]
        const wish =
          req.body.global === undefined
            ? []
            : [{ local: route, global: parseRoutable([req.body.global], d)[0] as Prefix }]
        const rec = await d.store.addRoute(req.params.id, route, { pool: d.config.globalPool, wishes: wish })
        return await reply.status(201).send({ vpc: toApiVpc(rec) })
      },
    )

    app.delete(
      '/v1/vpcs/:id/routes',
      {
        schema: {
          tags: ['routes'],
          summary: 'Remove a route from a VPC (?cidr=...)',
          params: VpcParams,
          querystring: RouteRequest,
          response: { 200: VpcResponse, ...ERROR_RESPONSES },
        },
      },
      async (req) => {
        const rec = await d.store.removeRoute(req.params.id, parsePrefix(req.query.cidr))
        return { vpc: toApiVpc(rec) }
      },
    )
  }
}
