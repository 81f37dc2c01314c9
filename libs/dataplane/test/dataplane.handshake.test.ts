import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createInitiation, generateX25519, localStatic, rawPrivateKey, tai64n } from '../src/noise/index.js'
import { decodeKey } from '../src/key-text.js'
import { ipv4Packet } from '../src/testing/index.js'
import { captureInitiations, metric, statusOf, threeNodes } from './mesh-helpers.js'

const STRANGER = { address: '198.51.100.9', port: 4444 }

test('mesh: with handshakeOnConfigure off, the first packet starts the handshake (on demand)', async () => {
  const mesh = threeNodes({ dataplane: { handshakeOnConfigure: false } })
  await mesh.step(10_000)
  assert.equal(statusOf(mesh, 'a', 'b').lastHandshakeAgeS, null)
  assert.equal(metric(mesh, 'a', 'vpcmesh_agent_handshakes_total', { result: 'initiated' }), undefined)
  mesh.node('a').engine.injectTun(ipv4Packet('10.1.0.5', '10.2.0.7'))
  await mesh.step(100)
  assert.equal(mesh.node('a').dataplane.drops().no_session, 1)
  assert.equal(metric(mesh, 'a', 'vpcmesh_agent_handshakes_total', { result: 'initiated' }), 1)
  assert.equal(metric(mesh, 'b', 'vpcmesh_agent_handshakes_total', { result: 'completed' }), 1)
  mesh.node('a').engine.injectTun(ipv4Packet('10.1.0.5', '10.2.0.7'))
  mesh.node('b').engine.injectTun(ipv4Packet('10.2.0.7', '10.1.0.5'))
  await mesh.step(100)
  assert.equal(mesh.node('b').engine.tunWrites.length, 1)
  assert.equal(mesh.node('a').engine.tunWrites.length, 1)
  assert.equal(statusOf(mesh, 'a', 'c').lastHandshakeAgeS, null, 'C was never needed')
  mesh.close()
})

test('mesh: simultaneous initiation completes on both sides and traffic flows both ways through rekeys', async () => {
  const mesh = threeNodes()
  await mesh.step(500)
  for (const n of ['a', 'b']) {
    assert.equal(metric(mesh, n, 'vpcmesh_agent_handshakes_total', { result: 'initiated' }), 2, n)
    assert.equal(
      metric(mesh, n, 'vpcmesh_agent_handshakes_total', { result: 'completed' }),
      4,
      `${n}: both roles with both peers`,
    )
  }
  let sent = 0
  for (let t = 0; t < 400_000; t += 1000) {
    mesh.node('a').engine.injectTun(ipv4Packet('10.1.0.5', '10.2.0.7'))
    mesh.node('b').engine.injectTun(ipv4Packet('10.2.0.7', '10.1.0.5'))
    sent++
    await mesh.step(1000, 250)
  }
  assert.equal(mesh.node('b').engine.tunWrites.length, sent)
  assert.equal(mesh.node('a').engine.tunWrites.length, sent)
  assert.ok((metric(mesh, 'a', 'vpcmesh_agent_rekeys_total') ?? 0) >= 3)
  assert.equal(mesh.node('a').dataplane.drops().no_session, 0)
  mesh.close()
})

test('mesh: a replayed initiation is rejected and leaves the sessions alone', async () => {
  const mesh = threeNodes({ start: false })
  const captured = captureInitiations(mesh, 'a', 'b')
  for (const n of mesh.nodes) n.dataplane.start()
  await mesh.step(1000)
  const first = captured[0]
  assert.ok(first !== undefined)
  const before = statusOf(mesh, 'b', 'a').lastHandshakeAgeS
  mesh.network.send(first, mesh.node('a').endpoint, mesh.node('b').endpoint)
  mesh.network.send(first, STRANGER, mesh.node('b').endpoint)
  await mesh.step(100)
  assert.equal(mesh.node('b').dataplane.drops().handshake_replay, 2)
  assert.equal(metric(mesh, 'b', 'vpcmesh_agent_handshakes_total', { result: 'rejected' }), 2)
  assert.equal(statusOf(mesh, 'b', 'a').lastHandshakeAgeS, (before ?? 0) + 0.1)
  assert.deepEqual(statusOf(mesh, 'b', 'a').endpoint, mesh.node('a').endpoint, 'a replay must not move the endpoint')
  mesh.close()
})

test('mesh: garbage, unknown keys, bad mac1 and unknown indices are dropped and counted', async () => {
  const mesh = threeNodes()
  await mesh.step(1000)
  const b = mesh.node('b')
  const send = (d: Uint8Array): void => {
    mesh.network.send(d, STRANGER, b.endpoint)
  }
  send(Uint8Array.of(7, 0, 0, 0, 1, 2, 3, 4, 5))
  send(new Uint8Array(140).fill(1, 0, 1))
  const bKey = decodeKey(b.keys.publicKey) ?? new Uint8Array(32)
  const stranger = createInitiation(
    localStatic(rawPrivateKey(generateX25519().privateKey)),
    bKey,
    9,
    tai64n(Date.now()),
  )
  assert.ok(stranger.ok)
  send(stranger.value.message)
  const data = new Uint8Array(64)
  data[0] = 4
  send(data)
  send(Uint8Array.of(2, 0, 0, 0))
  await mesh.step(100)
  const drops = b.dataplane.drops()
  assert.equal(drops.handshake_invalid, 3)
  assert.equal(drops.unknown_peer, 1)
  assert.equal(drops.unknown_index, 1)
  assert.equal(metric(mesh, 'b', 'vpcmesh_agent_drops_total', { reason: 'unknown_index' }), 1)
  assert.equal(statusOf(mesh, 'b', 'a').up, true, 'junk does not disturb the tunnels')
  mesh.close()
})
