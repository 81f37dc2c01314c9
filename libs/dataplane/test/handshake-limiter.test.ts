import { test } from 'node:test'
import assert from 'node:assert/strict'
import { HandshakeLimiter } from '../src/handshake-limiter.js'
import { sourceKey } from '../src/source-address.js'

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

test('the global meter says "under load" below half its burst, and recovers at its rate', () => {
  const l = new HandshakeLimiter({ rate: 10, burst: 20 }, { rate: 5, burst: 30 })
  const loaded: boolean[] = []
  for (let i = 0; i < 20; i++) loaded.push(l.meter(0))
  assert.equal(loaded.indexOf(true), 15, '30 - 16 = 14 < 15 tokens: the 16th initiation is under load')
  assert.equal(l.meter(0), true, '9 tokens left')
  assert.equal(l.meter(400), true, '9 + 2 - 1 = 10 tokens')
  assert.equal(l.meter(2000), false, '10 + 8 - 1 = 17 tokens')
})

test('IPv6 sources share a bucket per /64; IPv4 and IPv4-mapped share one per address', () => {
  const l = new HandshakeLimiter({ rate: 10, burst: 20 }, { rate: 1e9, burst: 1e9 })
  let ok = 0
  for (let i = 0; i < 40; i++) if (l.allow(`2001:db8:1:2::${(i + 1).toString(16)}`, 0)) ok++
  assert.equal(ok, 20, 'one /64: one burst, however many addresses')
  assert.equal(l.allow('2001:db8:1:3::1', 0), true, 'the next /64 is another source')
  assert.equal(sourceKey('2001:db8:1:2:aaaa::1'), sourceKey('2001:db8:1:2:ffff:ffff:ffff:ffff'))
  assert.notEqual(sourceKey('2001:db8:1:2::1'), sourceKey('2001:db8:1:3::1'))
  assert.equal(sourceKey('::ffff:192.0.2.7'), sourceKey('192.0.2.7'))
  assert.notEqual(sourceKey('192.0.2.7'), sourceKey('192.0.2.8'))
  assert.equal(l.size, 2)
})

test('tracked sources stay bounded; idle ones are forgotten first', () => {
  const l = new HandshakeLimiter({ rate: 10, burst: 20 }, { rate: 1e9, burst: 1e9 }, 100)
  for (let i = 0; i < 1000; i++) l.allow(`10.0.${i >> 8}.${i & 255}`, i)
  assert.ok(l.size <= 100, `tracked ${l.size}`)
  for (let i = 0; i < 20; i++) l.allow('192.0.2.1', 2000)
  assert.equal(l.allow('192.0.2.1', 2000), false, 'a busy source keeps its (empty) bucket')
})
