import type { ExplainHop, ExplainResponse } from '@vpcmesh/protocol'

/** The mark of each verdict at the start of a hop line. */
const MARK = { ok: '✓', broken: '✗', unknown: '?' } as const

/** Hop names padded to one width, so the evidence lines up. */
const HOP_WIDTH = 10

/** One hop: `✓ route      evidence; evidence`, further evidence lines indented below. */
function hopLines(h: ExplainHop): string[] {
  const [first, ...rest] = h.evidence
  const head = `${MARK[h.verdict]} ${h.hop.padEnd(HOP_WIDTH)} ${first ?? ''}`.trimEnd()
  return [head, ...rest.map((e) => `${' '.repeat(HOP_WIDTH + 3)}${e}`)]
}

/**
 * The human answer of `vpcmesh explain`: a title, one line (or block) per hop, then the
 * verdict, and the fix of the first broken hop (or of each unknown one when none is broken).
 */
export function explainText(r: ExplainResponse): string {
  const flow = `${r.src} → ${r.dst}${r.proto === null ? '' : ` ${r.proto}`}${r.port === null ? '' : `/${r.port}`}`
  const lines = [`explain ${flow}`, ...r.hops.flatMap(hopLines), '']
  if (r.firstBroken !== null) {
    const h = r.hops.find((x) => x.hop === r.firstBroken)
    lines.push(`broken at ${r.firstBroken}${h?.fix === undefined ? '' : `: fix: ${h.fix}`}`)
  } else if (r.verdict === 'unknown') {
    lines.push('no hop is broken, but some could not be checked:')
    for (const h of r.hops.filter((x) => x.verdict === 'unknown' && x.fix !== undefined))
      lines.push(`  ${h.hop}: ${h.fix}`)
  } else lines.push('every hop ok')
  return lines.join('\n')
}
