import type { Counter, Gauge, Histogram, Metrics } from '@vpcmesh/metrics'
import { SKIP_REASONS, type SkippedRoute } from '@vpcmesh/linuxnet'

/** The agent's own metrics (the data plane registers its per-peer metrics itself). See docs/metrics.md. */
export class AgentMetrics {
  readonly appliedVersion: Gauge
  readonly reconciles: Counter
  readonly reconcileSeconds: Histogram

  /**
   * @param skippedRoutes - mesh prefixes the last apply left out of the TUN's table (reported
   *   as `vpcmesh_agent_routes_skipped` by reason)
   */
  constructor (metrics: Metrics, controllerConnected: () => boolean, skippedRoutes: () => readonly SkippedRoute[] = () => []) {
    this.appliedVersion = metrics.gauge({ name: 'vpcmesh_agent_mesh_version', help: 'Mesh version of the map this agent has applied (0 before the first)' })
    this.reconciles = metrics.counter({ name: 'vpcmesh_agent_reconciles_total', help: 'Map applications by result (ok, error)', labelNames: ['result'] })
    this.reconcileSeconds = metrics.histogram({ name: 'vpcmesh_agent_reconcile_duration_seconds', help: 'Time to apply one map to the data plane and the host, seconds' })
    metrics.gauge({ name: 'vpcmesh_agent_controller_connected', help: '1 while the agent has a session with a controller, else 0', collect: (g) => { g.set(controllerConnected() ? 1 : 0) } })
    metrics.gauge({
      name: 'vpcmesh_agent_routes_skipped',
      help: 'Mesh prefixes the last apply did not route into the TUN, by reason (reserved, local, underlay, operator)',
      labelNames: ['reason'],
      collect: (g) => {
        const list = skippedRoutes()
        for (const reason of SKIP_REASONS) g.set({ reason }, list.filter((s) => s.reason === reason).length)
      }
    })
  }
}
