import type { Counter, Histogram, Metrics } from '@vpcmesh/metrics'

/** The `result` label of `vpcmesh_agent_dns_queries_total`. */
export const DNS_RESULTS = ['ok', 'nxdomain', 'servfail', 'timeout', 'refused', 'truncated'] as const
export type DnsResult = (typeof DNS_RESULTS)[number]

/** The `reason` label of `vpcmesh_agent_dns_dropped_total`. */
export const DNS_DROP_REASONS = ['malformed', 'spoofed', 'overload'] as const
export type DnsDropReason = (typeof DNS_DROP_REASONS)[number]

/** The `zone` label for names outside every configured zone. */
export const UPSTREAM_ZONE_LABEL = 'upstream'

/**
 * The DNS forwarder's metrics (docs/metrics.md). `zone` is a configured zone name or
 * `upstream`, so its values are bounded by the configuration.
 */
export class DnsMetrics {
  /** Queries answered, by zone and result; each answered query counts once. */
  readonly queries: Counter
  /** Time from a query's arrival to its answer, by zone, seconds. */
  readonly duration: Histogram
  /** Messages dropped (or, for overload, refused without forwarding), by reason. */
  readonly dropped: Counter

  constructor(metrics: Metrics) {
    this.queries = metrics.counter({
      name: 'vpcmesh_agent_dns_queries_total',
      help: 'DNS queries answered by the forwarder, by zone (a configured zone or upstream) and result',
      labelNames: ['zone', 'result'],
    })
    this.duration = metrics.histogram({
      name: 'vpcmesh_agent_dns_query_duration_seconds',
      help: 'Time from a DNS query reaching the forwarder to its answer, seconds',
      labelNames: ['zone'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    })
    this.dropped = metrics.counter({
      name: 'vpcmesh_agent_dns_dropped_total',
      help: 'DNS messages dropped by the forwarder: malformed queries, spoofed answers, queries refused when overloaded',
      labelNames: ['reason'],
    })
    for (const reason of DNS_DROP_REASONS) this.dropped.inc({ reason }, 0)
  }
}
