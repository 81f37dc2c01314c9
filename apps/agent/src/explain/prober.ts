/**
 * Answers the controller's probe frames (docs/protocol.md, "Probe frames"): reads the live
 * evidence `vpcmesh explain` needs from this host. Every command goes through the injected
 * CommandRunner, so tests feed recorded output; each part that cannot be read becomes null
 * plus a line in `errors`, never a thrown error.
 */
import { errorMessage } from '@vpcmesh/common'
import type { CommandRunner } from '@vpcmesh/linuxnet'
import type { AgentPeerState, ProbeRequest, ProbeResult, SkippedRouteState } from '@vpcmesh/protocol'
import { type NameResolver, probeDns } from './dns-probe.js'
import { readForwarding } from './forwarding-probe.js'
import { readRuleset } from './nft-probe.js'
import { readTableRoutes } from './route-probe.js'

/** What the agent holds now, as the probe reports it. */
export interface ProberView {
  vpcId: string | null
  tun: { name: string; mtu: number }
  /** The agent's routing table number; null before its first apply. */
  table: number | null
  skippedRoutes: SkippedRouteState[]
  peers: AgentPeerState[]
  /** `address:port` of the agent's DNS forwarder; undefined when it runs none. */
  dnsServer: string | undefined
}

/** Dependencies of {@link Prober}. */
export interface ProberComponents {
  runner: CommandRunner
  resolver: NameResolver
  /** Read at the start of each probe. */
  view: () => ProberView
}

/** Answers probe requests. Stateless: probes may run concurrently. */
export class Prober {
  constructor(private readonly c: ProberComponents) {}

  /** Reads everything `req` asks for, and the ruleset and forwarding switches. Never throws. */
  async probe(req: ProbeRequest): Promise<ProbeResult> {
    const v = this.c.view()
    const errors: string[] = []
    const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | null> => {
      try {
        return await fn()
      } catch (e) {
        errors.push(`${what}: ${errorMessage(e)}`.slice(0, 500))
        return null
      }
    }
    const table = v.table
    const routes =
      table === null ? null : await attempt('routing table', () => readTableRoutes(this.c.runner, table, req.routes))
    if (table === null) errors.push('routing table: the agent has not applied a map yet')
    const nft = await attempt('nftables', () => readRuleset(this.c.runner, v.tun.name))
    const forwarding = await readForwarding(this.c.runner)
    const dns = req.resolve === undefined ? null : await probeDns(this.c.resolver, req.resolve, v.dnsServer)
    const wanted = new Set(req.peers)
    return {
      vpcId: v.vpcId,
      tun: v.tun,
      table,
      routes,
      skippedRoutes: v.skippedRoutes.slice(0, 256),
      peers: v.peers.filter((p) => wanted.has(p.id)).slice(0, 16),
      nft,
      forwarding,
      dns,
      errors: errors.slice(0, 16),
    }
  }
}

/** The forwarder's address to ask for a `--dns-listen` value: a wildcard listen address is asked on loopback. */
export function forwarderServer(listen: { address: string; port: number } | undefined): string | undefined {
  if (listen === undefined) return undefined
  const host = listen.address === '0.0.0.0' ? '127.0.0.1' : listen.address === '::' ? '::1' : listen.address
  return host.includes(':') ? `[${host}]:${listen.port}` : `${host}:${listen.port}`
}
