// A map with a poisoned peer entry is applied without it, and the next change still applies
// (issue 8 item 2: one bad entry used to freeze every map update on every agent).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ipv4Packet } from '../src/testing/index.js'
import type { DataplaneConfig, PeerConfig } from '../src/index.js'
import { meshOf, statusOf, threeNodes } from './mesh-helpers.js'

/** `cfg` plus an entry that copies `victim`'s key under another id (an enrolled agent re-using a key). */
function withCopycat(cfg: DataplaneConfig, victim: PeerConfig): DataplaneConfig {
  return {
    ...cfg,
    peers: [
      ...cfg.peers,
      {
        id: 'id-evil',
        name: 'evil',
        publicKey: victim.publicKey,
        endpoint: { address: '192.0.2.66', port: 51820 },
        allowedPrefixes: ['10.66.0.0/16'],
      },
    ],
  }
}

test('reconfig: a map with one poisoned peer applies the others and lists the poisoned one', async () => {
  const mesh = threeNodes({ configure: false })
  const cfg = mesh.configFor('a')
  const lowOrder = {
    id: 'id-zero',
    name: 'zero',
    publicKey: Buffer.alloc(32).toString('base64'),
    endpoint: null,
    allowedPrefixes: ['10.77.0.0/16'],
  }
  const a = mesh.node('a')
  assert.equal(a.dataplane.reconfig({ ...cfg, peers: [lowOrder, ...cfg.peers] }), 'changed')
  for (const n of ['b', 'c']) mesh.node(n).dataplane.reconfig(mesh.configFor(n))
  assert.deepEqual(
    a.dataplane.status().map((s) => s.name),
    ['b', 'c'],
  )
  assert.deepEqual(
    a.dataplane.skippedPeers().map((s) => [s.peerId, s.name, s.code]),
    [['id-zero', 'zero', 'VPCMESH_ERR_DATAPLANE_INVALID_KEY']],
  )
  await mesh.step(1000)
  assert.equal(statusOf(mesh, 'a', 'b').up, true)
  a.engine.injectTun(ipv4Packet('10.1.0.5', '10.3.0.7'))
  await mesh.step(100)
  assert.equal(mesh.node('c').engine.tunWrites.length, 1)
  assert.equal(a.dataplane.reconfig(cfg), 'unchanged', 'the poisoned entry changed nothing applied')
  assert.deepEqual(a.dataplane.skippedPeers(), [])
  mesh.close()
})

test('reconfig: while a copied key is in the map, the next change (a new peer) still applies', async () => {
  const mesh = meshOf(
    [
      { name: 'a', prefixes: ['10.1.0.0/16'] },
      { name: 'b', prefixes: ['10.2.0.0/16'] },
      { name: 'c', prefixes: ['10.3.0.0/16'] },
      { name: 'd', prefixes: ['10.4.0.0/16'] },
    ],
    { configure: false },
  )
  const a = mesh.node('a')
  const full = mesh.configFor('a')
  const withoutD = { ...full, peers: full.peers.filter((p) => p.name !== 'd') }
  const b = mesh.peerConfig('b')
  // Version 1: A, B, C; then B's key is copied by "evil".
  for (const n of ['b', 'c', 'd']) mesh.node(n).dataplane.reconfig(mesh.configFor(n))
  a.dataplane.reconfig(withoutD)
  await mesh.step(1000)
  assert.equal(a.dataplane.reconfig(withCopycat(withoutD, b)), 'changed')
  assert.deepEqual(
    a.dataplane.status().map((s) => s.name),
    ['c'],
    'both holders of the key are left out',
  )
  assert.deepEqual(
    a.dataplane.skippedPeers().map((s) => s.name),
    ['b', 'evil'],
  )
  // Version 2: D joins, the copycat is still there. D must be applied.
  assert.equal(a.dataplane.reconfig(withCopycat(full, b)), 'changed')
  assert.deepEqual(
    a.dataplane.status().map((s) => s.name),
    ['c', 'd'],
  )
  await mesh.step(1000)
  assert.equal(statusOf(mesh, 'a', 'd').up, true)
  a.engine.injectTun(ipv4Packet('10.1.0.5', '10.4.0.9'))
  await mesh.step(100)
  assert.equal(mesh.node('d').engine.tunWrites.length, 1, 'traffic reaches the peer added while the map was poisoned')
  // Version 3: the copycat is gone: B is back.
  assert.equal(a.dataplane.reconfig(full), 'changed')
  assert.deepEqual(a.dataplane.skippedPeers(), [])
  assert.deepEqual(
    a.dataplane
      .status()
      .map((s) => s.name)
      .sort(),
    ['b', 'c', 'd'],
  )
  mesh.close()
})
