import type { Clock } from '@vpcmesh/common'
import { MemoryMetrics } from '@vpcmesh/metrics/testing'
import { type DnsForwarderConfigInput, parseDnsForwarderConfig } from '../../src/dns/config.js'
import { DnsForwarder } from '../../src/dns/forwarder.js'

/** A started forwarder on 127.0.0.1 with its metrics. */
export interface StartedForwarder {
  readonly forwarder: DnsForwarder
  readonly metrics: MemoryMetrics
  readonly port: number
}

/** Starts a forwarder on 127.0.0.1 port 0 with `input` (listen filled in). */
export async function mustStartForwarder(
  input: Omit<DnsForwarderConfigInput, 'listen'>,
  clock?: Clock,
): Promise<StartedForwarder> {
  const metrics = new MemoryMetrics()
  const config = parseDnsForwarderConfig({ listen: { address: '127.0.0.1', port: 0 }, ...input })
  const forwarder = new DnsForwarder(config, { metrics, ...(clock === undefined ? {} : { clock }) })
  await forwarder.start()
  return { forwarder, metrics, port: forwarder.address()!.port }
}

/** `vpcmesh_agent_dns_queries_total` for one zone and result (0 when absent). */
export function queries(m: MemoryMetrics, zone: string, result: string): number {
  return m.value('vpcmesh_agent_dns_queries_total', { zone, result }) ?? 0
}

/** `vpcmesh_agent_dns_dropped_total` for one reason (0 when absent). */
export function dropped(m: MemoryMetrics, reason: string): number {
  return m.value('vpcmesh_agent_dns_dropped_total', { reason }) ?? 0
}
