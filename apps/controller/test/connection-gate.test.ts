import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConnectionGate } from '../src/session/connection-gate.js'

test('ConnectionGate: per-address and total limits, slots come back on release, 0 disables', () => {
  const g = new ConnectionGate({ perAddress: 2, total: 3 })
  assert.equal(g.admit('a'), undefined)
  assert.equal(g.admit('a'), undefined)
  assert.equal(g.check('a'), 'address_limit')
  assert.equal(g.admit('a'), 'address_limit')
  assert.equal(g.admit('b'), undefined)
  assert.equal(g.admit('c'), 'total_limit', 'the total limit is checked first')
  assert.equal(g.pending, 3)
  g.release('a')
  assert.equal(g.admit('c'), undefined)
  for (const x of ['a', 'b', 'c']) g.release(x)
  assert.equal(g.pending, 0)
  g.release('nobody')
  assert.equal(g.pending, 0, 'releasing an address without slots changes nothing')
  const open = new ConnectionGate({ perAddress: 0, total: 0 })
  for (let i = 0; i < 100; i++) assert.equal(open.admit('a'), undefined)
})
