import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { detectFamily, formatAddress, parseAddress, parsePrefix, type Prefix } from '@vpcmesh/cidr'
import {
  type GlobalPrefix,
  type RouteTableSetting,
  CreateVpcRequest,
  CreateVpcResponse,
  JoinTokenResponse,
  ListVpcsResponse,
  PatchVpcRequest,
  VpcParams,
  VpcResponse,
  WireErrorCode,
  parseEndpoint,
} from '@vpcmesh/protocol'
import { ApiError, vpcNotFound } from '../errors.js'
import type { GlobalRequest } from '../state/store.js'
import { hashSecret, newSecret } from '../secrets.js'
import { assertRoutable, controllerAddresses } from '../state/rules.js'
import { ERROR_RESPONSES, type RouteDeps, toApiVpc } from './deps.js'

/** Parses CIDR texts strictly (host bits refused); errors carry the cidr lib's codes. */
export function parsePrefixes(texts: string[]): Prefix[] {
  return texts.map((t) => parsePrefix(t))
}

/**
 * Parses CIDR texts and refuses those that may never be routed into the mesh (special
 * ranges, the controller's own addresses); see {@link assertRoutable}.
 */
export function parseRoutable(texts: string[], d: RouteDeps): Prefix[] {
  const prefixes = parsePrefixes(texts)
  assertRoutable(prefixes, controllerAddresses(d.config.listen, d.config.advertiseAddresses))
  return prefixes
}

/**
 * The global request of a create or PATCH that sets the mode or prefixes: the pool and the
 * operator's wished global prefixes (each checked like any routed prefix). Undefined when the
 * body touches no addressing field.
 */
export function globalRequest(
  b: { cidrs?: string[] | undefined; mode?: string | undefined; globalPrefixes?: GlobalPrefix[] | undefined },
  d: RouteDeps,
): GlobalRequest | undefined {
  if (b.cidrs === undefined && b.mode === undefined && b.globalPrefixes === undefined) return undefined
  const wishes = (b.globalPrefixes ?? []).map((g) => ({
    local: parsePrefix(g.local),
    global: (parseRoutable([g.global], d) as [Prefix])[0],
  }))
  return { pool: d.config.globalPool, wishes }
}

/** Refuses an endpoint that is not host:port. */
function checkEndpoint(text: string): string {
  const e = parseEndpoint(text)
  if (typeof e === 'string') throw new ApiError(WireErrorCode.endpointInvalid, e)
  return text
}

/** /v1/vpcs: register, list, show, change, delete VPCs and issue join tokens. */
export function vpcApi(d: RouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/vpcs',
      {
        schema: {
          tags: ['vpcs'],
          summary: 'Register a VPC',
          body: CreateVpcRequest,
          response: { 201: CreateVpcResponse, ...ERROR_RESPONSES },
        },
      },
      async (req, reply) => {
        const b = req.body
        const cidrs = parseRoutable(b.cidrs, d)
        const token = newSecret('vmj')
        const rec = await d.store.createVpc(
          {
            name: b.name,
            cidrs,
            endpoint: checkEndpoint(b.endpoint),
            masquerade: b.masquerade,
            ...(b.routeTable === undefined ? {} : { routeTable: checkRouteTable(b.routeTable) }),
            ...(b.dnsZones === undefined ? {} : { dnsZones: b.dnsZones }),
            ...(b.mode === undefined ? {} : { mode: b.mode }),
            global: globalRequest(b, d) as GlobalRequest,
          },
          hashSecret(token),
          d.config.joinTokenTtlS,
        )
        d.logger.info('vpc created', { id: rec.id, name: rec.name, cidrs: rec.cidrs, mode: rec.mode ?? 'local' })
        return await reply.status(201).send({ vpc: toApiVpc(rec), joinToken: token, joinTokenExpiresAt: expiry(d) })
      },
    )

    app.get(
      '/v1/vpcs',
      { schema: { tags: ['vpcs'], summary: 'List VPCs', response: { 200: ListVpcsResponse, ...ERROR_RESPONSES } } },
      async () => {
        const s = await d.store.snapshot()
        return { version: s.version, vpcs: s.vpcs.map(toApiVpc) }
      },
    )

    app.get(
      '/v1/vpcs/:id',
      {
        schema: {
          tags: ['vpcs'],
          summary: 'Show a VPC',
          params: VpcParams,
          response: { 200: VpcResponse, ...ERROR_RESPONSES },
        },
      },
      async (req) => {
        const rec = await d.store.getVpc(req.params.id)
        if (rec === undefined) throw vpcNotFound(req.params.id)
        return { vpc: toApiVpc(rec) }
      },
    )

    app.patch(
      '/v1/vpcs/:id',
      {
        schema: {
          tags: ['vpcs'],
          summary: 'Change a VPC',
          params: VpcParams,
          body: PatchVpcRequest,
          response: { 200: VpcResponse, ...ERROR_RESPONSES },
        },
      },
      async (req) => {
        const b = req.body
        const rec = await d.store.updateVpc(req.params.id, {
          name: b.name,
          cidrs: b.cidrs === undefined ? undefined : parseRoutable(b.cidrs, d),
          endpoint: b.endpoint === undefined ? undefined : checkEndpoint(b.endpoint),
          masquerade: b.masquerade,
          routeTable: b.routeTable === undefined ? undefined : checkRouteTable(b.routeTable),
          dnsZones: b.dnsZones,
          mode: b.mode,
          global: globalRequest(b, d),
        })
        return { vpc: toApiVpc(rec) }
      },
    )

    app.delete(
      '/v1/vpcs/:id',
      {
        schema: {
          tags: ['vpcs'],
          summary: 'Delete a VPC',
          params: VpcParams,
          response: { 204: z.null(), ...ERROR_RESPONSES },
        },
      },
      async (req, reply) => {
        await d.store.deleteVpc(req.params.id)
        d.logger.info('vpc deleted', { id: req.params.id })
        return await reply.status(204).send(null)
      },
    )

    app.post(
      '/v1/vpcs/:id/join-token',
      {
        schema: {
          tags: ['vpcs'],
          summary: 'Issue a new single-use join token (the previous one stops working)',
          params: VpcParams,
          response: { 201: JoinTokenResponse, ...ERROR_RESPONSES },
        },
      },
      async (req, reply) => {
        const token = newSecret('vmj')
        await d.store.issueJoinToken(req.params.id, hashSecret(token), d.config.joinTokenTtlS)
        return await reply.status(201).send({ vpcId: req.params.id, joinToken: token, joinTokenExpiresAt: expiry(d) })
      },
    )
  }
}

function expiry(d: RouteDeps): string {
  return new Date(d.clock.now() + d.config.joinTokenTtlS * 1000).toISOString()
}

/**
 * A route-table setting with its VIP checked: `vip` needs an address with a prefix length
 * (`10.1.0.254/24`, host bits expected); other providers take none.
 */
export function checkRouteTable(rt: RouteTableSetting): RouteTableSetting {
  if (rt.provider !== 'vip') {
    if (rt.vip !== undefined)
      throw new ApiError(WireErrorCode.validation, `routeTable.vip is only for provider "vip", not "${rt.provider}"`)
    return { provider: rt.provider }
  }
  const m = /^(.+)\/(\d{1,3})$/.exec(rt.vip ?? '')
  const family = m === null ? undefined : detectFamily(m[1] as string)
  const len = Number(m?.[2])
  if (m === null || family === undefined || len < 1 || len > (family === 4 ? 32 : 128)) {
    throw new ApiError(
      WireErrorCode.validation,
      `routeTable.vip must be the floating LAN address with its prefix length, e.g. "10.1.0.254/24" (got ${JSON.stringify(rt.vip ?? null)})`,
    )
  }
  return { provider: 'vip', vip: `${formatAddress(parseAddress(m[1] as string))}/${len}` }
}
