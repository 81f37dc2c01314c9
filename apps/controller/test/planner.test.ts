import { test } from 'node:test'
import assert from 'node:assert/strict'
import { planUpdate, planSnapshot } from '../src/mesh/planner.js'
import type { RegistrySnapshot, VpcRecord, Change } from '../src/state/store.js'

function vpc(n: number, version: number): VpcRecord {
  return {
    id: `vpc_00000000000${n}`,
    name: `v${n}`,
    cidrs: [`10.${n}.0.0/16`],
    routes: [],
    endpoint: `192.0.2.${n}:51820`,
    masquerade: true,
    publicKey: null,
    createdAt: n,
    updatedAt: n,
    version,
  }
}
const snap: RegistrySnapshot = { version: 9, vpcs: [1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => vpc(n, n)) }
const changes: Change[] = [
  { version: 7, id: 'vpc_000000000007', kind: 'upsert' },
  { version: 8, id: 'vpc_000000000008', kind: 'upsert' },
  { version: 9, id: 'vpc_00000000000a', kind: 'remove' },
]

test('snapshot lists every other VPC as a peer', () => {
  const u = planSnapshot('vpc_000000000001', snap)
  assert.equal(u.type, 'snapshot')
  if (u.type !== 'snapshot') return
  assert.equal(u.version, 9)
  assert.equal(u.self.name, 'v1')
  assert.deepEqual(
    u.peers.map((p) => p.name),
    ['v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8', 'v9'],
  )
})

test('delta carries each VPC changed after the agent version once, and removals', () => {
  const u = planUpdate('vpc_000000000001', 6, snap, changes)
  assert.deepEqual(u, {
    type: 'delta',
    fromVersion: 6,
    version: 9,
    upsert: [vpc(7, 7), vpc(8, 8)].map((r) => ({
      id: r.id,
      name: r.name,
      cidrs: r.cidrs,
      routes: [],
      endpoint: r.endpoint,
      publicKey: null,
      masquerade: true,
    })),
    remove: ['vpc_00000000000a'],
  })
  const later = planUpdate('vpc_000000000001', 8, snap, changes)
  assert.deepEqual(later.type === 'delta' && [later.upsert.length, later.remove], [0, ['vpc_00000000000a']])
})

test('snapshot when the log does not reach back, the agent has nothing, or is ahead', () => {
  assert.equal(planUpdate('vpc_000000000001', 3, snap, undefined).type, 'snapshot')
  assert.equal(planUpdate('vpc_000000000001', 0, snap, changes).type, 'snapshot')
  assert.equal(planUpdate('vpc_000000000001', 12, snap, changes).type, 'snapshot')
})

test('own change comes as self; own removal as removed', () => {
  const u = planUpdate('vpc_000000000008', 7, snap, changes)
  assert.equal(u.type === 'delta' && u.self?.name, 'v8')
  assert.deepEqual(planUpdate('vpc_00000000000a', 8, snap, changes), { type: 'removed' })
})
