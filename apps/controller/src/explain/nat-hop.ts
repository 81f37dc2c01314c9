/**
 * The nat hop (global-mode VPCs only): the source translation leaving a global-mode SRC VPC and
 * the destination translation entering a global-mode DST VPC, and whether the agents loaded the
 * rule pair of that global prefix (`vpcmesh:global-snat-v4-<i>` / `vpcmesh:global-dnat-v4-<i>`,
 * i the index in the VPC's globalPrefixes). Pure.
 */
import type { ExplainHop, ProbeOutcome } from '@vpcmesh/protocol'
import type { FlowEnd } from './flow.js'
import { mergeHop, unknownHop } from './hop-verdicts.js'

/** The index of `end`'s local prefix in its VPC's globalPrefixes; -1 when none. */
function globalIndex(end: FlowEnd): number {
  return (end.vpc.globalPrefixes ?? []).findIndex((g) => g.local === end.entry.local && g.global === end.entry.prefix)
}

/** One side's translation. */
function side(kind: 'snat' | 'dnat', end: FlowEnd, outcome: ProbeOutcome): ExplainHop {
  const name = end.vpc.name
  if (!outcome.ok) return unknownHop('nat', name, outcome.reason)
  const i = globalIndex(end)
  const comment = `vpcmesh:global-${kind}-v4-${i}:`
  const what =
    kind === 'snat'
      ? `source ${end.local} → ${end.routed} leaving VPC ${name}`
      : `destination ${end.routed} → ${end.local} entering VPC ${name}`
  const nft = outcome.result.nft
  if (nft === null) return unknownHop('nat', name, outcome.result.errors.join('; ') || 'nftables unreadable')
  const loaded = i >= 0 && nft.comments.some((c) => c.startsWith(comment))
  const evidence = [
    `${what} (${end.entry.local} ↔ ${end.entry.prefix})`,
    `rule ${comment.slice(0, -1)} ${loaded ? 'loaded' : 'NOT loaded'}`,
  ]
  if (loaded) return { hop: 'nat', vpc: name, verdict: 'ok', evidence }
  return {
    hop: 'nat',
    vpc: name,
    verdict: 'broken',
    evidence,
    fix:
      `the agent of ${name} has not loaded its global NAT rules: check its last apply error ` +
      '(`vpcmesh agent-status`) and that it runs a version with global mode',
  }
}

/** The nat hop, or undefined when neither VPC is in global mode (no translation happens). */
export function natHop(
  src: FlowEnd,
  dst: FlowEnd,
  srcOutcome: ProbeOutcome,
  dstOutcome: ProbeOutcome,
): ExplainHop | undefined {
  const parts: ExplainHop[] = []
  if (src.routed !== src.local) parts.push(side('snat', src, srcOutcome))
  if (dst.routed !== dst.local) parts.push(side('dnat', dst, dstOutcome))
  return parts.length === 0 ? undefined : mergeHop('nat', parts)
}
