import { CreateVpcRequest, PatchVpcRequest, parseEndpoint } from '@vpcmesh/protocol'
import type { Flags, FlagSpecs } from '../args.js'
import type { CommandContext, CommandGroup, CommandSpec } from '../command.js'
import { usageError } from '../errors.js'
import { validateRequest } from '../validate.js'
import { ROUTE_TABLE_FLAGS, ROUTE_TABLE_FLAGS_HELP, routeTableFromFlags } from '../route-table-flag.js'
import { resolveVpc } from '../vpc-ref.js'
import { joinTokenText, vpcDetails, vpcFields, vpcTable } from '../vpc-view.js'

const EDIT_FLAGS: FlagSpecs = {
  cidr: { type: 'string', multiple: true },
  endpoint: { type: 'string' },
  masquerade: { type: 'boolean' },
  'no-masquerade': { type: 'boolean' },
  global: { type: 'boolean' },
  'global-prefix': { type: 'string', multiple: true },
  ...ROUTE_TABLE_FLAGS,
}
const BODY_LABELS = {
  name: 'NAME',
  cidrs: '--cidr',
  endpoint: '--endpoint',
  masquerade: '--masquerade',
  routeTable: '--route-table',
  mode: '--global',
  globalPrefixes: '--global-prefix',
}

const GLOBAL_HELP = `  --global                global mode: the mesh reaches this VPC at global prefixes the
                          controller allocates (same sizes), so its CIDRs may overlap other VPCs'
  --global-prefix L=G     in global mode, reach local prefix L at global prefix G (same length)`

const add: CommandSpec = {
  path: 'vpc add',
  summary: 'register a VPC and print its one-time join token',
  synopsis:
    'vpc add NAME --cidr CIDR [--cidr CIDR ...] --endpoint HOST:PORT [--no-masquerade]' +
    ' [--global [--global-prefix LOCAL=GLOBAL ...]] [--route-table PROVIDER [--vip ADDRESS/LEN]]',
  args: [{ name: 'NAME' }],
  flags: EDIT_FLAGS,
  details: `Registers a VPC: the prefixes it owns and where its agent receives tunnel traffic.
Prints the VPC and a single-use join token, which is shown only once; run the agent
with it on the VPC's route-target VM.

Flags:
  --cidr CIDR             a prefix the VPC owns; repeat for more (at least one)
  --endpoint HOST:PORT    underlay address of the VPC's agent, e.g. 203.0.113.10:51820
  --no-masquerade         do not source-NAT mesh traffic into this VPC (default: masquerade)
${GLOBAL_HELP}
${ROUTE_TABLE_FLAGS_HELP}

Examples:
  vpcmesh vpc add aws-prod --cidr 10.0.0.0/16 --endpoint 203.0.113.10:51820
  vpcmesh vpc add cluster-b --cidr 10.244.0.0/16 --endpoint 203.0.113.11:51820 --global
  vpcmesh vpc add office --cidr 10.1.0.0/24 --endpoint 198.51.100.10:51820 --route-table vip --vip 10.1.0.254/24`,
  async run(ctx) {
    const cidrs = ctx.flags.strings('cidr')
    const endpoint = ctx.flags.string('endpoint')
    if (cidrs.length === 0) throw usageError(`missing flag --cidr for '${ctx.command}'`, ctx.command)
    if (endpoint === undefined) throw usageError(`missing flag --endpoint for '${ctx.command}'`, ctx.command)
    checkEndpoint(endpoint, ctx.command)
    const routeTable = routeTableFromFlags(ctx.flags, ctx.command)
    const body = {
      name: ctx.args[0],
      cidrs,
      endpoint,
      masquerade: masquerade(ctx.flags, ctx.command) ?? true,
      ...(routeTable !== undefined ? { routeTable } : {}),
      ...addressing(ctx.flags, ctx.command),
    }
    const res = await ctx.client.createVpc(validateRequest(CreateVpcRequest, body, ctx.command, BODY_LABELS))
    if (ctx.json) return ctx.out.json(res)
    ctx.out.print(`created vpc ${res.vpc.name} (${res.vpc.id})\n${vpcFields(res.vpc, '  ')}\n`)
    ctx.out.print(
      joinTokenText({
        vpc: res.vpc.name,
        token: res.joinToken,
        expiresAt: res.joinTokenExpiresAt,
        controllerUrl: ctx.controllerUrl,
      }),
    )
  },
}

const list: CommandSpec = {
  path: 'vpc list',
  summary: 'list VPCs',
  synopsis: 'vpc list',
  args: [],
  flags: {},
  details: `Lists every VPC with its prefixes, endpoint, whether its agent has enrolled, and its
gateways: "-" before the first enrolled, their number, and for HA VPCs the active one.`,
  async run(ctx) {
    const res = await ctx.client.listVpcs()
    if (ctx.json) return ctx.out.json(res)
    ctx.out.print(res.vpcs.length === 0 ? 'no VPCs yet; add one with vpcmesh vpc add' : vpcTable(res.vpcs))
  },
}

const show: CommandSpec = {
  path: 'vpc show',
  summary: 'show one VPC',
  synopsis: 'vpc show ID|NAME',
  args: [{ name: 'ID|NAME' }],
  flags: {},
  details: `Shows one VPC, named by its id (vpc_0123456789ab) or its name, with its route-table
provider. For a VPC with gateways (agents), a table follows: each gateway's name, id,
announced endpoint and role (active, standby, drained, or single for a VPC's only gateway,
which needs no election), and for the active one its fencing epoch, since when (ISO 8601)
and why it became active (elected, failover or drain).`,
  async run(ctx) {
    const res = await ctx.client.getVpc((await resolveVpc(ctx.client, arg0(ctx))).id)
    if (ctx.json) return ctx.out.json(res)
    ctx.out.print(vpcDetails(res.vpc))
  },
}

const rm: CommandSpec = {
  path: 'vpc rm',
  summary: 'delete a VPC (its agent is disconnected)',
  synopsis: 'vpc rm ID|NAME',
  args: [{ name: 'ID|NAME' }],
  flags: {},
  details: `Deletes a VPC. Its agent is disconnected and every other agent drops its routes.
With --json prints {"id": ID, "deleted": true} (the API answers 204 without a body).`,
  async run(ctx) {
    const ref = await resolveVpc(ctx.client, arg0(ctx))
    await ctx.client.deleteVpc(ref.id)
    if (ctx.json) return ctx.out.json({ id: ref.id, deleted: true })
    ctx.out.print(ref.label === ref.id ? `deleted vpc ${ref.id}` : `deleted vpc ${ref.label} (${ref.id})`)
  },
}

const set: CommandSpec = {
  path: 'vpc set',
  summary: "change a VPC's endpoint, CIDRs, masquerading, name or route table",
  synopsis:
    'vpc set ID|NAME [--endpoint HOST:PORT] [--cidr CIDR ...] [--masquerade|--no-masquerade] [--name NEW]' +
    ' [--global [--global-prefix LOCAL=GLOBAL ...]|--local] [--route-table PROVIDER [--vip ADDRESS/LEN]]',
  args: [{ name: 'ID|NAME' }],
  flags: { ...EDIT_FLAGS, name: { type: 'string' }, local: { type: 'boolean' } },
  details: `Changes a VPC. Give at least one flag; the rest stays as it is.

Flags:
  --endpoint HOST:PORT    new underlay address of the VPC's agent
  --cidr CIDR             replaces ALL own prefixes; repeat for more (routes are kept)
  --masquerade            source-NAT mesh traffic into this VPC
  --no-masquerade         stop source-NAT of mesh traffic into this VPC
  --name NEW              rename the VPC
${GLOBAL_HELP}
  --local                 back to local mode: its own prefixes are routed (must not overlap)
${ROUTE_TABLE_FLAGS_HELP}

Example:
  vpcmesh vpc set office --route-table vip --vip 10.1.0.254/24`,
  async run(ctx) {
    const { flags, command } = ctx
    const endpoint = flags.string('endpoint')
    if (endpoint !== undefined) checkEndpoint(endpoint, command)
    const cidrs = flags.strings('cidr')
    const routeTable = routeTableFromFlags(flags, command)
    const body = {
      ...(flags.string('name') !== undefined ? { name: flags.string('name') } : {}),
      ...(cidrs.length > 0 ? { cidrs } : {}),
      ...(endpoint !== undefined ? { endpoint } : {}),
      ...(masquerade(flags, command) !== undefined ? { masquerade: masquerade(flags, command) } : {}),
      ...(routeTable !== undefined ? { routeTable } : {}),
      ...addressing(flags, command),
    }
    if (Object.keys(body).length === 0) {
      throw usageError(
        'nothing to change: give --endpoint, --cidr, --masquerade, --no-masquerade, --name, --global, --local or --route-table',
        command,
      )
    }
    const patch = validateRequest(PatchVpcRequest, body, command, { ...BODY_LABELS, name: '--name' })
    const res = await ctx.client.patchVpc((await resolveVpc(ctx.client, arg0(ctx))).id, patch)
    if (ctx.json) return ctx.out.json(res)
    ctx.out.print(`updated vpc ${res.vpc.name} (${res.vpc.id})\n${vpcDetails(res.vpc, '  ')}`)
  },
}

const joinToken: CommandSpec = {
  path: 'vpc join-token',
  summary: "issue a fresh single-use join token to (re-)enrol the VPC's agent",
  synopsis: 'vpc join-token ID|NAME',
  args: [{ name: 'ID|NAME' }],
  flags: {},
  details: `Issues a fresh single-use join token for the VPC's agent (to enrol it, or to
re-enrol it on a new VM). The token is shown only once.`,
  async run(ctx) {
    const ref = await resolveVpc(ctx.client, arg0(ctx))
    const res = await ctx.client.createJoinToken(ref.id)
    if (ctx.json) return ctx.out.json(res)
    ctx.out.print(
      joinTokenText({
        vpc: ref.label,
        token: res.joinToken,
        expiresAt: res.joinTokenExpiresAt,
        controllerUrl: ctx.controllerUrl,
      }),
    )
  },
}

/** The `vpc` group: register, list, show, change and delete VPCs, and issue join tokens. */
export const vpcGroup: CommandGroup = {
  name: 'vpc',
  summary: 'register, list, show, change and delete VPCs; issue join tokens',
  commands: [add, list, show, rm, set, joinToken],
}

function arg0(ctx: CommandContext): string {
  return ctx.args[0] ?? ''
}

function checkEndpoint(endpoint: string, command: string): void {
  const parsed = parseEndpoint(endpoint)
  if (typeof parsed === 'string') throw usageError(`bad value for --endpoint: ${parsed}`, command)
}

/**
 * --global / --local → `mode`, --global-prefix L=G … → `globalPrefixes` (only with --global,
 * or alone on `vpc set`); nothing given → {}. Bad combinations are usage errors.
 */
function addressing(
  flags: Flags,
  command: string,
): { mode?: 'local' | 'global'; globalPrefixes?: Array<{ local: string; global: string }> } {
  const global = flags.bool('global')
  const local = flags.bool('local')
  if (global && local) throw usageError('give --global or --local, not both', command)
  const pairs = flags.strings('global-prefix').map((text) => {
    const m = /^([^=\s]+)=([^=\s]+)$/.exec(text)
    if (m === null)
      throw usageError(`bad --global-prefix "${text}": give LOCAL=GLOBAL, e.g. 10.0.0.0/24=242.0.9.0/24`, command)
    return { local: m[1] as string, global: m[2] as string }
  })
  if (pairs.length > 0 && local) throw usageError('--global-prefix needs global mode, not --local', command)
  if (pairs.length > 0 && !global && command === 'vpc add') throw usageError('--global-prefix needs --global', command)
  return {
    ...(global ? { mode: 'global' as const } : local ? { mode: 'local' as const } : {}),
    ...(pairs.length > 0 ? { globalPrefixes: pairs } : {}),
  }
}

/** --masquerade → true, --no-masquerade → false, neither → undefined; both is a usage error. */
function masquerade(flags: Flags, command: string): boolean | undefined {
  const on = flags.bool('masquerade')
  const off = flags.bool('no-masquerade')
  if (on && off) throw usageError('give --masquerade or --no-masquerade, not both', command)
  return on ? true : off ? false : undefined
}
