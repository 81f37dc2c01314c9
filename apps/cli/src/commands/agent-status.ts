import type { AgentCommandSpec } from '../command.js'
import { agentStatusUrl, fetchAgentStatus } from '../agent-status-fetch.js'
import { agentStatusText } from '../agent-status-view.js'

/** `vpcmesh agent-status URL`: one agent's own view, from its local status server. */
export const agentStatusCommand: AgentCommandSpec = {
  target: 'agent',
  path: 'agent-status',
  summary: "show one agent's peers, applied version, skipped routes and drops",
  synopsis: 'agent-status URL',
  args: [{ name: 'URL' }],
  flags: {},
  details: `Reads GET URL/status from an agent's status server (its --status-listen address,
default 127.0.0.1:7701, usually on the agent's own VM) and checks it against the
protocol schema. Shows the VPC, the applied mesh version, the controller connection,
the host's routing table, each peer (up or down, RTT, endpoint, last handshake, bytes),
skipped routes and peers, and the drop counts. Needs no admin token.

Example:
  vpcmesh agent-status http://127.0.0.1:7701`,
  async run(ctx) {
    const url = agentStatusUrl(ctx.args[0] as string, ctx.command)
    const status = await fetchAgentStatus(url, ctx.fetch)
    if (ctx.json) return ctx.out.json(status)
    ctx.out.print(agentStatusText(status))
  },
}
