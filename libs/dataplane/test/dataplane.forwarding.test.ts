// The data plane on forwarding engines (MemoryPacketEngine with workers: 1), where the
// engine routes and checks sources from uploaded tables and JS sees only what needs a decision.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ipv4Packet, ipv6Packet } from '../src/testing/index.js'
import { metric, statusOf, threeNodes, typeOf } from './mesh-helpers.js'

const FORWARDING = { workers: 1 }

for (const workers of [0, 1]) {
  test(`spoofed sources are refused and counted once as spoofed_source; a group member is accepted (workers ${workers})`, async () => {
    const mesh = threeNodes({ workers })
    await mesh.step(1000)
    const a = mesh.node('a')
    const grouped = mesh.configFor('a')
    for (const p of grouped.peers) p.group = 'vpc'
    a.dataplane.reconfig(grouped)
    await mesh.step(100)
    const b = mesh.node('b')
    b.engine.injectTun(ipv4Packet('10.3.0.9', '10.1.0.5')) // c's prefix, c in b's group: accepted
    b.engine.injectTun(ipv4Packet('10.1.0.9', '10.1.0.5')) // a's own prefix: spoofed
    b.engine.injectTun(ipv4Packet('10.99.0.1', '10.1.0.5')) // nobody's: spoofed
    await mesh.step(100)
    assert.equal(a.engine.tunWrites.length, 1)
    assert.equal(a.dataplane.drops().spoofed_source, 2)
    assert.equal(metric(mesh, 'a', 'vpcmesh_agent_drops_total', { reason: 'spoofed_source' }), 2)
    const slot = a.engine.stats.slot(0).rxDropRejected + a.engine.stats.slot(1).rxDropRejected
    assert.ok(slot <= 2, 'the engine counted the same two drops (in inline mode too), never added twice')
    mesh.close()
  })
}

test('forwarding: onTunBatch is never called; traffic to a peer without a session demands one handshake', async () => {
  const mesh = threeNodes({ ...FORWARDING, dataplane: { handshakeOnConfigure: false } })
  await mesh.step(10_000)
  const a = mesh.node('a')
  assert.equal(metric(mesh, 'a', 'vpcmesh_agent_handshakes_total', { result: 'initiated' }), undefined)
  for (let i = 0; i < 5; i++) a.engine.injectTun(ipv4Packet('10.1.0.5', '10.2.0.7'))
  await mesh.step(100)
  assert.equal(metric(mesh, 'a', 'vpcmesh_agent_handshakes_total', { result: 'initiated' }), 1)
  assert.equal(metric(mesh, 'b', 'vpcmesh_agent_handshakes_total', { result: 'completed' }), 1)
  assert.equal(a.dataplane.drops().no_session, 5)
  a.engine.injectTun(ipv4Packet('10.1.0.5', '10.2.0.7'))
  await mesh.step(100)
  assert.equal(mesh.node('b').engine.tunWrites.length, 1)
  assert.equal(a.engine.stats.global().tunBatches, 0)
  assert.equal(statusOf(mesh, 'a', 'c').lastHandshakeAgeS, null, 'C was never needed')
  mesh.close()
})

test('forwarding: a reconfig that removes a peer or a prefix stops forwarding to it', async () => {
  const mesh = threeNodes(FORWARDING)
  await mesh.step(1000)
  const a = mesh.node('a')
  const cfg = mesh.configFor('a')
  const peers = cfg.peers.filter((p) => p.name !== 'c').map((p) => ({ ...p, allowedPrefixes: ['10.2.0.0/16'] }))
  assert.equal(a.dataplane.reconfig({ ...cfg, peers }), 'changed')
  a.engine.injectTun(ipv4Packet('10.1.0.5', '10.3.0.7'))
  a.engine.injectTun(ipv4Packet('10.1.0.5', '172.16.3.1'))
  a.engine.injectTun(ipv4Packet('10.1.0.5', '10.2.0.7'))
  await mesh.step(100)
  assert.equal(a.dataplane.drops().no_route, 2)
  assert.equal(mesh.node('c').engine.tunWrites.length, 0)
  assert.equal(mesh.node('b').engine.tunWrites.length, 1, 'the other peer still gets its traffic')
  mesh.node('b').engine.injectTun(ipv6Packet('fd00:b::1', 'fd00:a::1'))
  await mesh.step(100)
  assert.equal(a.engine.tunWrites.length, 0, "b's removed IPv6 prefix is no longer a source it may use")
  assert.equal(a.dataplane.drops().spoofed_source, 1)
  mesh.close()
})

test('forwarding: a Notice confirms the session, refreshes liveness and moves the endpoint (roaming)', async () => {
  const mesh = threeNodes({ ...FORWARDING, dataplane: { handshakeOnConfigure: false } })
  const [a, b] = [mesh.node('a'), mesh.node('b')]
  const nat = { address: '203.0.113.7', port: 40000 }
  const fromA = [a.endpoint.address, nat.address]
  // Of A's data messages only IP packets (60 bytes here) reach B: no keepalive, ping or pong. B's initiations are lost.
  mesh.network.dropIf = (d, from, to) =>
    (fromA.includes(from.address) && to.address === b.endpoint.address && typeOf(d) === 4 && d.length < 60) ||
    (from.address === b.endpoint.address && to.address === a.endpoint.address && typeOf(d) === 1)
  a.engine.injectTun(ipv4Packet('10.1.0.5', '10.2.0.7'))
  await mesh.step(1000)
  assert.notEqual(statusOf(mesh, 'b', 'a').lastHandshakeAgeS, null)
  assert.equal(statusOf(mesh, 'b', 'a').up, false, 'the responder heard nothing on its session yet')
  b.engine.injectTun(ipv4Packet('10.2.0.7', '10.1.0.5'))
  await mesh.step(100)
  assert.equal(b.dataplane.drops().no_session, 1, 'an unconfirmed responder session does not send')
  const send = mesh.network.send.bind(mesh.network)
  mesh.network.attach(nat, a.engine)
  mesh.network.send = (d, from, to) => send(d, from.address === a.endpoint.address ? nat : from, to)
  a.engine.injectTun(ipv4Packet('10.1.0.5', '10.2.0.7'))
  await mesh.step(300)
  assert.equal(b.engine.tunWrites.length, 1)
  assert.deepEqual(statusOf(mesh, 'b', 'a').endpoint, nat)
  assert.equal(statusOf(mesh, 'b', 'a').up, true)
  b.engine.injectTun(ipv4Packet('10.2.0.7', '10.1.0.5'))
  await mesh.step(100)
  assert.equal(a.engine.tunWrites.length, 1, 'confirmed by the Notice, B sends to the new endpoint')
  assert.equal(b.dataplane.drops().no_session, 1)
  mesh.close()
})
