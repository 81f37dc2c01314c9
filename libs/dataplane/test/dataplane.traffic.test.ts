import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ipv4Packet, ipv6Packet, seqOf, seqPayload } from '../src/testing/index.js'
import { metric, statusOf, threeNodes } from './mesh-helpers.js'

test('mesh: proactive handshakes bring every tunnel up before any traffic', async () => {
  const mesh = threeNodes()
  await mesh.step(1000)
  for (const n of ['a', 'b', 'c']) {
    for (const p of n === 'a' ? ['b', 'c'] : n === 'b' ? ['a', 'c'] : ['a', 'b']) {
      const s = statusOf(mesh, n, p)
      assert.equal(s.up, true, `${n} → ${p}`)
      assert.notEqual(s.lastHandshakeAgeS, null)
      assert.equal(metric(mesh, n, 'vpcmesh_agent_peer_up', { peer: p }), 1)
    }
  }
  assert.equal(mesh.node('a').engine.tunWrites.length, 0)
  mesh.close()
})

test('mesh: IPv4 and IPv6 packets reach the right TUN in both directions, never another', async () => {
  const mesh = threeNodes()
  await mesh.step(1000)
  mesh.node('a').engine.injectTun(ipv4Packet('10.1.0.5', '10.2.0.7', seqPayload(1)))
  mesh.node('a').engine.injectTun(ipv6Packet('fd00:a::5', 'fd00:b::7'))
  mesh.node('b').engine.injectTun(ipv4Packet('10.2.0.7', '10.1.0.5', seqPayload(2)))
  mesh.node('c').engine.injectTun(ipv4Packet('172.16.3.1', '10.1.9.9', seqPayload(3)))
  await mesh.step(100)
  const b = mesh.node('b').engine.tunWrites
  const a = mesh.node('a').engine.tunWrites
  assert.equal(b.length, 2)
  assert.equal(seqOf(b[0] ?? new Uint8Array(24)), 1)
  assert.equal(b[1]?.[0], 0x60)
  assert.deepEqual(a.map(seqOf).sort(), [2, 3])
  assert.equal(mesh.node('c').engine.tunWrites.length, 0)
  assert.ok(statusOf(mesh, 'a', 'b').txPackets > 0 && statusOf(mesh, 'b', 'a').rxPackets > 0)
  assert.ok((metric(mesh, 'a', 'vpcmesh_agent_peer_bytes_total', { peer: 'b', direction: 'tx' }) ?? 0) > 0)
  mesh.close()
})

test('mesh: unrouted and malformed TUN packets are dropped and counted by reason', async () => {
  const mesh = threeNodes()
  await mesh.step(1000)
  const a = mesh.node('a')
  a.engine.injectTun(ipv4Packet('10.1.0.5', '192.168.77.1'))
  a.engine.injectTun(ipv6Packet('fd00:a::5', 'fd00:ffff::1'))
  a.engine.injectTun(Uint8Array.of(0x45, 0, 0))
  a.engine.injectTun(Uint8Array.of(0x20, 1, 2, 3))
  await mesh.step(100)
  const drops = a.dataplane.drops()
  assert.equal(drops.no_route, 2)
  assert.equal(drops.malformed, 2)
  assert.equal(metric(mesh, 'a', 'vpcmesh_agent_drops_total', { reason: 'no_route' }), 2)
  assert.equal(mesh.node('b').engine.tunWrites.length + mesh.node('c').engine.tunWrites.length, 0)
  mesh.close()
})

test("mesh: a packet whose inner source is outside the sender's prefixes is dropped as spoofed", async () => {
  const mesh = threeNodes()
  await mesh.step(1000)
  const b = mesh.node('b')
  b.engine.injectTun(ipv4Packet('10.3.0.9', '10.1.0.5'))
  b.engine.injectTun(ipv4Packet('10.99.0.1', '10.1.0.5'))
  b.engine.injectTun(ipv6Packet('fd00:a::1', 'fd00:a::2'))
  b.engine.injectTun(ipv4Packet('10.2.0.9', '10.1.0.5'))
  await mesh.step(100)
  const a = mesh.node('a')
  assert.equal(a.dataplane.drops().spoofed_source, 3)
  assert.equal(a.engine.tunWrites.length, 1)
  assert.equal(metric(mesh, 'a', 'vpcmesh_agent_drops_total', { reason: 'spoofed_source' }), 3)
  mesh.close()
})

test("mesh: peers of one group (the gateways of one VPC) may send from each other's prefixes; others may not", async () => {
  const mesh = threeNodes()
  await mesh.step(1000)
  const a = mesh.node('a')
  // b and c as two gateways of one VPC at a: b is standby (no prefixes), c routes the VPC.
  const grouped = {
    ...mesh.configFor('a'),
    peers: [
      { ...mesh.peerConfig('b'), allowedPrefixes: [], group: 'vpc' },
      { ...mesh.peerConfig('c'), allowedPrefixes: ['10.2.0.0/16', '10.3.0.0/16'], group: 'vpc' },
    ],
  }
  a.dataplane.reconfig(grouped)
  await mesh.step(100)
  mesh.node('b').engine.injectTun(ipv4Packet('10.3.0.9', '10.1.0.5'))
  await mesh.step(100)
  assert.equal(a.engine.tunWrites.length, 1, 'the standby gateway of the group is accepted')
  assert.equal(a.dataplane.drops().spoofed_source, 0)
  a.dataplane.reconfig({ ...grouped, peers: grouped.peers.map((p, i) => ({ ...p, group: `g${i}` })) })
  await mesh.step(100)
  mesh.node('b').engine.injectTun(ipv4Packet('10.3.0.9', '10.1.0.5'))
  await mesh.step(100)
  assert.equal(a.engine.tunWrites.length, 1, 'another group is not')
  assert.equal(a.dataplane.drops().spoofed_source, 1)
  mesh.close()
})

test('mesh: traffic to a peer without a session is dropped and counted, never queued', async () => {
  const mesh = threeNodes({ start: false })
  mesh.node('a').dataplane.start()
  mesh.network.dropIf = (_d, _from, to) => to.address === '192.0.2.2'
  await mesh.step(1000)
  for (let i = 0; i < 50; i++) mesh.node('a').engine.injectTun(ipv4Packet('10.1.0.5', '10.2.0.7'))
  await mesh.step(100)
  assert.equal(mesh.node('a').dataplane.drops().no_session, 50)
  assert.equal(statusOf(mesh, 'a', 'b').up, false)
  mesh.close()
})
