import { test } from 'node:test'
import assert from 'node:assert/strict'
import { HandshakeLimiter } from '../src/handshake-limiter.js'

test('a source gets its burst, then its rate; other sources are not affected', () => {
  const l = new HandshakeLimiter({ rate: 10, burst: 20 }, { rate: 1000, burst: 1000 })
  let ok = 0
  for (let i = 0; i < 50; i++) if (l.allow('203.0.113.1', 0)) ok++
  assert.equal(ok, 20)
  assert.equal(l.allow('203.0.113.2', 0), true)
  assert.equal(l.allow('203.0.113.1', 99), false, '0.99 tokens after 99 ms')
  assert.equal(l.allow('203.0.113.1', 100), true, 'one token per 100 ms')
  assert.equal(l.allow('203.0.113.1', 100), false)
})

test('the global bucket caps all sources together', () => {
  const l = new HandshakeLimiter({ rate: 10, burst: 20 }, { rate: 5, burst: 30 })
  let ok = 0
  for (let s = 0; s < 10; s++) for (let i = 0; i < 5; i++) if (l.allow(`198.51.100.${s}`, 0)) ok++
  assert.equal(ok, 30)
  assert.equal(l.allow('198.51.100.200', 199), false)
  assert.equal(l.allow('198.51.100.200', 200), true, '5 per second overall')
})

test('tracked sources stay bounded; idle ones are forgotten first', () => {
  const l = new HandshakeLimiter({ rate: 10, burst: 20 }, { rate: 1e9, burst: 1e9 }, 100)
  for (let i = 0; i < 1000; i++) l.allow(`10.0.${i >> 8}.${i & 255}`, i)
  assert.ok(l.size <= 100, `tracked ${l.size}`)
  for (let i = 0; i < 20; i++) l.allow('192.0.2.1', 2000)
  assert.equal(l.allow('192.0.2.1', 2000), false, 'a busy source keeps its (empty) bucket')
})
