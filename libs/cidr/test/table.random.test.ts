import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { IpFamily } from '../src/address.js'
import { type Prefix, prefixFrom } from '../src/prefix.js'
import { RouteTable } from '../src/table.js'
import { type Prng, mulberry32 } from '../src/testing/prng.js'
import { addressInside, randomAddress, randomPrefix } from '../src/testing/random-prefix.js'
import { NaiveRouteTable } from '../src/testing/naive-table.js'

/** `VPCMESH_TEST_SEED` to replay a failure, otherwise fresh; printed in every assertion message. */
const SEED = process.env.VPCMESH_TEST_SEED
  ? Number(process.env.VPCMESH_TEST_SEED) >>> 0
  : (Math.random() * 2 ** 32) >>> 0

/** Sizes of one randomized round. */
interface Round {
  routes: number
  removals: number
  lookups: number
}

/**
 * A random prefix: a third uniform in length, a third short (so routes nest widely), and a
 * third derived from an earlier route (a slightly longer prefix inside it), which builds deep
 * chains, siblings and branch points down to the last bit.
 */
function pickPrefix(rng: Prng, family: IpFamily, inserted: Prefix[]): Prefix {
  const max = family === 4 ? 32 : 128
  const parent = inserted[rng.int(inserted.length)]
  switch (rng.int(3)) {
    case 0:
      return randomPrefix(rng, family)
    case 1:
      return randomPrefix(rng, family, 0, (max / 4) * 3)
    default: {
      if (parent === undefined) return randomPrefix(rng, family)
      const bits = Math.min(max, parent.bits + 1 + rng.int(4))
      return prefixFrom(addressInside(rng, parent), bits, { strict: false })
    }
  }
}

/** An address: half the time inside a random inserted prefix, otherwise uniform. */
function pickAddress(rng: Prng, family: IpFamily, inserted: Prefix[]): Uint8Array {
  const p = inserted[rng.int(inserted.length)]
  return p !== undefined && rng.int(2) === 0 ? addressInside(rng, p) : randomAddress(rng, family)
}

/** Checks every lookup against the naive reference, reading from a buffer at an odd offset too. */
function checkLookups(
  t: RouteTable<number>,
  ref: NaiveRouteTable<number>,
  rng: Prng,
  family: IpFamily,
  inserted: Prefix[],
  n: number,
  ctx: string,
): void {
  const packet = new Uint8Array(64)
  for (let i = 0; i < n; i++) {
    const addr = pickAddress(rng, family, inserted)
    const want = ref.lookup(addr)
    packet.set(addr, 7)
    const got = family === 4 ? t.lookupV4(packet, 7) : t.lookupV6(packet, 7)
    if (got !== want || t.lookup(addr) !== want) {
      assert.fail(
        `${ctx} lookup #${i} of ${Array.from(addr).join(',')}: table ${String(got)}, reference ${String(want)} (seed ${rng.seed})`,
      )
    }
  }
}

/** One round: insert, look up, remove some, look up again, compare listings. */
function round(family: IpFamily, seed: number, size: Round): void {
  const rng = mulberry32(seed)
  const t = new RouteTable<number>()
  const ref = new NaiveRouteTable<number>()
  const inserted: Prefix[] = []
  for (let i = 0; i < size.routes; i++) {
    const p = pickPrefix(rng, family, inserted)
    assert.equal(t.insert(p, i), ref.insert(p, i), `insert ${p.toString()} (seed ${seed})`)
    inserted.push(p)
  }
  assert.equal(t.size, ref.size, `size after inserts (seed ${seed})`)
  checkLookups(t, ref, rng, family, inserted, size.lookups, `IPv${family} after inserts`)
  for (let i = 0; i < size.removals; i++) {
    const p = rng.int(4) === 0 ? pickPrefix(rng, family, inserted) : inserted[rng.int(inserted.length)]!
    assert.equal(t.remove(p), ref.remove(p), `remove ${p.toString()} (seed ${seed})`)
  }
  assert.equal(t.size, ref.size, `size after removals (seed ${seed})`)
  checkLookups(t, ref, rng, family, inserted, size.lookups, `IPv${family} after removals`)
  const list = (es: Array<{ prefix: Prefix; value: number }>): string[] =>
    es.map((e) => `${e.prefix.toString()}=${e.value}`)
  assert.deepEqual(list(t.entries()), list(ref.entries()), `entries (seed ${seed})`)
}

for (const family of [4, 6] as const) {
  test(`IPv${family} table matches a linear-scan reference (seed ${SEED})`, () => {
    round(family, SEED, { routes: 1000, removals: 600, lookups: 5000 })
  })

  test(`IPv${family} table matches the reference on many small tables (seed ${SEED})`, () => {
    for (let i = 0; i < 200; i++)
      round(family, (SEED + i * 7919) >>> 0, { routes: 1 + (i % 30), removals: i % 20, lookups: 200 })
  })
}

test(`mixed families share a table without interfering (seed ${SEED})`, () => {
  const rng = mulberry32(SEED ^ 0x5eed)
  const t = new RouteTable<number>()
  const refs = { 4: new NaiveRouteTable<number>(), 6: new NaiveRouteTable<number>() }
  const inserted: Record<IpFamily, Prefix[]> = { 4: [], 6: [] }
  for (let i = 0; i < 500; i++) {
    const family: IpFamily = rng.int(2) === 0 ? 4 : 6
    const p = pickPrefix(rng, family, inserted[family])
    t.insert(p, i)
    refs[family].insert(p, i)
    inserted[family].push(p)
  }
  assert.equal(t.size, refs[4].size + refs[6].size, `size (seed ${SEED})`)
  for (const family of [4, 6] as const)
    checkLookups(t, refs[family], rng, family, inserted[family], 3000, `mixed IPv${family}`)
  const even = [...refs[4].entries(), ...refs[6].entries()].filter((e) => e.value % 2 === 0)
  assert.equal(
    t.removeByValue((v) => v % 2 === 0),
    even.length,
    `removeByValue count (seed ${SEED})`,
  )
  for (const e of even) refs[e.prefix.family].remove(e.prefix)
  for (const family of [4, 6] as const)
    checkLookups(t, refs[family], rng, family, inserted[family], 3000, `mixed IPv${family} after removeByValue`)
})
