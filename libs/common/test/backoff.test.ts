import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Backoff } from '../src/backoff.js'

test('backoff grows exponentially within [base/2, base] and caps at maxMs', () => {
  const lo = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0 })
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6].map(() => lo.next()),
    [50, 100, 200, 400, 500, 500],
  )
  const hi = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0.999999 })
  assert.deepEqual(
    [1, 2, 3, 4, 5].map(() => hi.next()),
    [100, 200, 400, 800, 1000],
  )
})

test('backoff reset starts over', () => {
  const b = new Backoff({ initialMs: 100, random: () => 0 })
  b.next()
  b.next()
  b.reset()
  assert.equal(b.next(), 50)
})
