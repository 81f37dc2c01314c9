import { test } from 'node:test'
import assert from 'node:assert/strict'
import { findOverlaps, type Overlap, type OwnedPrefix } from '../src/overlap.js'
import { type Prefix, parsePrefix, prefixFrom } from '../src/prefix.js'
import { mulberry32 } from '../src/testing/prng.js'
import { addressInside, randomPrefix } from '../src/testing/random-prefix.js'

const P = (text: string): Prefix => parsePrefix(text)

/** Existing registrations from `[prefix, owner]` pairs. */
const owned = (pairs: Array<[string, string]>): Array<OwnedPrefix<string>> =>
  pairs.map(([p, owner]) => ({ prefix: P(p), owner }))

/** Overlaps as comparable strings: `candidate ~ existing (owner|candidate)`. */
const show = (os: Array<Overlap<string>>): string[] =>
  os.map(
    (o) =>
      `${o.candidate.toString()} ~ ${o.existing.toString()} (${o.source === 'existing' ? String(o.owner) : 'candidate'})`,
  )

test('no candidates or nothing registered means no overlaps', () => {
  assert.deepEqual(findOverlaps([], owned([['10.0.0.0/8', 'a']])), [])
  assert.deepEqual(findOverlaps([P('10.0.0.0/8')], []), [])
})

test('IPv4: containment both ways, equality; adjacent prefixes do not overlap', () => {
  const existing = owned([
    ['10.0.0.0/16', 'vpc-a'],
    ['10.1.0.0/16', 'vpc-b'],
    ['192.168.0.0/24', 'vpc-c'],
  ])
  assert.deepEqual(
    show(findOverlaps([P('10.0.0.0/8')], existing)),
    ['10.0.0.0/8 ~ 10.0.0.0/16 (vpc-a)', '10.0.0.0/8 ~ 10.1.0.0/16 (vpc-b)'],
    'candidate contains existing',
  )
  assert.deepEqual(
    show(findOverlaps([P('10.1.2.0/24')], existing)),
    ['10.1.2.0/24 ~ 10.1.0.0/16 (vpc-b)'],
    'existing contains candidate',
  )
  assert.deepEqual(
    show(findOverlaps([P('192.168.0.0/24')], existing)),
    ['192.168.0.0/24 ~ 192.168.0.0/24 (vpc-c)'],
    'equal',
  )
  assert.deepEqual(
    findOverlaps([P('10.2.0.0/16'), P('192.168.1.0/24'), P('192.167.255.0/24')], existing),
    [],
    'adjacent',
  )
  assert.deepEqual(show(findOverlaps([P('0.0.0.0/0')], existing)).length, 3, '/0 overlaps every IPv4 prefix')
})

test('IPv6: containment both ways, equality, adjacency', () => {
  const existing = owned([
    ['fd00:1::/32', 'a'],
    ['fd00:2::/32', 'b'],
  ])
  assert.deepEqual(show(findOverlaps([P('fd00::/16')], existing)), [
    'fd00::/16 ~ fd00:1::/32 (a)',
    'fd00::/16 ~ fd00:2::/32 (b)',
  ])
  assert.deepEqual(show(findOverlaps([P('fd00:2:3::/48')], existing)), ['fd00:2:3::/48 ~ fd00:2::/32 (b)'])
  assert.deepEqual(show(findOverlaps([P('fd00:1::/32')], existing)), ['fd00:1::/32 ~ fd00:1::/32 (a)'])
  assert.deepEqual(findOverlaps([P('fd00:3::/32'), P('fd00::/32')], existing), [])
  assert.deepEqual(show(findOverlaps([P('::/0')], existing)).length, 2)
})

test('different families never overlap, even IPv4-mapped IPv6', () => {
  const existing = owned([
    ['0.0.0.0/0', 'v4'],
    ['10.0.0.0/8', 'v4b'],
  ])
  assert.deepEqual(findOverlaps([P('::/0')], existing), [])
  assert.deepEqual(findOverlaps([P('::ffff:10.0.0.0/104')], existing), [])
  assert.deepEqual(findOverlaps([P('0.0.0.0/0')], owned([['::/0', 'v6']])), [])
})

test('overlaps within the candidate list are reported once, later candidate first', () => {
  const found = findOverlaps(
    [P('10.1.0.0/16'), P('172.16.0.0/12'), P('10.0.0.0/8'), P('10.1.0.0/16')],
    owned([['172.16.5.0/24', 'x']]),
  )
  assert.deepEqual(show(found), [
    '172.16.0.0/12 ~ 172.16.5.0/24 (x)',
    '10.0.0.0/8 ~ 10.1.0.0/16 (candidate)',
    '10.1.0.0/16 ~ 10.0.0.0/8 (candidate)',
    '10.1.0.0/16 ~ 10.1.0.0/16 (candidate)',
  ])
  assert.ok(found.filter((o) => o.source === 'candidate').every((o) => o.owner === undefined))
})

test('overlaps among existing prefixes alone are not reported', () => {
  assert.deepEqual(
    findOverlaps(
      [P('192.0.2.0/24')],
      owned([
        ['10.0.0.0/8', 'a'],
        ['10.1.0.0/16', 'b'],
      ]),
    ),
    [],
  )
})

/** Reference: compare every pair. */
function naiveOverlaps(candidates: Prefix[], existing: Array<OwnedPrefix<number>>): string[] {
  const out: string[] = []
  candidates.forEach((c, i) => {
    for (const e of existing) if (c.overlaps(e.prefix)) out.push(`${i} ${e.prefix.toString()} ${e.owner}`)
    candidates.slice(0, i).forEach((d) => {
      if (c.overlaps(d)) out.push(`${i} ${d.toString()} candidate`)
    })
  })
  return out.sort()
}

test('findOverlaps matches a pairwise reference on random inputs', () => {
  const seed = process.env.VPCMESH_TEST_SEED
    ? Number(process.env.VPCMESH_TEST_SEED) >>> 0
    : (Math.random() * 2 ** 32) >>> 0
  const rng = mulberry32(seed)
  for (let round = 0; round < 300; round++) {
    const family = rng.int(2) === 0 ? 4 : 6
    const pool: Prefix[] = []
    const pick = (): Prefix => {
      const base = pool[rng.int(pool.length)]
      const p =
        base !== undefined && rng.int(2) === 0
          ? prefixFrom(addressInside(rng, base), Math.min(base.maxBits, base.bits + rng.int(6)), { strict: false })
          : randomPrefix(rng, rng.int(10) === 0 ? (family === 4 ? 6 : 4) : family, 0, 20)
      pool.push(p)
      return p
    }
    const existing = Array.from({ length: rng.int(40) }, (_, i) => ({ prefix: pick(), owner: i }))
    const candidates = Array.from({ length: rng.int(15) }, pick)
    const got = findOverlaps(candidates, existing).map(
      (o) =>
        `${candidates.indexOf(o.candidate)} ${o.existing.toString()} ${o.source === 'existing' ? String(o.owner) : 'candidate'}`,
    )
    assert.deepEqual(got.slice().sort(), naiveOverlaps(candidates, existing), `round ${round} (seed ${seed})`)
  }
})
