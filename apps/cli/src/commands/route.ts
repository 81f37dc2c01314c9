import { RouteRequest } from '@vpcmesh/protocol'
import type { CommandContext, CommandGroup, CommandSpec } from '../command.js'
import { validateRequest } from '../validate.js'
import { findVpc, resolveVpc, vpcNotFound } from '../vpc-ref.js'
import { prefixRows, prefixTable, vpcFields } from '../vpc-view.js'

const add: CommandSpec = {
  path: 'route add',
  summary: 'add an extra prefix a VPC serves (e.g. a peered network behind it)',
  synopsis: 'route add ID|NAME CIDR',
  args: [{ name: 'ID|NAME' }, { name: 'CIDR' }],
  flags: {},
  details: `Adds a route: a prefix beyond the VPC's own CIDRs that its agent serves, such as a
network peered to the VPC. Other agents send traffic for it through this VPC.

Example:
  vpcmesh route add aws-prod 172.31.0.0/16`,
  async run(ctx) {
    const { cidr } = checkCidr(ctx)
    const res = await ctx.client.addRoute((await resolveVpc(ctx.client, ctx.args[0] ?? '')).id, cidr)
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
  summary: 'show which VPC serves which prefix',
  synopsis: 'route list [ID|NAME]',
  args: [{ name: 'ID|NAME', optional: true }],
  flags: {},
  details: `Shows every prefix of the mesh (or of one VPC) and the VPC that serves it. KIND is
"cidr" for a VPC's own prefix and "route" for one added with \`vpcmesh route add\`.
With --json prints the GET /v1/vpcs answer (only the named VPC when one is given).`,
  async run(ctx) {
    const res = await ctx.client.listVpcs()
    const ref = ctx.args[0]
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

/** The `route` group: extra prefixes a VPC serves besides its own CIDRs. */
export const routeGroup: CommandGroup = {
  name: 'route',
  summary: 'add, remove and list the prefixes each VPC serves',
  commands: [add, rm, list],
}

function checkCidr(ctx: CommandContext): RouteRequest {
  return validateRequest(RouteRequest, { cidr: ctx.args[1] }, ctx.command, { cidr: 'CIDR' })
}
