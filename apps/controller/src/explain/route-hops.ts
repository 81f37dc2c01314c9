/**
 * The route and route-back hops: the routed prefix of the far end present in the probing
 * agent's routing table in the kernel, pointing into its TUN. Pure.
 */
import type { ExplainHop, ProbeOutcome } from '@vpcmesh/protocol'
import { unknownHop } from './hop-verdicts.js'

/** The hop for `prefix` in the table of `vpcName`'s agent, from its probe outcome. */
export function routeHop(
  hop: 'route' | 'route-back',
  vpcName: string,
  prefix: string,
  outcome: ProbeOutcome,
): ExplainHop {
  if (!outcome.ok) return unknownHop(hop, vpcName, outcome.reason)
  const r = outcome.result
  const base = { hop, vpc: vpcName }
  const skipped = r.skippedRoutes.find((s) => s.prefix === prefix)
  if (skipped !== undefined)
    return {
      ...base,
      verdict: 'broken',
      evidence: [`agent of ${vpcName} skips ${prefix}: ${skipped.reason} (${skipped.detail})`],
      fix: skipFix(skipped.reason, prefix),
    }
  const route = r.routes?.find((x) => x.prefix === prefix)
  if (r.table === null || route === undefined)
    return unknownHop(hop, vpcName, r.errors.join('; ') || 'the routing table could not be read')
  const where = `table ${r.table}`
  if (route.dev === r.tun.name && route.type === 'unicast')
    return { ...base, verdict: 'ok', evidence: [`${prefix} dev ${route.dev} in ${where} (kernel, read now)`] }
  const now =
    route.type === null
      ? `no route for ${prefix} in ${where} (kernel, read now)`
      : `${prefix} in ${where} is ${route.type}${route.dev === null ? '' : ` dev ${route.dev}`}, not into ${r.tun.name}`
  return {
    ...base,
    verdict: 'broken',
    evidence: [now],
    fix:
      `the agent of ${vpcName} restores its routes on its next repair (every 30 s) or restart; at once: ` +
      `\`ip route replace ${prefix} dev ${r.tun.name} table ${r.table} proto 112\` on that host`,
  }
}

/** What to do about a skipped route, by skip reason (docs/operations.md). */
function skipFix(reason: string, prefix: string): string {
  switch (reason) {
    case 'operator':
      return `a route for ${prefix} in the main table is the operator's and wins; remove it if the mesh should carry ${prefix}`
    case 'local':
      return `${prefix} overlaps a network this host is on; renumber one side or use global mode for one VPC`
    case 'underlay':
      return `${prefix} covers the address the tunnel runs over; it cannot be routed into the tunnel`
    default:
      return `${prefix} is reserved and never routed into the mesh`
  }
}
