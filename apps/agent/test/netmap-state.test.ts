import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { MeshNode } from '@vpcmesh/protocol'
import { applyUpdate } from '../src/control/netmap-state.js'

const node = (n: number, endpoint = `192.0.2.${n}:1`): MeshNode => ({
  id: `vpc_00000000000${n}`,
  name: `v${n}`,
  cidrs: [`10.${n}.0.0/16`],
  routes: [],
  endpoint,
  publicKey: null,
  masquerade: true,
})

test('a snapshot replaces the map; deltas upsert and remove in order', () => {
  const s = applyUpdate(undefined, { type: 'snapshot', version: 3, self: node(1), peers: [node(3), node(2)] }, 'e1')
  assert.deepEqual(
    s?.peers.map((p) => p.id),
    ['vpc_000000000002', 'vpc_000000000003'],
  )
  assert.equal(s?.epoch, 'e1')
  const d = applyUpdate(
    s,
    {
      type: 'delta',
      fromVersion: 3,
      version: 5,
      upsert: [node(2, '192.0.2.99:1'), node(4)],
      remove: ['vpc_000000000003'],
    },
    'e1',
  )
  assert.deepEqual(
    d?.peers.map((p) => [p.id, p.endpoint]),
    [
      ['vpc_000000000002', '192.0.2.99:1'],
      ['vpc_000000000004', '192.0.2.4:1'],
    ],
  )
  assert.equal(d?.version, 5)
})

test('a delta that does not follow the held version or epoch is refused', () => {
  const s = applyUpdate(undefined, { type: 'snapshot', version: 3, self: node(1), peers: [] }, 'e1')
  assert.equal(applyUpdate(s, { type: 'delta', fromVersion: 2, version: 4, upsert: [], remove: [] }, 'e1'), undefined)
  assert.equal(applyUpdate(s, { type: 'delta', fromVersion: 3, version: 4, upsert: [], remove: [] }, 'e2'), undefined)
  assert.equal(
    applyUpdate(undefined, { type: 'delta', fromVersion: 0, version: 1, upsert: [], remove: [] }, 'e1'),
    undefined,
  )
})
