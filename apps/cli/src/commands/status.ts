import type { CommandSpec } from '../command.js'
import { statusText } from '../status-view.js'

/** `vpcmesh status`: the mesh view from the controller. */
export const statusCommand: CommandSpec = {
  path: 'status',
  summary: 'show agents, their applied versions and the tunnel matrix',
  synopsis: 'status',
  args: [],
  flags: {},
  details: `Shows the mesh version, one row per agent (connected, applied version and lag behind
the mesh version, last seen, controller replica), and the pair matrix: row A, column B
is A's tunnel to B as A reports it: "up <rtt>", "down", or "-" when unknown.`,
  async run(ctx) {
    const res = await ctx.client.status()
    if (ctx.json) return ctx.out.json(res)
    ctx.out.print(statusText(res, ctx.now()))
  },
}
