/** The tunnel hop: the source agent's tunnel peer for the destination's active gateway. Pure. */
import type { ExplainHop, ProbeOutcome } from '@vpcmesh/protocol'
import { unknownHop } from './hop-verdicts.js'

/** The hop from the source agent's outcome; `peerId` is the destination gateway's tunnel peer id. */
export function tunnelHop(srcVpc: string, dstVpc: string, peerId: string, outcome: ProbeOutcome): ExplainHop {
  if (!outcome.ok) return unknownHop('tunnel', srcVpc, outcome.reason)
  const p = outcome.result.peers.find((x) => x.id === peerId)
  const base = { hop: 'tunnel' as const, vpc: srcVpc }
  if (p === undefined)
    return {
      ...base,
      verdict: 'broken',
      evidence: [`the data plane of ${srcVpc} has no tunnel peer ${peerId} (VPC ${dstVpc})`],
      fix:
        `check that VPC ${dstVpc} is enrolled with a valid key and endpoint (\`vpcmesh vpc show ${dstVpc}\`); ` +
        `\`vpcmesh agent-status\` on ${srcVpc}'s host lists skipped peers`,
    }
  const hs =
    p.lastHandshakeAgeS === null ? 'no handshake yet' : `last handshake ${Math.round(p.lastHandshakeAgeS)} s ago`
  const rtt = p.rttMs === null ? 'RTT unknown' : `RTT ${p.rttMs.toFixed(1)} ms`
  const ep = p.endpoint === null ? 'endpoint unknown' : `endpoint ${p.endpoint.address}:${p.endpoint.port}`
  const evidence = [
    `tunnel ${srcVpc} → ${dstVpc} ${p.up ? 'up' : 'DOWN'}: ${hs}, ${rtt}, ${ep}, rx ${p.rxPackets} packets`,
  ]
  if (p.up) return { ...base, verdict: 'ok', evidence }
  return {
    ...base,
    verdict: 'broken',
    evidence,
    fix:
      `nothing authenticated arrives from ${dstVpc}: check that its agent runs and that UDP to ` +
      `${p.endpoint === null ? 'its endpoint' : `${p.endpoint.address}:${p.endpoint.port}`} is allowed both ways ` +
      '(security groups, host firewalls, NAT)',
  }
}
