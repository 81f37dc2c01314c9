/**
 * The Router seam: programs the host so that mesh traffic flows through the TUN (tailscale
 * router.Router). `LinuxRouter` is the real implementation; tests drive it with `FakeRunner`.
 */
import type { RouterConfig } from './router-config.js'
import type { SkippedRoute } from './route-plan.js'

/** Result of {@link Router.set}: whether any host state had to change. */
export type SetResult = 'changed' | 'unchanged'

/** One route vpcmesh programmed, as read back from the host. */
export interface ProgrammedRoute {
  /** Canonical CIDR, e.g. `10.1.0.0/16` or `fd00:1::/64`. */
  prefix: string
  /** The link the route points at. */
  dev: string
}

/** What vpcmesh has programmed on the host right now, read back from it. */
export interface RouterState {
  /** Our routing table; undefined before the first successful set(). */
  table: number | undefined
  /** The routes into the TUN in our table, sorted by prefix. */
  routes: ProgrammedRoute[]
  /** Prefixes with a `throw` entry in our table (looked up in main instead), sorted. */
  throws: string[]
  /** Mesh prefixes the last set() did not install, and why (see route-plan.ts). */
  skipped: SkippedRoute[]
  /** Comments of the rules in the `inet vpcmesh` nftables table, in order; undefined when the table is absent. */
  nftRules: string[] | undefined
  /**
   * Packets (and bytes) from the TUN that the mesh policy refused to forward, since the table
   * was last replaced (a replaced table starts again at 0); undefined when the table is absent.
   */
  forwardDenied: { packets: number; bytes: number } | undefined
  /** Likewise for packets from the TUN refused delivery to this host. */
  inputDenied: { packets: number; bytes: number } | undefined
  /**
   * Global mode: connections (first packets) whose destination was translated on the way in,
   * and whose source was translated on the way out; undefined when not in global mode.
   */
  globalNatIn?: { packets: number; bytes: number } | undefined
  globalNatOut?: { packets: number; bytes: number } | undefined
  /** Problems the last {@link Router.set} noticed but does not fix (e.g. strict rp_filter); empty when none. */
  warnings: string[]
}

/**
 * Router applies a RouterConfig to the host. Contract:
 * - Calls are serialized: a call made while another runs starts after it.
 * - Only what vpcmesh owns is ever changed: the TUN's own routing table and the policy rule
 *   that looks it up, the `inet vpcmesh` nftables table, the TUN's MTU/up state and
 *   forwarding sysctls (and routes of its protocol on the TUN that older versions left in
 *   main). A route the operator put into main is never replaced: a mesh prefix equal to one
 *   is skipped and reported instead.
 * - There is no close(): a Router holds no resources. set() after cleanup() programs again.
 */
export interface Router {
  /**
   * Makes the host match `cfg`. Idempotent and diff-based: it reads the host, changes only
   * what differs, adds or replaces routes before deleting old ones, and replaces the nftables
   * table in one atomic transaction. Repeating the same cfg issues only reads.
   * @returns 'unchanged' when the host already matched
   * @throws LinuxNetError VPCMESH_ERR_LINUXNET_CONFIG for a bad cfg (nothing is changed),
   *   VPCMESH_ERR_LINUXNET_NO_LINK when the TUN does not exist (nothing is changed),
   *   VPCMESH_ERR_LINUXNET_COMMAND when a command fails: the host may then be partly
   *   converged, and calling set() again continues from there
   */
  set(cfg: RouterConfig): Promise<SetResult>
  /**
   * Removes everything vpcmesh added for the TUN `tunName`: its routing table, policy rule,
   * routes an earlier version left in main, and the nftables table. Another TUN's routes are
   * never touched. Leaves sysctls and the TUN link alone. Safe when nothing exists (for
   * `vpcmesh agent --cleanup`).
   * @throws LinuxNetError VPCMESH_ERR_LINUXNET_COMMAND when a removal fails
   */
  cleanup(tunName: string): Promise<void>
  /** Reads what vpcmesh has programmed on the host now (for status and "explain" views). */
  current(): Promise<RouterState>
}
