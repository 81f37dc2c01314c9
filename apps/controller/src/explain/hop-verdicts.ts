/** Hop helpers shared by the hop builders, and the answer's overall verdict. Pure. */
import type { ExplainHop, HopName, HopVerdict } from '@vpcmesh/protocol'

/** A hop without evidence: the agent did not answer (or answered without it). */
export function unknownHop(hop: HopName, vpcName: string, reason: string): ExplainHop {
  return {
    hop,
    vpc: vpcName,
    verdict: 'unknown',
    evidence: [`no evidence from the agent of ${vpcName}: ${reason}`.slice(0, 500)],
    fix: `check that the agent of ${vpcName} runs and is connected (\`vpcmesh status\`, \`vpcmesh agent-status\` on its host)`,
  }
}

/** The overall verdict: broken when any hop is, else unknown when any is, else ok; and the first broken hop. */
export function summarize(hops: readonly ExplainHop[]): { verdict: HopVerdict; firstBroken: HopName | null } {
  const first = hops.find((h) => h.verdict === 'broken')
  if (first !== undefined) return { verdict: 'broken', firstBroken: first.hop }
  return { verdict: hops.some((h) => h.verdict === 'unknown') ? 'unknown' : 'ok', firstBroken: null }
}

/** Merges per-agent parts of one hop: broken wins, then unknown; evidence joined; the first fix. */
export function mergeHop(hop: HopName, parts: readonly ExplainHop[]): ExplainHop {
  const verdict: HopVerdict = parts.some((p) => p.verdict === 'broken')
    ? 'broken'
    : parts.some((p) => p.verdict === 'unknown')
      ? 'unknown'
      : 'ok'
  const fix = parts.find((p) => p.verdict === verdict && p.fix !== undefined)?.fix
  const vpcs = [...new Set(parts.map((p) => p.vpc).filter((v) => v !== undefined))]
  return {
    hop,
    verdict,
    ...(vpcs.length === 1 ? { vpc: vpcs[0] as string } : {}),
    evidence: parts.flatMap((p) => p.evidence).slice(0, 32),
    ...(fix === undefined || verdict === 'ok' ? {} : { fix }),
  }
}
