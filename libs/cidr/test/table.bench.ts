/**
 * Benchmark (not a test): RouteTable lookups per second with 1000 routes per family and
 * 1e6 lookups that read addresses at offsets inside one shared buffer, as the data plane
 * does with received packets. Run: `node libs/cidr/dist/test/table.bench.js [seed]`.
 * When Node's test runner picks this file up (it runs every .js under a test/ directory it
 * is given), it runs a 1e4-lookup smoke version so the suite stays fast.
 */
import type { IpFamily } from '../src/address.js'
import type { Prefix } from '../src/prefix.js'
import { RouteTable } from '../src/table.js'
import { mulberry32 } from '../src/testing/prng.js'
import { addressInside, randomAddress, randomPrefix } from '../src/testing/random-prefix.js'

const ROUTES = 1000
const POOL = 4096
const UNDER_TEST_RUNNER = process.env.NODE_TEST_CONTEXT !== undefined
const LOOKUPS = UNDER_TEST_RUNNER ? 1e4 : 1e6

/** Results of one family's run. */
interface Result {
  family: IpFamily
  lookupsPerSecond: number
  hitRate: number
  insertMs: number
}

/** Builds a table of ROUTES random prefixes with lengths typical of VPC and pod routes. */
function buildTable(
  family: IpFamily,
  seed: number,
): { table: RouteTable<number>; prefixes: Prefix[]; insertMs: number } {
  const rng = mulberry32(seed)
  const prefixes = Array.from({ length: ROUTES }, () =>
    family === 4 ? randomPrefix(rng, 4, 8, 32) : randomPrefix(rng, 6, 16, 128),
  )
  const table = new RouteTable<number>()
  const start = performance.now()
  for (const [i, p] of prefixes.entries()) table.insert(p, i)
  return { table, prefixes, insertMs: performance.now() - start }
}

/** One buffer of POOL addresses back to back; 3 in 4 fall inside some route. */
function addressPool(family: IpFamily, prefixes: Prefix[], seed: number): Uint8Array {
  const rng = mulberry32(seed ^ 0xadd)
  const width = family === 4 ? 4 : 16
  const buf = new Uint8Array(POOL * width)
  for (let i = 0; i < POOL; i++) {
    const inside = rng.int(4) !== 0 ? prefixes[rng.int(prefixes.length)] : undefined
    buf.set(inside !== undefined ? addressInside(rng, inside) : randomAddress(rng, family), i * width)
  }
  return buf
}

/** Hot loop: `n` lookups cycling through the pool; returns hits so the work is not optimized away. */
function run(table: RouteTable<number>, family: IpFamily, pool: Uint8Array, n: number): number {
  const width = family === 4 ? 4 : 16
  let hits = 0
  for (let i = 0; i < n; i++) {
    const offset = (i & (POOL - 1)) * width
    const v = family === 4 ? table.lookupV4(pool, offset) : table.lookupV6(pool, offset)
    if (v !== undefined) hits++
  }
  return hits
}

/** Warms up, then times LOOKUPS lookups for one family. */
function bench(family: IpFamily, seed: number): Result {
  const { table, prefixes, insertMs } = buildTable(family, seed)
  const pool = addressPool(family, prefixes, seed)
  run(table, family, pool, Math.min(LOOKUPS, 1e5))
  const start = performance.now()
  const hits = run(table, family, pool, LOOKUPS)
  const seconds = (performance.now() - start) / 1000
  return { family, lookupsPerSecond: LOOKUPS / seconds, hitRate: hits / LOOKUPS, insertMs }
}

const seed = Number(process.argv[2] ?? 1) >>> 0
console.log(
  `RouteTable benchmark: ${ROUTES} routes per family, ${LOOKUPS} lookups, seed ${seed}${UNDER_TEST_RUNNER ? ' (smoke run under node --test)' : ''}`,
)
for (const family of [4, 6] as const) {
  const r = bench(family, seed)
  console.log(
    `IPv${family}: ${Math.round(r.lookupsPerSecond).toLocaleString('en-US')} lookups/s, ` +
      `hit rate ${(r.hitRate * 100).toFixed(1)}%, ${ROUTES} inserts in ${r.insertMs.toFixed(1)} ms`,
  )
}
