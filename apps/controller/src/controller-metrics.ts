import type { Counter, Gauge, Histogram, Metrics } from '@vpcmesh/metrics'
import { REFUSAL_REASONS, type RefusalReason, type SessionEvents } from './session/session-events.js'

/** A source of per-agent facts for scrape-time gauges. */
export interface AgentView {
  /** Ready sessions on this replica: VPC name, applied version. */
  agents(): Array<{ name: string; appliedVersion: number }>
  /** Open WebSocket connections, authenticated or not. */
  connections(): number
  /** Open WebSocket connections that have not completed hello. */
  unauthenticated(): number
  /** Latest mesh version this replica has seen. */
  meshVersion(): number
  /**
   * Every VPC with two or more gateways (from the newest registry view): its name, the active
   * gateway's fencing epoch (0 before an election) and its standbys with a ready session here.
   */
  gateways(): Array<{ vpc: string; epoch: number; standbys: number }>
}

/**
 * The controller's metrics (see docs/metrics.md). Label sets are bounded: `vpc` by the number
 * of registered VPCs, `route` by the route table, `type` by the protocol's message types.
 */
export class ControllerMetrics implements SessionEvents {
  readonly httpRequests: Counter
  readonly httpDuration: Histogram
  readonly storeErrors: Counter
  readonly pushDuration: Histogram
  private readonly wsMessages: Counter
  private readonly badFrames: Counter
  private readonly ackSeconds: Histogram
  private readonly connects: Counter
  private readonly refusals: Counter
  private readonly elections: Counter
  private readonly sentAt = new Map<string, { version: number; at: number }>()
  private lagLabels = new Set<string>()
  private epochLabels = new Set<string>()
  private standbyLabels = new Set<string>()

  constructor(
    metrics: Metrics,
    private readonly view: AgentView,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.httpRequests = metrics.counter({
      name: 'vpcmesh_controller_http_requests_total',
      help: 'REST API requests by route pattern, method and status code',
      labelNames: ['route', 'method', 'status'],
    })
    this.httpDuration = metrics.histogram({
      name: 'vpcmesh_controller_http_request_duration_seconds',
      help: 'REST API request latency in seconds by route pattern and method',
      labelNames: ['route', 'method'],
    })
    this.storeErrors = metrics.counter({
      name: 'vpcmesh_controller_store_errors_total',
      help: 'Requests that failed because Redis was unreachable or answered with an error',
    })
    this.pushDuration = metrics.histogram({
      name: 'vpcmesh_controller_push_duration_seconds',
      help: "Time to read the registry and plan one push of a new mesh version to this replica's agents, seconds",
    })
    this.wsMessages = metrics.counter({
      name: 'vpcmesh_controller_ws_messages_total',
      help: 'WebSocket frames by direction (in, out) and message type',
      labelNames: ['direction', 'type'],
    })
    this.badFrames = metrics.counter({
      name: 'vpcmesh_controller_ws_bad_frames_total',
      help: 'WebSocket frames refused (not JSON, wrong schema or order); each closes its connection',
    })
    this.ackSeconds = metrics.histogram({
      name: 'vpcmesh_controller_update_ack_seconds',
      help: 'Time from sending a map update to an agent until it acknowledged that version, seconds',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    })
    this.connects = metrics.counter({
      name: 'vpcmesh_controller_agent_connects_total',
      help: 'Agent sessions that completed hello on this replica',
    })
    metrics.gauge({
      name: 'vpcmesh_controller_agents_connected',
      help: 'Agents with a ready session on this replica',
      collect: (g) => {
        g.set(view.agents().length)
      },
    })
    metrics.gauge({
      name: 'vpcmesh_controller_ws_connections',
      help: 'Open agent WebSocket connections on this replica, authenticated or not',
      collect: (g) => {
        g.set(view.connections())
      },
    })
    this.refusals = metrics.counter({
      name: 'vpcmesh_controller_ws_refused_total',
      help: 'Agent connections refused or closed before they authenticated, by reason',
      labelNames: ['reason'],
    })
    for (const reason of REFUSAL_REASONS) this.refusals.inc({ reason }, 0)
    metrics.gauge({
      name: 'vpcmesh_controller_ws_unauthenticated_connections',
      help: 'Open agent WebSocket connections on this replica that have not completed hello',
      collect: (g) => {
        g.set(view.unauthenticated())
      },
    })
    metrics.gauge({
      name: 'vpcmesh_controller_mesh_version',
      help: 'Latest mesh version seen by this replica',
      collect: (g) => {
        g.set(view.meshVersion())
      },
    })
    this.elections = metrics.counter({
      name: 'vpcmesh_controller_gateway_elections_total',
      help: 'Active-gateway elections committed by this replica, by VPC name and reason (elected, failover, drain)',
      labelNames: ['vpc', 'reason'],
    })
    metrics.gauge({
      name: 'vpcmesh_controller_gateway_epoch',
      help: 'Fencing epoch of the active gateway of each VPC with several gateways (0 before an election)',
      labelNames: ['vpc'],
      collect: (g) => {
        this.epochLabels = setByVpc(g, view.gateways(), (x) => x.epoch, this.epochLabels)
      },
    })
    metrics.gauge({
      name: 'vpcmesh_controller_gateway_standbys',
      help: 'Standby gateways with a ready session on this replica, by VPC name (sum over replicas)',
      labelNames: ['vpc'],
      collect: (g) => {
        this.standbyLabels = setByVpc(g, view.gateways(), (x) => x.standbys, this.standbyLabels)
      },
    })
    metrics.gauge({
      name: 'vpcmesh_controller_agent_version_lag',
      help: 'Mesh version minus the version each connected agent acknowledged, by VPC name',
      labelNames: ['vpc'],
      collect: (g) => {
        this.collectLag(g)
      },
    })
  }

  connected(): void {
    this.connects.inc()
  }

  /** An active-gateway election this replica committed. */
  elected(vpcName: string, reason: string): void {
    this.elections.inc({ vpc: vpcName, reason })
  }
  disconnected(vpcId: string): void {
    this.sentAt.delete(vpcId)
  }
  badFrame(): void {
    this.badFrames.inc()
    this.wsMessages.inc({ direction: 'in', type: 'invalid' })
  }

  sent(type: string): void {
    this.wsMessages.inc({ direction: 'out', type })
  }
  refused(reason: RefusalReason): void {
    this.refusals.inc({ reason })
  }
  received(type: string): void {
    this.wsMessages.inc({ direction: 'in', type })
  }

  /** Records that `version` was sent to `vpcId` now (only the first send of a version counts). */
  updateSent(vpcId: string, version: number): void {
    const prev = this.sentAt.get(vpcId)
    if (prev === undefined || prev.version < version) this.sentAt.set(vpcId, { version, at: this.now() })
  }

  acked(vpcId: string, version: number): void {
    const s = this.sentAt.get(vpcId)
    if (s !== undefined && version >= s.version) {
      this.ackSeconds.observe((this.now() - s.at) / 1000)
      this.sentAt.delete(vpcId)
    }
  }

  private collectLag(g: Gauge): void {
    const v = this.view.meshVersion()
    const now = new Set<string>()
    for (const a of this.view.agents()) {
      g.set({ vpc: a.name }, Math.max(0, v - a.appliedVersion))
      now.add(a.name)
    }
    for (const name of this.lagLabels) if (!now.has(name)) g.remove({ vpc: name })
    this.lagLabels = now
  }
}

/** Sets one series per VPC from `rows`, removes the series of VPCs no longer listed; returns the names set. */
function setByVpc<T extends { vpc: string }>(
  g: Gauge,
  rows: readonly T[],
  value: (row: T) => number,
  previous: ReadonlySet<string>,
): Set<string> {
  const now = new Set<string>()
  for (const r of rows) {
    g.set({ vpc: r.vpc }, value(r))
    now.add(r.vpc)
  }
  for (const name of previous) if (!now.has(name)) g.remove({ vpc: name })
  return now
}
