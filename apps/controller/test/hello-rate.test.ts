import { test } from 'node:test'
import assert from 'node:assert/strict'
import { HelloRate } from '../src/session/hello-rate.js'

test('HelloRate: a burst, then the refill rate, per address; full buckets are forgotten; 0 disables', () => {
  const r = new HelloRate({ perSecond: 2, burst: 3 })
  const t0 = 1_000_000
  assert.deepEqual(
    [1, 2, 3, 4].map(() => r.take('a', t0)),
    [true, true, true, false],
  )
  assert.equal(r.take('b', t0), true, 'another address has its own bucket')
  assert.equal(r.take('a', t0 + 400), false, '0.8 tokens after 400 ms')
  assert.equal(r.take('a', t0 + 500), true, 'one token after 500 ms')
  assert.equal(r.take('a', t0 + 500), false)
  assert.deepEqual(
    [1, 2, 3, 4].map(() => r.take('a', t0 + 60_000)),
    [true, true, true, false],
    'refilled to the burst, not beyond',
  )
  const size = (r as unknown as { buckets: Map<string, unknown> }).buckets
  assert.equal(size.has('b'), false, 'the full bucket of b was pruned')
  const off = new HelloRate({ perSecond: 0, burst: 1 })
  for (let i = 0; i < 100; i++) assert.equal(off.take('a', t0), true)
})
