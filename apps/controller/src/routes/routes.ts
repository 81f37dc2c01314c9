import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { type Prefix, detectFamily, parsePrefix } from '@vpcmesh/cidr'
import {
  AddRouteRequest,
  RouteListQuery,
  RouteListResponse,
  RouteRequest,
  VpcParams,
  VpcResponse,
  WireErrorCode,
} from '@vpcmesh/protocol'
import { ApiError } from '../errors.js'
import { lookupAddress, routeEntries } from '../mesh/route-lookup.js'
import { ERROR_RESPONSES, type RouteDeps, toApiVpc } from './deps.js'
import { parseRoutable } from './vpcs.js'

/**
 * /v1/vpcs/:id/routes: extra prefixes behind a VPC (pod and service CIDRs, LANs behind it);
 * /v1/routes: every prefix routed mesh-wide, and where one address lands.
 */
export function routeApi(d: RouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/routes',
      {
        schema: {
          tags: ['routes'],
          summary: 'List the prefixes routed mesh-wide (?address=IP: the one holding IP and its real address)',
          querystring: RouteListQuery,
          response: { 200: RouteListResponse, ...ERROR_RESPONSES },
        },
      },
      async (req) => {
        const s = await d.store.snapshot()
        const routes = routeEntries(s.vpcs)
        const address = req.query.address
        if (address === undefined) return { version: s.version, routes }
        if (detectFamily(address) === undefined)
          throw new ApiError(WireErrorCode.validation, `address ${JSON.stringify(address)} is not an IP address`)
        const lookup = lookupAddress(routes, address)
        return { version: s.version, routes: lookup === undefined ? [] : [lookup.route], lookup: lookup ?? null }
      },
    )

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
