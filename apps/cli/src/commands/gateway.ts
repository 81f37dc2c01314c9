import { DrainRequest, type Vpc } from '@vpcmesh/protocol'
import type { CommandGroup, CommandSpec } from '../command.js'
import { usageError } from '../errors.js'
import { checkGatewayRef, resolveGateways } from '../gateway-ref.js'
import { vpcGatewayTable } from '../gateway-view.js'
import { validateRequest } from '../validate.js'

const drain: CommandSpec = {
  path: 'gateway drain',
  summary: "move an HA VPC's active role away from a gateway (planned maintenance)",
  synopsis: 'gateway drain VPC GW [--to GW]',
  args: [{ name: 'VPC' }, { name: 'GW' }],
  flags: { to: { type: 'string' } },
  details: `Moves the active role of an HA VPC (one with two or more gateways) away from its
active gateway GW: to the gateway given with --to, or to the first other gateway that is
connected and not drained. The new active gateway gets a new fencing epoch; peers already
have tunnels to it, so established flows keep going. GW is not elected again until its
agent reconnects: restart it after the maintenance. A standby needs no drain to be stopped.

VPC is a VPC id or name; GW and --to are gateway ids (gw_0123456789ab) or gateway names
(\`vpcmesh vpc show VPC\` lists them). Prints the new active gateway and its epoch; with
--json, the API answer (the VPC).

Flags:
  --to GW  the gateway to move the active role to (default: any connected standby)

Examples:
  vpcmesh gateway drain office gw-a
  vpcmesh gateway drain office gw-a --to gw-b`,
  async run(ctx) {
    const [vpcRef = '', gatewayRef = ''] = ctx.args
    const toRef = ctx.flags.string('to')
    checkGatewayRef(gatewayRef, 'GW', ctx.command)
    if (toRef !== undefined) checkGatewayRef(toRef, '--to', ctx.command)
    const sameGateway = usageError(
      `--to ${toRef} is the gateway being drained; name another one or leave --to out`,
      ctx.command,
    )
    if (toRef === gatewayRef) throw sameGateway
    const target = await resolveGateways(ctx.client, vpcRef, gatewayRef, toRef)
    if (target.to === target.gateway) throw sameGateway
    const body =
      target.to === undefined
        ? undefined
        : validateRequest(DrainRequest, { to: target.to }, ctx.command, { to: '--to' })
    const res = await ctx.client.drainGateway(target.vpcId, target.gateway, body)
    if (ctx.json) return ctx.out.json(res)
    ctx.out.print(drainText(res.vpc, target.gateway))
  },
}

/** The `gateway` group: operations on the gateways (agents) of HA VPCs. */
export const gatewayGroup: CommandGroup = {
  name: 'gateway',
  summary: 'drain the active gateway of an HA VPC',
  commands: [drain],
}

/** What `gateway drain` prints: which gateway was drained, the new active one and its epoch, the gateways. */
function drainText(vpc: Vpc, drained: string): string {
  const label = (id: string): string => {
    const g = vpc.gateways.find((x) => x.id === id)
    return g === undefined ? id : `${g.name} (${id})`
  }
  const active =
    vpc.active === null
      ? 'no gateway is active now'
      : `active gateway now ${label(vpc.active.gateway)}, epoch ${vpc.active.epoch}, since ${vpc.active.since}`
  const table = vpcGatewayTable(vpc)
    .split('\n')
    .map((l) => `  ${l}`)
  return [`drained gateway ${label(drained)} of vpc ${vpc.name} (${vpc.id})`, active, '', ...table].join('\n')
}
