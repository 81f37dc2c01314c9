/**
 * The forward hop: each agent's host forwards between its LAN and the TUN. On both agents:
 * IP forwarding on for the family, our mesh policy set holding the agent's own end of the flow
 * (requests enter the DST VPC, replies the SRC VPC), and no other table's forward-hook chain
 * with policy drop that lets the TUN's traffic fall to that policy. Pure.
 */
import { detectFamily, parseAddress, parsePrefix } from '@vpcmesh/cidr'
import type { ExplainHop, ForeignDropChain, ProbeOutcome, ProbeResult } from '@vpcmesh/protocol'
import { mergeHop, unknownHop } from './hop-verdicts.js'

/** One agent and the address of its own end of the flow. */
export interface ForwardSide {
  vpc: string
  /** The address inside this agent's VPC (DST's real address, or SRC's). */
  local: string
  outcome: ProbeOutcome
}

/** Whether `address` is inside one of `prefixes`. */
function inside(prefixes: readonly string[], address: string): boolean {
  const bytes = parseAddress(address)
  return prefixes.some((p) => {
    try {
      return parsePrefix(p, { strict: false }).contains(bytes)
    } catch {
      return false
    }
  })
}

/** The commands that let the TUN's traffic through a foreign drop chain. */
export function chainFix(c: ForeignDropChain, tun: string): string {
  if ((c.family === 'ip' || c.family === 'ip6') && c.table === 'filter' && c.chain === 'FORWARD') {
    const tool = c.family === 'ip' ? 'iptables' : 'ip6tables'
    return `\`${tool} -I FORWARD -i ${tun} -j ACCEPT && ${tool} -I FORWARD -o ${tun} -j ACCEPT\``
  }
  const rule = (dir: string): string => `nft insert rule ${c.family} ${c.table} ${c.chain} ${dir} "${tun}" accept`
  return `\`${rule('iifname')} && ${rule('oifname')}\``
}

/** The problems of one agent's result, each with its fix. */
function problems(s: ForwardSide, r: ProbeResult): Array<{ evidence: string; fix: string }> {
  const out: Array<{ evidence: string; fix: string }> = []
  const v6 = detectFamily(s.local) === 6
  const fwd = v6 ? r.forwarding.ipv6 : r.forwarding.ipv4
  const key = v6 ? 'net.ipv6.conf.all.forwarding' : 'net.ipv4.ip_forward'
  if (fwd === false)
    out.push({
      evidence: `${s.vpc}: ${key} = 0`,
      fix: `\`sysctl -w ${key}=1\` on the agent host of ${s.vpc} (and find what turned it off)`,
    })
  const nft = r.nft
  if (nft === null) return out
  if (!nft.table)
    out.push({
      evidence: `${s.vpc}: table inet vpcmesh missing`,
      fix: `restart the agent of ${s.vpc}, or wait for its next repair (30 s)`,
    })
  else if (!inside(nft.localSet, s.local))
    out.push({
      evidence: `${s.vpc}: ${s.local} is not in the mesh policy set (local4/local6: ${nft.localSet.join(', ') || 'empty'})`,
      fix:
        `the agent of ${s.vpc} forwards from the mesh only to its VPC's prefixes: add the prefix holding ` +
        `${s.local} to VPC ${s.vpc} (\`vpcmesh route add\`) or wait for the agent to apply the newest map`,
    })
  for (const c of nft.foreignDrops) {
    if (c.acceptsFromTun && c.acceptsToTun) continue
    out.push({
      evidence: `${s.vpc}: table ${c.family} ${c.table} chain ${c.chain} (hook forward, policy drop) has no accept for ${r.tun.name}`,
      fix: `on the agent host of ${s.vpc}: ${chainFix(c, r.tun.name)}`,
    })
  }
  return out
}

/** One agent's part of the hop. */
function part(s: ForwardSide): ExplainHop {
  if (!s.outcome.ok) return unknownHop('forward', s.vpc, s.outcome.reason)
  const r = s.outcome.result
  const found = problems(s, r)
  if (found.length > 0)
    return {
      hop: 'forward',
      vpc: s.vpc,
      verdict: 'broken',
      evidence: found.map((p) => p.evidence),
      fix: found.map((p) => p.fix).join('; '),
    }
  if (r.nft === null) return unknownHop('forward', s.vpc, r.errors.join('; ') || 'nftables unreadable')
  const allowed = r.nft.foreignDrops.map((c) => `${c.family} ${c.table} ${c.chain} (policy drop) accepts ${r.tun.name}`)
  return {
    hop: 'forward',
    vpc: s.vpc,
    verdict: 'ok',
    evidence: [
      `${s.vpc}: forwarding on, ${s.local} allowed by the mesh policy`,
      ...allowed.map((a) => `${s.vpc}: ${a}`),
    ],
  }
}

/** The hop: the DST agent first (where requests are forwarded into the VPC), then the SRC agent. */
export function forwardHop(dst: ForwardSide, src: ForwardSide): ExplainHop {
  return mergeHop('forward', [part(dst), part(src)])
}
