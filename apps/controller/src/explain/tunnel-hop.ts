/**
 * The tunnel hop: the tunnel between SRC's agent and DST's active gateway, as each end sees it
 * (the source agent's peer for DST's gateway, and DST's agent's peer for SRC's gateway). A peer
 * is up when something authenticated arrived from it lately, so each side proves one direction:
 * traffic blocked one way shows as down on the receiving side only. Pure.
 */
import type { ExplainHop, ProbeOutcome } from '@vpcmesh/protocol'
import { mergeHop, unknownHop } from './hop-verdicts.js'

/** One end's view: `from` is the VPC probed, `to` the VPC whose gateway is `peerId`. */
export interface TunnelView {
  from: string
  to: string
  peerId: string
  outcome: ProbeOutcome
}

/** One side's part of the hop. */
function part(v: TunnelView): ExplainHop {
  const { from, to } = v
  if (!v.outcome.ok) return unknownHop('tunnel', from, v.outcome.reason)
  const p = v.outcome.result.peers.find((x) => x.id === v.peerId)
  const base = { hop: 'tunnel' as const, vpc: from }
  if (p === undefined)
    return {
      ...base,
      verdict: 'broken',
      evidence: [`the data plane of ${from} has no tunnel peer ${v.peerId} (VPC ${to})`],
      fix:
        `check that VPC ${to} is enrolled with a valid key and endpoint (\`vpcmesh vpc show ${to}\`); ` +
        `\`vpcmesh agent-status\` on ${from}'s host lists skipped peers`,
    }
  const hs =
    p.lastHandshakeAgeS === null ? 'no handshake yet' : `last handshake ${Math.round(p.lastHandshakeAgeS)} s ago`
  const rtt = p.rttMs === null ? 'RTT unknown' : `RTT ${p.rttMs.toFixed(1)} ms`
  const ep = p.endpoint === null ? 'endpoint unknown' : `endpoint ${p.endpoint.address}:${p.endpoint.port}`
  const evidence = [`tunnel ${from} → ${to} ${p.up ? 'up' : 'DOWN'}: ${hs}, ${rtt}, ${ep}, rx ${p.rxPackets} packets`]
  if (p.up) return { ...base, verdict: 'ok', evidence }
  return {
    ...base,
    verdict: 'broken',
    evidence: [...evidence, `${from} receives nothing authenticated from ${to}`],
    fix:
      `packets from ${to} to ${from} do not arrive: check that the agent of ${to} runs and that UDP from it to ` +
      `${from}'s endpoint is allowed (security groups, host firewalls, NAT) in both directions`,
  }
}

/** The hop from both views: the source's first. */
export function tunnelHop(srcView: TunnelView, dstView: TunnelView): ExplainHop {
  return mergeHop('tunnel', [part(srcView), part(dstView)])
}
