import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FakeClock } from '../src/testing/fake-clock.js'

test('fake clock fires timeouts and intervals in time order', () => {
  const c = new FakeClock(0)
  const seen: string[] = []
  c.setTimeout(() => seen.push(`t${c.now()}`), 50)
  const iv = c.setInterval(() => seen.push(`i${c.now()}`), 30)
  c.advance(100)
  assert.deepEqual(seen, ['i30', 't50', 'i60', 'i90'])
  iv.cancel()
  c.advance(100)
  assert.equal(seen.length, 4)
  assert.equal(c.pending(), 0)
})
