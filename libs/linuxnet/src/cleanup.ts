/**
 * Removal of everything vpcmesh could have added for one TUN (for `vpcmesh agent --cleanup`,
 * run by systemd in ExecStopPost). Works without knowing the last config: the TUN's routing
 * table and policy rule are found by the table number, routes an earlier version put into the
 * main table by our route protocol on that TUN, and the nftables table by its name.
 *
 * Another agent's TUN, table and rule on the same host are never touched.
 *
 * Sysctls are left alone on purpose: we cannot know whether forwarding was on before us, and
 * other software on the VM (container runtimes, Kubernetes, other VPNs) relies on it; turning
 * it off would break them. The TUN link belongs to the packet engine and goes with it.
 */
import { deleteNftTable } from './nftables.js'
import { removePolicyRules } from './policy-rule.js'
import { deleteRoute, readMainTable, readTable } from './routes.js'
import type { CommandRunner } from './runner.js'

/** Which TUN's state to remove. */
export interface CleanupTarget {
  tunName: string
  /** Its routing table. */
  table: number
  /** Our route protocol number. */
  proto: number
}

/**
 * Deletes every entry of the TUN's table, the rules that look it up, routes of ours on the
 * TUN left in main by earlier versions, and the `inet vpcmesh` nftables table. Safe when
 * nothing exists; routes of other protocols, links and tables are never touched.
 * @returns the number of routes deleted
 */
export async function cleanupHost(runner: CommandRunner, t: CleanupTarget): Promise<number> {
  const removed = await removeTable(runner, t.table)
  const legacy = (await readMainTable(runner, t.proto, t.tunName)).ours
  for (const r of legacy) await deleteRoute(runner, r, 'main')
  await deleteNftTable(runner)
  return removed + legacy.length
}

/**
 * Removes routing table `table`: first the rules that look it up (so nothing consults it any
 * more), then every entry. Safe when neither exists.
 * @returns the number of entries deleted
 */
export async function removeTable(runner: CommandRunner, table: number): Promise<number> {
  const entries = await readTable(runner, table)
  await removePolicyRules(runner, table)
  for (const r of entries) await deleteRoute(runner, r, table)
  return entries.length
}
