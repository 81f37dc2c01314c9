/**
 * The routes hop's live evidence: the entries of the agent's routing table for given prefixes,
 * read from the kernel at probe time (`ip -j route show table N`), not from the cached host state.
 */
import { type CommandRunner, parseRouteList } from '@vpcmesh/linuxnet'
import type { ProbeRoute } from '@vpcmesh/protocol'

/**
 * Reads table `table` (one `ip -j route show` per family that `prefixes` need) and returns,
 * for each prefix in order, the entry for exactly that prefix (dev and type), or dev/type
 * null when the table has none.
 * @throws LinuxNetError when `ip` fails or prints something that is not a JSON array
 */
export async function readTableRoutes(
  runner: CommandRunner,
  table: number,
  prefixes: readonly string[],
): Promise<ProbeRoute[]> {
  const families = new Set(prefixes.map((p) => (p.includes(':') ? 6 : 4) as 4 | 6))
  const found = new Map<string, { dev: string; type: string }>()
  for (const family of families) {
    const r = await runner.run(['ip', `-${family}`, '-j', 'route', 'show', 'table', String(table)])
    for (const e of parseRouteList(r.stdout, family, true))
      if (!found.has(e.prefix)) found.set(e.prefix, { dev: e.dev, type: e.type ?? 'unicast' })
  }
  return prefixes.map((prefix) => {
    const e = found.get(prefix)
    return { prefix, dev: e === undefined || e.dev === '' ? null : e.dev, type: e?.type ?? null }
  })
}
