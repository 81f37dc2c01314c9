import { isIP } from 'node:net'
import { RouteRequest } from '@vpcmesh/protocol'
import { NotRoutedError } from '../errors.js'
import type { CommandContext, CommandGroup, CommandSpec } from '../command.js'
import { validateRequest } from '../validate.js'
import { findVpc, resolveVpc, vpcNotFound } from '../vpc-ref.js'
import { prefixRows, prefixTable, vpcFields } from '../vpc-view.js'

const add: CommandSpec = {
  path: 'route add',
  summary: 'add an extra prefix a VPC serves (e.g. a peered network behind it)',
  synopsis: 'route add ID|NAME CIDR [--global-prefix GLOBAL-CIDR]',
  args: [{ name: 'ID|NAME' }, { name: 'CIDR' }],
  flags: { 'global-prefix': { type: 'string' } },
  details: `Adds a route: a prefix beyond the VPC's own CIDRs that its agent serves, such as a
network peered to the VPC. Other agents send traffic for it through this VPC.
For a VPC in global mode the controller allocates the route a global prefix of the same
length from its pool; --global-prefix GLOBAL-CIDR asks for a specific one.

Examples:
  vpcmesh route add aws-prod 172.31.0.0/16
  vpcmesh route add cluster-b 10.96.0.0/12 --global-prefix 242.16.0.0/12`,
  async run(ctx) {
    const { cidr } = checkCidr(ctx)
    const global = ctx.flags.string('global-prefix')
    if (global !== undefined) validateRequest(RouteRequest, { cidr: global }, ctx.command, { cidr: '--global-prefix' })
    const res = await ctx.client.addRoute((await resolveVpc(ctx.client, ctx.args[0] ?? '')).id, cidr, global)
    if (ctx.json) return ctx.out.json(res)
    ctx.out.print(`added route ${cidr} to vpc ${res.vpc.name} (${res.vpc.id})\n${vpcFields(res.vpc, '  ')}`)
  },
}

const rm: CommandSpec = {
  path: 'route rm',
  summary: 'remove a route from a VPC',
  synopsis: 'route rm ID|NAME CIDR',
  args: [{ name: 'ID|NAME' }, { name: 'CIDR' }],
  flags: {},
  details: "Removes a route added with `vpcmesh route add`. A VPC's own CIDRs change with `vpcmesh vpc set --cidr`.",
  async run(ctx) {
    const { cidr } = checkCidr(ctx)
    const res = await ctx.client.removeRoute((await resolveVpc(ctx.client, ctx.args[0] ?? '')).id, cidr)
    if (ctx.json) return ctx.out.json(res)
    ctx.out.print(`removed route ${cidr} from vpc ${res.vpc.name} (${res.vpc.id})\n${vpcFields(res.vpc, '  ')}`)
  },
}

const list: CommandSpec = {
  path: 'route list',
  summary: 'show which VPC serves which prefix, or where one address lands',
  synopsis: 'route list [ID|NAME|ADDRESS]',
  args: [{ name: 'ID|NAME|ADDRESS', optional: true }],
  flags: {},
  details: `Shows every prefix of the mesh (or of one VPC) and the VPC that serves it. KIND is
"cidr" for a VPC's own prefix and "route" for one added with \`vpcmesh route add\`.
PREFIX is what the mesh routes; for a VPC in global mode a LOCAL column shows the prefix
inside the VPC. With --json prints the GET /v1/vpcs answer (only the named VPC when one
is given).

Given an IP address, says which VPC and which real address it is: the routed prefix
holding it and, for a global address, the address it is translated to inside its VPC.
Exits 1 when no routed prefix holds it. With --json prints the GET /v1/routes answer.

Examples:
  vpcmesh route list
  vpcmesh route list 242.0.1.7`,
  async run(ctx) {
    const ref = ctx.args[0]
    if (ref !== undefined && isIpAddress(ref)) return await lookup(ctx, ref)
    const res = await ctx.client.listVpcs()
    let vpcs = res.vpcs
    if (ref !== undefined) {
      const vpc = findVpc(res.vpcs, ref)
      if (vpc === undefined) throw vpcNotFound(ref)
      vpcs = [vpc]
    }
    if (ctx.json) return ctx.out.json({ version: res.version, vpcs })
    const rows = prefixRows(vpcs)
    ctx.out.print(rows.length === 0 ? 'no prefixes yet; add a VPC with vpcmesh vpc add' : prefixTable(rows))
  },
}

/** `route list ADDRESS`: the VPC and real address behind one address. */
async function lookup(ctx: CommandContext, address: string): Promise<void> {
  const res = await ctx.client.listRoutes(address)
  if (ctx.json) return ctx.out.json(res)
  const l = res.lookup
  if (l === null || l === undefined) {
    throw new NotRoutedError(`${address} is not inside any prefix routed in the mesh (see vpcmesh route list)`)
  }
  const r = l.route
  const where = r.local === r.prefix ? `${r.prefix} (${r.kind})` : `${r.prefix} → ${r.local} (${r.kind}, global mode)`
  ctx.out.print(
    [
      `${address} is ${l.localAddress} in vpc ${r.vpcName} (${r.vpc})`,
      `  routed prefix  ${where}`,
      ...(l.localAddress === address ? [] : [`  translated by  the gateway of ${r.vpcName} (nftables prefix NAT)`]),
    ].join('\n'),
  )
}

/** True for an IPv4 or IPv6 literal. */
function isIpAddress(text: string): boolean {
  return isIP(text) !== 0
}

/** The `route` group: extra prefixes a VPC serves besides its own CIDRs. */
export const routeGroup: CommandGroup = {
  name: 'route',
  summary: 'add, remove and list the prefixes each VPC serves',
  commands: [add, rm, list],
}

function checkCidr(ctx: CommandContext): RouteRequest {
  return validateRequest(RouteRequest, { cidr: ctx.args[1] }, ctx.command, { cidr: 'CIDR' })
}
