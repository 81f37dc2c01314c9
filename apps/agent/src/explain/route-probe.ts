/**
 * The routes hop's live evidence: the entries of the agent's routing table for given prefixes,
 * read from the kernel at probe time (`ip -j route show table N`), not from the cached host state.
 */
import { parsePrefix } from '@vpcmesh/cidr'
import { type CommandRunner, formatArgv } from '@vpcmesh/linuxnet'
import type { ProbeRoute } from '@vpcmesh/protocol'

/** One entry of table `table` as `ip -j route` prints it: canonical prefix, dev ('' when none), type. */
interface TableEntry {
  prefix: string
  dev: string
  type: string
}

/**
 * Parses `ip -<family> -j route show table N` output: `dst` made canonical (`default`,
 * a host address without length), `type` `unicast` when absent. Entries without a `dst` are
 * left out.
 * @throws Error when the text is not a JSON array
 */
export function parseTableRoutes(json: string, family: 4 | 6): TableEntry[] {
  const raw: unknown = JSON.parse(json.trim() === '' ? '[]' : json)
  if (!Array.isArray(raw)) throw new Error(`ip -j route printed no array: ${json.slice(0, 120)}`)
  const out: TableEntry[] = []
  for (const r of raw as Array<Record<string, unknown>>) {
    if (typeof r.dst !== 'string') continue
    const dst = r.dst === 'default' ? (family === 4 ? '0.0.0.0/0' : '::/0') : r.dst
    const prefix = parsePrefix(dst.includes('/') ? dst : `${dst}/${family === 4 ? 32 : 128}`, { strict: false })
    out.push({
      prefix: prefix.toString(),
      dev: typeof r.dev === 'string' ? r.dev : '',
      type: typeof r.type === 'string' ? r.type : 'unicast',
    })
  }
  return out
}

/** Reads one family of table `table`; a table that does not exist (no route left in it) is empty. */
async function readFamily(runner: CommandRunner, table: number, family: 4 | 6): Promise<TableEntry[]> {
  const argv = ['ip', `-${family}`, '-j', 'route', 'show', 'table', String(table)]
  const r = await runner.run(argv, { allowFail: true })
  if (r.code !== 0) {
    if (/table does not exist/i.test(r.stderr)) return []
    throw new Error(`${formatArgv(argv)} exited with code ${r.code}: ${r.stderr.trim().slice(0, 200)}`)
  }
  return parseTableRoutes(r.stdout, family)
}

/**
 * Reads table `table` (one `ip -j route show` per family that `prefixes` need) and returns,
 * for each prefix in order, the entry for exactly that prefix (dev and type), or dev/type
 * null when the table has none.
 * @throws LinuxNetError when `ip` cannot run; Error when it fails or prints no JSON array
 */
export async function readTableRoutes(
  runner: CommandRunner,
  table: number,
  prefixes: readonly string[],
): Promise<ProbeRoute[]> {
  const families = new Set(prefixes.map((p) => (p.includes(':') ? 6 : 4) as 4 | 6))
  const found = new Map<string, TableEntry>()
  for (const family of families)
    for (const e of await readFamily(runner, table, family)) if (!found.has(e.prefix)) found.set(e.prefix, e)
  return prefixes.map((prefix) => {
    const e = found.get(prefix)
    return { prefix, dev: e === undefined || e.dev === '' ? null : e.dev, type: e?.type ?? null }
  })
}
