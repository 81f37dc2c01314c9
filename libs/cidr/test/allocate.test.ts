import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { allocatePrefix, mapAddress, parseAddress, parsePrefix, type Prefix } from '../src/index.js'

const P = (t: string): Prefix => parsePrefix(t)
const text = (p: Prefix | undefined): string | undefined => p?.toString()

test('allocatePrefix: the lowest aligned free block of the size asked, inside the pool', () => {
  const pool = P('242.0.0.0/8')
  assert.equal(text(allocatePrefix(pool, 24, [])), '242.0.0.0/24')
  assert.equal(text(allocatePrefix(pool, 24, [P('242.0.0.0/24')])), '242.0.1.0/24')
  assert.equal(text(allocatePrefix(pool, 16, [P('242.0.3.0/24')])), '242.1.0.0/16', 'aligned past a smaller block')
  assert.equal(text(allocatePrefix(pool, 24, [P('242.0.0.0/16'), P('242.1.0.0/24')])), '242.1.1.0/24')
  assert.equal(text(allocatePrefix(pool, 24, [P('10.0.0.0/8'), P('fd00::/8')])), '242.0.0.0/24', 'outside ignored')
  assert.equal(allocatePrefix(pool, 8, [P('242.255.255.0/24')]), undefined, 'no room for the whole pool')
  assert.equal(allocatePrefix(pool, 7, []), undefined, 'larger than the pool')
  assert.equal(allocatePrefix(P('242.0.0.0/30'), 31, [P('242.0.0.0/31'), P('242.0.0.2/31')]), undefined)
  assert.equal(text(allocatePrefix(P('fd42::/48'), 64, [P('fd42::/64')])), 'fd42:0:0:1::/64')
})

test('allocatePrefix: property against brute force on small pools: free, inside, aligned, the lowest', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 24, max: 29 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 24, max: 32 })), { maxLength: 12 }),
      (bits, raw) => {
        const pool = P('242.7.7.0/24')
        const used = raw.map(([host, len]) => parsePrefix(`242.7.7.${host}/${len}`, { strict: false }))
        const got = allocatePrefix(pool, bits, used)
        const size = 2 ** (32 - bits)
        let want: string | undefined
        for (let start = 0; start + size <= 256 && want === undefined; start += size) {
          const c = P(`242.7.7.${start}/${bits}`)
          if (!used.some((u) => u.overlaps(c))) want = c.toString()
        }
        assert.equal(text(got), want)
      },
    ),
    { numRuns: 2000, seed: 42 },
  )
})

test('mapAddress: 1:1 between a local and a global prefix of one size, host bits kept', () => {
  assert.equal(mapAddress(parseAddress('10.0.0.7'), P('10.0.0.0/24'), P('242.1.0.0/24')), '242.1.0.7')
  assert.equal(mapAddress(parseAddress('242.1.0.9'), P('242.1.0.0/24'), P('10.0.0.0/24')), '10.0.0.9')
  assert.equal(mapAddress(parseAddress('10.0.1.7'), P('10.0.0.0/24'), P('242.1.0.0/24')), undefined, 'outside')
  assert.equal(mapAddress(parseAddress('10.0.0.7'), P('10.0.0.0/24'), P('242.1.0.0/16')), undefined, 'sizes differ')
  assert.equal(mapAddress(parseAddress('fd00::5'), P('fd00::/64'), P('fd42:0:0:9::/64')), 'fd42:0:0:9::5')
})
