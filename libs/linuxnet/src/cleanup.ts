/**
 * Removal of everything vpcmesh could have added (for `vpcmesh agent --cleanup`, run by
 * systemd in ExecStopPost). Works without knowing the last config: our routes are found by
 * their route protocol on every link, and the nftables table by its name.
 *
 * Sysctls are left alone on purpose: we cannot know whether forwarding was on before us, and
 * other software on the VM (container runtimes, Kubernetes, other VPNs) relies on it; turning
 * it off would break them. The TUN link belongs to the packet engine and goes with it.
 */
import { deleteNftTable } from './nftables.js'
import { deleteRoute, readOwnedRoutes } from './routes.js'
import type { CommandRunner } from './runner.js'

/**
 * Deletes every route carrying `proto` in the main table (both families) and the
 * `inet vpcmesh` nftables table. Safe when nothing exists; routes of other protocols, other
 * tables and the host's own nftables tables are never touched.
 * @returns the number of routes deleted
 */
export async function cleanupHost (runner: CommandRunner, proto: number): Promise<number> {
  const routes = await readOwnedRoutes(runner, proto)
  for (const r of routes) await deleteRoute(runner, r, proto)
  await deleteNftTable(runner)
  return routes.length
}
