// The suite's last check (scripts/test.mjs runs it as its own `node --test` after every
// selected test file finished, since node runs test files concurrently where it has the
// cores): no network namespace, nftables table or process that the run started remains.
// It only reports; it never kills or deletes anything.
//
// What counts as "started by this run":
// - namespaces whose names use one of the test prefixes below, absent from the snapshot
//   scripts/test.mjs took before the run (`node leftovers.js --snapshot FILE`);
// - the `inet vpcmesh` nftables table in the root namespace (tests only create it inside
//   their own namespaces), unless it was there before the run;
// - processes, not in the snapshot and not this check's own ancestors, whose environment
//   holds VPCMESH_TEST_RUN=<this run's id> (set by scripts/test.mjs and inherited by
//   everything the tests spawn) or whose command line names a file of this checkout.
//
// Standalone (`node --test test/dist/teardown/leftovers.js`, no snapshot) it reports every
// matching namespace and table and every process whose command line names this checkout.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** Repository root, with a trailing slash (test/dist/teardown/leftovers.js is 3 levels down). */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/**
 * Namespace names the tests create (`<pid>` is the test process id):
 * libs/testbed users `vme<pid>-` (e2e/mesh), `vms<pid>-` (e2e/underlay-safety), `vmfw<pid>-`
 * (e2e/forward-policy), `vm6u<pid>-` (e2e/underlay6), `vmo<pid>-` (observability/prometheus), `vmch<pid>-` (chaos);
 * `vmln-<pid>-` (libs/linuxnet/test/netns.ts), `vmtun-<pid>-` (libs/tun/test/netns.ts),
 * `vmdemo-` (`vpcmesh demo`, run by e2e/demo).
 */
export const TEST_NETNS = /^(?:(?:vme|vms|vmfw|vm6u|vmo|vmch)\d+-|vmln-\d+-|vmtun-\d+-|vmdemo-)/

/** The nftables table vpcmesh owns (libs/linuxnet NFT_TABLE). */
const NFT_TABLE = 'inet vpcmesh'

interface Snapshot {
  namespaces: string[]
  /** undefined: could not list (not root). */
  nftTables?: string[]
  /** `pid:starttime` of every process. */
  processes: string[]
}

interface Proc {
  pid: number
  ppid: number
  start: string
  cmdline: string
  environ: string | undefined
}

function netnsList(): string[] {
  const out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  return out
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n !== '')
}

/** `family name` of each nftables table in the root namespace; undefined when nft cannot list them. */
function nftTables(): string[] | undefined {
  try {
    const out = execFileSync('nft', ['list', 'tables'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    return out
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('table '))
      .map((l) => l.slice('table '.length))
  } catch {
    return undefined
  }
}

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

function processes(): Proc[] {
  const out: Proc[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const stat = readOr(`/proc/${name}/stat`)
    if (stat === undefined) continue
    // pid (comm) state ppid ... field 22 = starttime; comm may contain spaces and parens.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const cmdline = (readOr(`/proc/${name}/cmdline`) ?? '').split('\0').join(' ').trim()
    out.push({
      pid: Number(name),
      ppid: Number(fields[1]),
      start: fields[19] ?? '',
      cmdline,
      environ: readOr(`/proc/${name}/environ`),
    })
  }
  return out
}

function snapshot(): Snapshot {
  return { namespaces: netnsList(), nftTables: nftTables(), processes: processes().map((p) => `${p.pid}:${p.start}`) }
}

/** This process and its ancestors. */
function ancestors(procs: Proc[]): Set<number> {
  const byPid = new Map(procs.map((p) => [p.pid, p]))
  const out = new Set<number>()
  let pid: number | undefined = process.pid
  while (pid !== undefined && pid > 0 && !out.has(pid)) {
    out.add(pid)
    pid = byPid.get(pid)?.ppid
  }
  return out
}

if (process.argv[2] === '--snapshot') {
  writeFileSync(process.argv[3] as string, JSON.stringify(snapshot()))
} else {
  const baselineFile = process.env.VPCMESH_TEST_BASELINE
  const baseline: Snapshot | undefined =
    baselineFile === undefined || baselineFile === ''
      ? undefined
      : (JSON.parse(readFileSync(baselineFile, 'utf8')) as Snapshot)
  const runId = process.env.VPCMESH_TEST_RUN
  const layers = (process.env.VPCMESH_TEST_LAYERS ?? 'unit,service,integration,e2e').split(',')
  const root = process.getuid?.() === 0

  test('no network namespace of the tests remains', (t) => {
    const before = new Set(baseline?.namespaces ?? [])
    const left = netnsList().filter((n) => TEST_NETNS.test(n) && !before.has(n))
    const old = netnsList().filter((n) => TEST_NETNS.test(n) && before.has(n))
    if (old.length > 0) t.diagnostic(`namespaces left by an earlier run (not this one): ${old.join(' ')}`)
    assert.deepEqual(left, [], `namespaces left behind: ${left.join(' ')} (remove: ip netns pids NS; ip netns del NS)`)
  })

  if (root || layers.includes('e2e')) {
    test(`no "${NFT_TABLE}" nftables table remains in the root namespace`, (t) => {
      const now = nftTables()
      assert.ok(now !== undefined, 'nft list tables failed: the check needs root and nft (like the e2e layer)')
      const had = baseline?.nftTables?.includes(NFT_TABLE) === true
      if (had) t.diagnostic(`the root namespace had "${NFT_TABLE}" before the run; not ours`)
      assert.ok(
        had || !now.includes(NFT_TABLE),
        `table ${NFT_TABLE} is left in the root namespace (nft delete table ${NFT_TABLE})`,
      )
    })
  }

  test('no process started by the tests remains', () => {
    const procs = processes()
    const mine = ancestors(procs)
    const before = new Set(baseline?.processes ?? [])
    const marker = runId === undefined || runId === '' ? undefined : `VPCMESH_TEST_RUN=${runId}`
    const left = procs.filter(
      (p) =>
        !mine.has(p.pid) &&
        !before.has(`${p.pid}:${p.start}`) &&
        p.cmdline !== '' &&
        ((marker !== undefined && p.environ?.split('\0').includes(marker) === true) || p.cmdline.includes(ROOT)),
    )
    assert.deepEqual(
      left.map((p) => `${p.pid} ${p.cmdline}`),
      [],
      'processes left behind (pid, command line); kill them by pid',
    )
  })
}
