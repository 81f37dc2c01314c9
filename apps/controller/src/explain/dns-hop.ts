/** The dns hop (DST is a name): what SRC's agent resolved, and which VPC's zone serves the name. Pure. */
import { detectFamily } from '@vpcmesh/cidr'
import type { ExplainHop, ProbeOutcome } from '@vpcmesh/protocol'
import type { VpcRecord } from '../state/store.js'
import { unknownHop } from './hop-verdicts.js'

/** The VPC and zone serving `name` (longest zone suffix), if any. */
export function servingZone(
  vpcs: readonly VpcRecord[],
  name: string,
): { vpc: VpcRecord; zone: string; server: string } | undefined {
  const n = name.toLowerCase()
  let best: { vpc: VpcRecord; zone: string; server: string } | undefined
  for (const vpc of vpcs)
    for (const z of vpc.dnsZones ?? []) {
      const zone = z.zone.toLowerCase()
      if ((n === zone || n.endsWith(`.${zone}`)) && (best === undefined || zone.length > best.zone.length))
        best = { vpc, zone: z.zone, server: z.server }
    }
  return best
}

/** The hop, and the address the flow continues to (the first IPv4 answer, else the first). */
export function dnsHop(
  vpcs: readonly VpcRecord[],
  srcVpc: string,
  name: string,
  outcome: ProbeOutcome,
): { hop: ExplainHop; address?: string } {
  if (!outcome.ok) return { hop: unknownHop('dns', srcVpc, outcome.reason) }
  const d = outcome.result.dns
  if (d === null) return { hop: unknownHop('dns', srcVpc, 'the agent did not resolve the name') }
  const zone = servingZone(vpcs, name)
  const served =
    zone === undefined
      ? `${name} is in no zone registered in the mesh (answered by the VPC's own resolver)`
      : `zone ${zone.zone} of VPC ${zone.vpc.name} (server ${zone.server})`
  const via = d.via === 'forwarder' ? `the agent's DNS forwarder ${d.server ?? ''}`.trim() : "the host's resolver"
  const address = d.addresses.find((a) => detectFamily(a) === 4) ?? d.addresses[0]
  if (address === undefined)
    return {
      hop: {
        hop: 'dns',
        vpc: srcVpc,
        verdict: 'broken',
        evidence: [`${name} did not resolve through ${via}: ${d.error ?? 'no answer'}`, served],
        fix:
          zone === undefined
            ? `register the zone on the VPC that serves it (\`vpcmesh vpc dns\`), or fix ${srcVpc}'s resolver`
            : `check that ${zone.server} answers for ${zone.zone} inside VPC ${zone.vpc.name}, and run the forwarder on ${srcVpc}'s agent (--dns-listen)`,
      },
    }
  return {
    hop: {
      hop: 'dns',
      vpc: srcVpc,
      verdict: 'ok',
      evidence: [`${name} → ${d.addresses.join(', ')} via ${via}`, served],
    },
    address,
  }
}
