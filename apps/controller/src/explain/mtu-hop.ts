/** The mtu hop: both TUN MTUs and the MSS clamp rules (`vpcmesh:mss-…`) loaded on both agents. Pure. */
import type { ExplainHop, ProbeOutcome } from '@vpcmesh/protocol'
import { mergeHop, unknownHop } from './hop-verdicts.js'

/** The clamp rules every agent loads (comment prefixes). */
const CLAMP = ['vpcmesh:mss-in-v4:', 'vpcmesh:mss-in-v6:', 'vpcmesh:mss-out:'] as const

/** One agent's part. */
function part(vpc: string, outcome: ProbeOutcome, tcp: boolean): ExplainHop {
  if (!outcome.ok) return unknownHop('mtu', vpc, outcome.reason)
  const r = outcome.result
  if (r.nft === null) return unknownHop('mtu', vpc, r.errors.join('; ') || 'nftables unreadable')
  const comments = r.nft.comments
  const missing = CLAMP.filter((c) => !comments.some((x) => x.startsWith(c)))
  const clamp =
    missing.length === 0
      ? 'MSS clamp loaded'
      : `MSS clamp rules missing: ${missing.map((m) => m.slice(0, -1)).join(', ')}`
  const evidence = [`${vpc}: TUN ${r.tun.name} MTU ${r.tun.mtu}, ${clamp}`]
  if (missing.length === 0 || !tcp) return { hop: 'mtu', vpc, verdict: 'ok', evidence }
  return {
    hop: 'mtu',
    vpc,
    verdict: 'broken',
    evidence,
    fix:
      `TCP segments larger than the tunnel carries are dropped without the clamp: the agent of ${vpc} ` +
      'reloads its `inet vpcmesh` table on its next repair; check nothing else deletes it (`nft list table inet vpcmesh`)',
  }
}

/** The hop; the clamp matters only for TCP (or an unspecified protocol). */
export function mtuHop(
  src: { vpc: string; outcome: ProbeOutcome },
  dst: { vpc: string; outcome: ProbeOutcome },
  proto: 'tcp' | 'udp' | 'icmp' | undefined,
): ExplainHop {
  const tcp = proto === undefined || proto === 'tcp'
  const hop = mergeHop('mtu', [part(src.vpc, src.outcome, tcp), part(dst.vpc, dst.outcome, tcp)])
  if (src.outcome.ok && dst.outcome.ok && src.outcome.result.tun.mtu !== dst.outcome.result.tun.mtu)
    hop.evidence.push('the TUN MTUs differ: the smaller one bounds the path (TCP is clamped to it)')
  return hop
}
