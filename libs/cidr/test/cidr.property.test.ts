/**
 * Property-based tests of the CIDR library against its naive reference (docs/testing.md,
 * "Property and protocol fuzzing"): table LPM vs a linear scan, overlap detection vs all pairs,
 * parse/format round-trip, and the symmetry laws of contains/overlaps. fast-check prints the
 * seed and the shrunk counterexample on failure; `VPCMESH_TEST_SEED` replays a run.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { type IpFamily, formatAddress, parseAddress } from '../src/address.js'
import { isCidrError } from '../src/errors.js'
import { findOverlaps } from '../src/overlap.js'
import { type Prefix, parsePrefix, prefixFrom } from '../src/prefix.js'
import { RouteTable } from '../src/table.js'
import { NaiveRouteTable } from '../src/testing/naive-table.js'
import { mulberry32 } from '../src/testing/prng.js'
import { addressInside, randomPrefix } from '../src/testing/random-prefix.js'

const SEED = process.env.VPCMESH_TEST_SEED ? Number(process.env.VPCMESH_TEST_SEED) : undefined
const RUNS: fc.Parameters<unknown> = { numRuns: 300, ...(SEED === undefined ? {} : { seed: SEED }) }

const family = fc.constantFrom<IpFamily>(4, 6)
const address = (f: IpFamily) => fc.uint8Array({ minLength: f === 4 ? 4 : 16, maxLength: f === 4 ? 4 : 16 })
/** Any prefix; short lengths are likely so prefixes nest. */
const prefixOf = (f: IpFamily) =>
  fc
    .tuple(address(f), fc.integer({ min: 0, max: f === 4 ? 32 : 128 }), fc.boolean())
    .map(([a, bits, short]) => prefixFrom(a, short ? bits >>> 2 : bits, { strict: false }))
const prefix = family.chain(prefixOf)
const anyAddress = family.chain(address)

test('RouteTable lookup agrees with the naive linear scan', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(prefix, fc.boolean()), { maxLength: 40 }),
      fc.array(anyAddress, { maxLength: 20 }),
      fc.integer(),
      (ops, probes, seed) => {
        const table = new RouteTable<number>()
        const naive = new NaiveRouteTable<number>()
        ops.forEach(([p, remove], i) => {
          if (remove) assert.equal(table.remove(p), naive.remove(p), `remove ${p}`)
          else assert.equal(table.insert(p, i), naive.insert(p, i), `insert ${p}`)
        })
        assert.equal(table.size, naive.size)
        // Probe random addresses and addresses inside each route (the interesting ones).
        const rng = mulberry32(seed)
        const inside = naive.entries().map((e) => addressInside(rng, e.prefix))
        for (const a of [...probes, ...inside]) assert.equal(table.lookup(a), naive.lookup(a), formatAddress(a))
        assert.deepEqual(
          table.entries().map((e) => `${e.prefix}=${e.value}`),
          naive.entries().map((e) => `${e.prefix}=${e.value}`),
        )
      },
    ),
    RUNS,
  )
})

test('findOverlaps reports exactly the overlapping pairs a quadratic scan finds', () => {
  const key = (a: Prefix, b: Prefix) => `${a}|${b}`
  fc.assert(
    fc.property(fc.array(prefix, { maxLength: 15 }), fc.array(prefix, { maxLength: 15 }), (cands, owned) => {
      const existing = owned.map((p, i) => ({ prefix: p, owner: i }))
      const want = new Set<string>()
      cands.forEach((c, i) => {
        for (const e of existing) if (c.overlaps(e.prefix)) want.add(`${key(c, e.prefix)}|${e.owner}`)
        for (let j = 0; j < i; j++) if (c.overlaps(cands[j]!)) want.add(`${key(c, cands[j]!)}|-`)
      })
      const got = findOverlaps(cands, existing).map((o) => `${key(o.candidate, o.existing)}|${o.owner ?? '-'}`)
      assert.deepEqual(new Set(got), want)
    }),
    RUNS,
  )
})

test('prefix text round-trips through parse and format, and parsing is canonical', () => {
  fc.assert(
    fc.property(prefix, (p) => {
      const text = p.toString()
      const again = parsePrefix(text)
      assert.ok(again.equals(p), text)
      assert.equal(again.toString(), text)
      assert.deepEqual(parseAddress(formatAddress(p.address)), p.address)
    }),
    RUNS,
  )
})

test('arbitrary text either parses to a canonical prefix or throws a CidrError', () => {
  const chars = fc.constantFrom(...'0123456789abcdefABCDEF:./%- x'.split(''))
  const text = fc.oneof(fc.string(), fc.string({ unit: chars, maxLength: 50 }), fc.string({ unit: 'grapheme' }))
  fc.assert(
    fc.property(text, fc.boolean(), (t, strict) => {
      let p: Prefix
      try {
        p = parsePrefix(t, { strict })
      } catch (e) {
        assert.ok(isCidrError(e), `${JSON.stringify(t)} threw ${String(e)}`)
        return
      }
      assert.ok(parsePrefix(p.toString()).equals(p), JSON.stringify(t))
    }),
    { ...RUNS, numRuns: 2000 },
  )
})

test('contains and overlaps obey their laws', () => {
  fc.assert(
    fc.property(prefix, prefix, anyAddress, (a, b, addr) => {
      assert.equal(a.overlaps(b), b.overlaps(a), 'overlaps is symmetric')
      assert.equal(a.overlaps(b), a.contains(b) || b.contains(a), 'overlap means one contains the other')
      assert.ok(a.contains(a) && a.overlaps(a), 'reflexive')
      if (a.contains(b) && b.contains(a)) assert.ok(a.equals(b), 'antisymmetric')
      if (a.contains(b) && b.contains(addr)) assert.ok(a.contains(addr), 'transitive through an address')
      if (a.family !== b.family) assert.ok(!a.overlaps(b), 'never across families')
      assert.equal(Math.sign(a.compare(b)) + Math.sign(b.compare(a)), 0, 'compare is antisymmetric')
      assert.equal(a.compare(b) === 0, a.equals(b), 'compare 0 means equal')
    }),
    RUNS,
  )
})

test('random-prefix helpers make prefixes that contain the addresses made inside them', () => {
  fc.assert(
    fc.property(fc.integer(), family, (seed, f) => {
      const rng = mulberry32(seed)
      const p = randomPrefix(rng, f)
      assert.ok(p.contains(addressInside(rng, p)), p.toString())
    }),
    RUNS,
  )
})
