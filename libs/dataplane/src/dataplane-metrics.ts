/**
 * The data plane's metrics (docs/metrics.md), registered through the injected Metrics. Each
 * registration is written out as a literal so test/docs.test.ts can read it; `METRICS` lists
 * the same definitions for docs and for a test that compares the two.
 */
import type { Counter, Gauge, Metrics } from '@vpcmesh/metrics'

/** One metric definition, as documented in docs/metrics.md. */
export interface MetricDefinition {
  readonly name: string
  readonly type: 'counter' | 'gauge'
  readonly labels: readonly string[]
  readonly help: string
}

/** Values of the `result` label of `vpcmesh_agent_handshakes_total`. */
export const HANDSHAKE_RESULTS = ['initiated', 'completed', 'timeout', 'rejected'] as const

/** Every metric the data plane registers. */
export const METRICS: readonly MetricDefinition[] = Object.freeze([
  {
    name: 'vpcmesh_agent_peer_bytes_total',
    type: 'counter',
    labels: ['peer', 'direction'],
    help: 'Tunnel UDP payload bytes sent (tx) and received (rx) per peer, including keepalives and control messages.',
  },
  {
    name: 'vpcmesh_agent_peer_packets_total',
    type: 'counter',
    labels: ['peer', 'direction'],
    help: 'Tunnel data messages sent (tx) and received (rx) per peer, including keepalives and control messages.',
  },
  {
    name: 'vpcmesh_agent_peer_up',
    type: 'gauge',
    labels: ['peer'],
    help: '1 when something authenticated arrived from the peer within 3 keepalive intervals, else 0.',
  },
  {
    name: 'vpcmesh_agent_peer_handshake_age_seconds',
    type: 'gauge',
    labels: ['peer'],
    help: 'Seconds since the last completed handshake with the peer; absent before the first.',
  },
  {
    name: 'vpcmesh_agent_peer_rtt_seconds',
    type: 'gauge',
    labels: ['peer'],
    help: 'Smoothed in-tunnel round-trip time to the peer (RFC 6298 weights), seconds; absent before the first pong.',
  },
  {
    name: 'vpcmesh_agent_handshakes_total',
    type: 'counter',
    labels: ['result'],
    help:
      'Handshake messages by result: initiated (initiation sent), completed (session established, either role), ' +
      'timeout (no response before retry), rejected (a handshake message dropped).',
  },
  {
    name: 'vpcmesh_agent_drops_total',
    type: 'counter',
    labels: ['reason'],
    help: 'Packets and datagrams dropped by the data plane and the packet engine, by reason.',
  },
  {
    name: 'vpcmesh_agent_rekeys_total',
    type: 'counter',
    labels: [],
    help:
      'Handshakes completed with a peer that had completed one before: rekeys on time, message count or lost ' +
      'liveness, and repeats of a simultaneous initiation.',
  },
  {
    name: 'vpcmesh_agent_handshake_cookie_replies_total',
    type: 'counter',
    labels: ['direction'],
    help: 'Cookie replies sent under load instead of processing an initiation (tx), and valid ones received for our pending initiation (rx).',
  },
])

/** The registered metric objects. */
export interface DataplaneMetrics {
  readonly bytes: Counter
  readonly packets: Counter
  readonly up: Gauge
  readonly handshakeAge: Gauge
  readonly rtt: Gauge
  readonly handshakes: Counter
  readonly drops: Counter
  readonly rekeys: Counter
  readonly cookieReplies: Counter
}

/** Registers {@link METRICS} (call once per data plane, in its constructor). */
export function registerMetrics(m: Metrics): DataplaneMetrics {
  const out: DataplaneMetrics = {
    bytes: m.counter({ name: 'vpcmesh_agent_peer_bytes_total', help: help(0), labelNames: ['peer', 'direction'] }),
    packets: m.counter({ name: 'vpcmesh_agent_peer_packets_total', help: help(1), labelNames: ['peer', 'direction'] }),
    up: m.gauge({ name: 'vpcmesh_agent_peer_up', help: help(2), labelNames: ['peer'] }),
    handshakeAge: m.gauge({ name: 'vpcmesh_agent_peer_handshake_age_seconds', help: help(3), labelNames: ['peer'] }),
    rtt: m.gauge({ name: 'vpcmesh_agent_peer_rtt_seconds', help: help(4), labelNames: ['peer'] }),
    handshakes: m.counter({ name: 'vpcmesh_agent_handshakes_total', help: help(5), labelNames: ['result'] }),
    drops: m.counter({ name: 'vpcmesh_agent_drops_total', help: help(6), labelNames: ['reason'] }),
    rekeys: m.counter({ name: 'vpcmesh_agent_rekeys_total', help: help(7) }),
    cookieReplies: m.counter({
      name: 'vpcmesh_agent_handshake_cookie_replies_total',
      help: help(8),
      labelNames: ['direction'],
    }),
  }
  // Both series exist from the start: "no cookie reply yet" reads as 0, not as no data.
  for (const direction of ['tx', 'rx']) out.cookieReplies.inc({ direction }, 0)
  return out
}

function help(i: number): string {
  return METRICS[i]?.help ?? ''
}
