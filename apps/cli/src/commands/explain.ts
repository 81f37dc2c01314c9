import { isIP } from 'node:net'
import { ExplainRequest } from '@vpcmesh/protocol'
import type { CommandSpec } from '../command.js'
import { FlowBrokenError, usageError } from '../errors.js'
import { explainText } from '../explain-view.js'
import { validateRequest } from '../validate.js'

/** The --port flag as a number; a usage error when it is not one. */
function port(text: string | undefined, command: string): number | undefined {
  if (text === undefined) return undefined
  if (!/^\d{1,5}$/.test(text))
    throw usageError(`bad value for --port: ${JSON.stringify(text)} is not a port number`, command)
  return Number(text)
}

/** A DNS name DST may be (letters, digits, hyphens, underscores, dots). */
const NAME = /^[a-z0-9_](?:[a-z0-9_.-]{0,251}[a-z0-9])?$/i

/** SRC must be an IP address, DST an address or a name: a usage error otherwise. */
function checkEnds(src: string, dst: string, command: string): void {
  if (isIP(src) === 0) throw usageError(`SRC ${JSON.stringify(src)} is not an IP address`, command)
  if (isIP(dst) === 0 && !NAME.test(dst))
    throw usageError(`DST ${JSON.stringify(dst)} is neither an IP address nor a DNS name`, command)
}

/** `vpcmesh explain SRC DST`: how a packet would travel, hop by hop, from live agent evidence. */
export const explainCommand: CommandSpec = {
  path: 'explain',
  summary: 'show how a packet from SRC to DST would travel, hop by hop, and what is broken',
  synopsis: 'explain SRC DST [--proto tcp|udp|icmp] [--port N] [--src-vpc VPC]',
  args: [{ name: 'SRC' }, { name: 'DST' }],
  flags: { proto: { type: 'string' }, port: { type: 'string' }, 'src-vpc': { type: 'string' } },
  details: `Asks the controller, and through it the agents of both VPCs, how a packet from SRC
(an address inside a VPC) to DST (an address, local or global, or a DNS name that SRC's
agent resolves) would travel. Each hop gets a verdict from evidence read live on the
agents: ✓ ok, ✗ broken, ? unknown (an agent did not answer). Hops: locate (VPCs, active
gateways, agents connected), dns (DST is a name), route (the route on SRC's agent, in
the kernel now), tunnel (up, last handshake, RTT), nat (global-mode VPCs), mtu (TUN MTU,
MSS clamp), route-back (the return route on DST's agent), forward (IP forwarding, the
mesh policy, other firewalls' forward chains with policy drop). The fix of the first
broken hop is printed last. docs/operations.md, "Explaining a flow", lists every hop.

Flags:
  --proto PROTO          tcp, udp or icmp (the MSS clamp matters for tcp)
  --port N               the destination port (shown; no hop depends on it yet)
  --src-vpc VPC          the VPC SRC is in, when several global-mode VPCs share its address

With --json prints the POST /v1/explain answer.

Example:
  vpcmesh explain 10.1.0.5 242.0.1.20 --proto tcp --port 5432`,
  exitCodes:
    'Exit status: 0 every hop ok (or some unknown, none broken), 1 a hop is broken or an API error, 2 bad input.',
  async run(ctx) {
    checkEnds(ctx.args[0] ?? '', ctx.args[1] ?? '', ctx.command)
    const proto = ctx.flags.string('proto')
    const srcVpc = ctx.flags.string('src-vpc')
    const body = {
      src: ctx.args[0],
      dst: ctx.args[1],
      ...(proto === undefined ? {} : { proto }),
      ...(ctx.flags.string('port') === undefined ? {} : { port: port(ctx.flags.string('port'), ctx.command) }),
      ...(srcVpc === undefined ? {} : { srcVpc }),
    }
    const req = validateRequest(ExplainRequest, body, ctx.command, {
      src: 'SRC',
      dst: 'DST',
      proto: '--proto',
      port: '--port',
      srcVpc: '--src-vpc',
    })
    const res = await ctx.client.explain(req)
    if (ctx.json) ctx.out.json(res)
    else ctx.out.print(explainText(res))
    if (res.firstBroken !== null) throw new FlowBrokenError(res.firstBroken)
  },
}
