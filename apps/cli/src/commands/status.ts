import type { CommandSpec } from '../command.js'
import { statusText } from '../status-view.js'

/** `vpcmesh status`: the mesh view from the controller. */
export const statusCommand: CommandSpec = {
  path: 'status',
  summary: 'show agents, their applied versions, the tunnel matrix and HA gateways',
  synopsis: 'status',
  args: [],
  flags: {},
  details: `Shows the mesh version, one row per agent (connected, applied version and lag behind
the mesh version, last seen, controller replica), and the pair matrix: row A, column B
is A's tunnel to B as A reports it: "up <rtt>", "down", or "-" when unknown.
For HA VPCs (two or more gateways) a last table shows each gateway: its role (active,
standby or drained), whether it is connected, last seen and its controller replica, and
for the active one its fencing epoch, since when (ISO 8601) and why (elected, failover
or drain).`,
  async run(ctx) {
    const res = await ctx.client.status()
    if (ctx.json) return ctx.out.json(res)
    ctx.out.print(statusText(res, ctx.now()))
  },
}
