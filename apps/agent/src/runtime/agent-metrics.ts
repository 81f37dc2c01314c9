import type { Counter, Gauge, Histogram, Metrics } from '@vpcmesh/metrics'
import { SKIP_REASONS as ROUTE_SKIP_REASONS, type SkippedRoute } from '@vpcmesh/linuxnet'

/**
 * Reasons a peer entry of the map is skipped: the data plane's per-peer problem codes,
 * lower-case without the `VPCMESH_ERR_DATAPLANE_` prefix (a fixed, bounded set).
 */
export const SKIP_REASONS = [
  'invalid_config',
  'invalid_key',
  'invalid_endpoint',
  'invalid_prefix',
  'duplicate_peer',
  'prefix_overlap',
  'too_many_peers',
] as const

/** The `reason` label of a data plane error code. */
export function skipReason(code: string): string {
  const r = code.replace(/^VPCMESH_ERR_DATAPLANE_/, '').toLowerCase()
  return (SKIP_REASONS as readonly string[]).includes(r) ? r : 'invalid_config'
}

/**
 * A counter fed from readings of a kernel counter that starts again at 0 when our nftables
 * table is replaced: each reading adds what is new since the previous one.
 */
class KernelCounter {
  private last = 0
  constructor(
    private readonly counter: Counter,
    private readonly labels: Record<string, string> = {},
  ) {}

  /** Feeds one reading (undefined: the table is absent, the next reading starts from 0). */
  observe(total: number | undefined): void {
    if (total === undefined) {
      this.last = 0
      return
    }
    this.counter.inc(this.labels, total >= this.last ? total - this.last : total)
    this.last = total
  }
}

/** The agent's own metrics (the data plane registers its per-peer metrics itself). See docs/metrics.md. */
export class AgentMetrics {
  readonly appliedVersion: Gauge
  readonly reconciles: Counter
  readonly reconcileSeconds: Histogram
  /** Route-table provider failures by error (fenced, config, credentials, throttled, api, command). */
  readonly routeTableErrors: Counter
  /** Peer entries of the applied map left out, by reason; every reason is always exported. */
  readonly peersSkipped: Gauge
  /** Fed from the nftables counter `mesh_forward_denied` at each read-back of the host. */
  readonly forwardDenied: KernelCounter
  /** Fed from the nftables counters `global_nat_in` / `global_nat_out` (global mode). */
  readonly globalNatIn: KernelCounter
  readonly globalNatOut: KernelCounter
  /** Fed from the nftables counter `mesh_input_denied` at each read-back of the host. */
  readonly inputDenied: KernelCounter

  /**
   * @param skippedRoutes - mesh prefixes the last apply left out of the TUN's table (reported
   *   as `vpcmesh_agent_routes_skipped` by reason)
   */
  constructor(
    metrics: Metrics,
    controllerConnected: () => boolean,
    skippedRoutes: () => readonly SkippedRoute[] = () => [],
    role: () => { active: boolean; epoch: number } = () => ({ active: true, epoch: 0 }),
  ) {
    metrics.gauge({
      name: 'vpcmesh_agent_gateway_active',
      help: "1 while this gateway holds its VPC's active role (always, for a VPC with one gateway), else 0",
      collect: (g) => {
        g.set(role().active ? 1 : 0)
      },
    })
    metrics.gauge({
      name: 'vpcmesh_agent_gateway_epoch',
      help: "Fencing epoch of the VPC's active role in the applied map (0 with one gateway or before an election)",
      collect: (g) => {
        g.set(role().epoch)
      },
    })
    this.routeTableErrors = metrics.counter({
      name: 'vpcmesh_agent_route_table_errors_total',
      help: 'Failed route-table updates of the active gateway, by error (fenced, config, credentials, throttled, api, command)',
      labelNames: ['error'],
    })
    for (const error of ROUTE_TABLE_ERRORS) this.routeTableErrors.inc({ error }, 0)
    this.appliedVersion = metrics.gauge({
      name: 'vpcmesh_agent_mesh_version',
      help: 'Mesh version of the map this agent has applied (0 before the first)',
    })
    this.reconciles = metrics.counter({
      name: 'vpcmesh_agent_reconciles_total',
      help: 'Map applications by result (ok, error)',
      labelNames: ['result'],
    })
    this.reconcileSeconds = metrics.histogram({
      name: 'vpcmesh_agent_reconcile_duration_seconds',
      help: 'Time to apply one map to the data plane and the host, seconds',
    })
    metrics.gauge({
      name: 'vpcmesh_agent_controller_connected',
      help: '1 while the agent has a session with a controller, else 0',
      collect: (g) => {
        g.set(controllerConnected() ? 1 : 0)
      },
    })
    metrics.gauge({
      name: 'vpcmesh_agent_routes_skipped',
      help: 'Mesh prefixes the last apply did not route into the TUN, by reason (reserved, local, underlay, operator)',
      labelNames: ['reason'],
      collect: (g) => {
        const list = skippedRoutes()
        for (const reason of ROUTE_SKIP_REASONS) g.set({ reason }, list.filter((s) => s.reason === reason).length)
      },
    })
    this.peersSkipped = metrics.gauge({
      name: 'vpcmesh_agent_peers_skipped',
      help: 'Peer entries of the applied map left out because they are invalid, by reason',
      labelNames: ['reason'],
    })
    this.forwardDenied = new KernelCounter(
      metrics.counter({
        name: 'vpcmesh_agent_forward_denied_packets_total',
        help: "Packets from the mesh the forward policy dropped (not towards this VPC's prefixes), packets",
      }),
    )
    this.inputDenied = new KernelCounter(
      metrics.counter({
        name: 'vpcmesh_agent_input_denied_packets_total',
        help: "Packets from the mesh to this host itself the policy dropped (not to this VPC's prefixes), packets",
      }),
    )
    const nat = metrics.counter({
      name: 'vpcmesh_agent_global_nat_connections_total',
      help: 'Connections translated by global-mode prefix NAT: direction "in" (destination, from the mesh) or "out" (source, into the mesh)',
      labelNames: ['direction'],
    })
    this.globalNatIn = new KernelCounter(nat, { direction: 'in' })
    this.globalNatOut = new KernelCounter(nat, { direction: 'out' })
    nat.inc({ direction: 'in' }, 0)
    nat.inc({ direction: 'out' }, 0)
    this.setSkipped([])
  }

  /** Sets the skipped-peer gauge from the data plane's list (every reason, 0 when none). */
  setSkipped(codes: readonly string[]): void {
    for (const r of SKIP_REASONS) this.peersSkipped.set({ reason: r }, codes.filter((c) => skipReason(c) === r).length)
  }
}

/** The `error` label values of `vpcmesh_agent_route_table_errors_total` (a fixed, bounded set). */
export const ROUTE_TABLE_ERRORS = ['fenced', 'config', 'credentials', 'throttled', 'api', 'command'] as const

/** The `error` label of a route-table error code (`VPCMESH_ERR_ROUTE_TABLE_API` → `api`); unknown → `api`. */
export function routeTableError(code: string): string {
  const r = code.replace(/^VPCMESH_ERR_ROUTE_TABLE_/, '').toLowerCase()
  return (ROUTE_TABLE_ERRORS as readonly string[]).includes(r) ? r : 'api'
}
