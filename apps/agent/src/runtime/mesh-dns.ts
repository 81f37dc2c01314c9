import { type Logger, errorMessage } from '@vpcmesh/common'
import type { Metrics } from '@vpcmesh/metrics'
import { mapAddress, parseAddress, parsePrefix } from '@vpcmesh/cidr'
import { type NetMap, parseDnsServer } from '@vpcmesh/protocol'
import { DnsForwarder } from '../dns/forwarder.js'
import { globalPairs } from './translate.js'
import { type DnsForwarderConfigInput, parseDnsForwarderConfig } from '../dns/config.js'

/** Where the agent's DNS forwarder listens and where other names go (the agent's flags). */
export interface MeshDnsOptions {
  listen: { address: string; port: number }
  upstream: ReadonlyArray<{ address: string; port: number }>
}

/** A zone of the map left out of the forwarder, and why. */
export interface SkippedZone {
  vpc: string
  zone: string
  reason: string
}

/**
 * The forwarder's configuration for a map: every zone of every VPC in it (this VPC's too,
 * so its own hosts can use one resolver for all), in map order. A global-mode peer's zones
 * are asked at its server's global address and their A answers are translated to global. A zone that an earlier VPC
 * already serves, or whose server is not an IP address, is left out and reported. Pure.
 */
export function meshDnsConfig(
  map: NetMap,
  o: MeshDnsOptions,
): { input: DnsForwarderConfigInput; skipped: SkippedZone[] } {
  const zones: NonNullable<DnsForwarderConfigInput['zones']> = []
  const skipped: SkippedZone[] = []
  const owner = new Map<string, string>()
  for (const node of [map.self, ...map.peers]) {
    for (const z of node.dnsZones ?? []) {
      const zone = z.zone.toLowerCase()
      const first = owner.get(zone)
      if (first !== undefined) {
        skipped.push({ vpc: node.name, zone, reason: `zone already served by VPC ${first}` })
        continue
      }
      const server = parseDnsServer(z.server)
      if (typeof server === 'string') {
        skipped.push({ vpc: node.name, zone, reason: server })
        continue
      }
      owner.set(zone, node.name)
      // A global-mode peer's server is reached at its global address, and the addresses in its
      // answers are its hosts' global ones: what this VPC's hosts can reach.
      const globals = node === map.self ? [] : globalPairs(node)
      const reached = globals.length === 0 ? server : { ...server, address: toGlobal(server.address, globals) }
      zones.push({
        zone,
        servers: [reached],
        ...(z.rewriteTo === undefined ? {} : { rewriteTo: z.rewriteTo }),
        ...(globals.length === 0 ? {} : { rewriteAnswers: globals.map((g) => ({ from: g.local, to: g.global })) }),
      })
    }
  }
  return { input: { listen: { ...o.listen }, zones, upstream: o.upstream.map((u) => ({ ...u })) }, skipped }
}

/** `address` translated into the global prefix of the pair holding it; unchanged when none does. */
function toGlobal(address: string, pairs: ReadonlyArray<{ local: string; global: string }>): string {
  try {
    const bytes = parseAddress(address)
    for (const g of pairs) {
      const mapped = mapAddress(bytes, parsePrefix(g.local), parsePrefix(g.global))
      if (mapped !== undefined) return mapped
    }
  } catch {
    // not translatable: asked as it is (and unreachable when the node is global)
  }
  return address
}

/**
 * The agent's DNS forwarder, following the map: started with the first map, reconfigured with
 * every later one, stopped with the agent. A configuration or bind error is logged (and the
 * previous configuration kept); it never fails the map's application.
 */
export class MeshDns {
  private forwarder: DnsForwarder | undefined
  private readonly log: Logger
  private reported = ''

  constructor(
    private readonly c: { logger: Logger; metrics: Metrics },
    private readonly o: MeshDnsOptions,
  ) {
    this.log = c.logger.child('dns')
  }

  async update(map: NetMap): Promise<void> {
    const { input, skipped } = meshDnsConfig(map, this.o)
    const report = JSON.stringify(skipped)
    if (report !== this.reported && skipped.length > 0) this.log.warn('DNS zones left out', { skipped })
    this.reported = report
    try {
      const config = parseDnsForwarderConfig(input)
      if (this.forwarder === undefined) {
        const f = new DnsForwarder(config, { logger: this.log, metrics: this.c.metrics })
        await f.start()
        this.forwarder = f
        this.log.info('DNS forwarder listening', { address: config.listen.address, port: config.listen.port })
      } else {
        await this.forwarder.reconfigure(config)
      }
    } catch (e) {
      this.log.error('DNS forwarder not (re)configured; names keep their previous routing', {
        error: errorMessage(e),
        code: (e as { code?: string }).code,
      })
    }
  }

  async stop(): Promise<void> {
    await this.forwarder?.stop()
    this.forwarder = undefined
  }
}
