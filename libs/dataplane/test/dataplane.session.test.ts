import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ipv4Packet, seqOf, seqPayload } from '../src/testing/index.js'
import { metric, statusOf, threeNodes } from './mesh-helpers.js'

/** Sends one numbered packet A→B per 50 ms for `ms`, returning how many were sent. */
async function stream(mesh: ReturnType<typeof threeNodes>, ms: number, from = 0): Promise<number> {
  let seq = from
  for (let t = 0; t < ms; t += 50) {
    mesh.node('a').engine.injectTun(ipv4Packet('10.1.0.5', '10.2.0.7', seqPayload(seq++)))
    await mesh.step(50)
  }
  return seq
}

test('mesh: rekey after REKEY_AFTER_MS loses no packet sent continuously across it', async () => {
  const mesh = threeNodes()
  await mesh.step(1000)
  const sent = await stream(mesh, 200_000)
  await mesh.step(100)
  const got = mesh.node('b').engine.tunWrites.map(seqOf)
  assert.equal(got.length, sent)
  assert.deepEqual(
    got,
    Array.from({ length: sent }, (_, i) => i),
  )
  assert.ok((metric(mesh, 'a', 'vpcmesh_agent_rekeys_total') ?? 0) >= 2)
  assert.ok((statusOf(mesh, 'a', 'b').lastHandshakeAgeS ?? 999) < 120)
  const drops = mesh.node('b').dataplane.drops()
  assert.equal(drops.unknown_index + drops.replay + drops.auth_failure, 0)
  mesh.close()
})

test('mesh: rekey when the send counter passes rekeyAfterMessages, without loss', async () => {
  const mesh = threeNodes({ dataplane: { rekeyAfterMessages: 100 } })
  await mesh.step(1000)
  const before = metric(mesh, 'a', 'vpcmesh_agent_rekeys_total') ?? 0
  const sent = await stream(mesh, 30_000)
  await mesh.step(100)
  assert.equal(mesh.node('b').engine.tunWrites.length, sent)
  assert.ok((metric(mesh, 'a', 'vpcmesh_agent_rekeys_total') ?? 0) >= before + 3, 'about one rekey per 100 messages')
  mesh.close()
})

test('mesh: sessions older than REJECT_AFTER_MS are cleared when no rekey succeeds', async () => {
  const mesh = threeNodes()
  await mesh.step(1000)
  mesh.network.dropIf = (_d, from, to) =>
    (from.address === '192.0.2.1' && to.address === '192.0.2.2') ||
    (from.address === '192.0.2.2' && to.address === '192.0.2.1')
  await mesh.step(181_000, 500)
  mesh.node('a').engine.injectTun(ipv4Packet('10.1.0.5', '10.2.0.7'))
  await mesh.step(100)
  assert.equal(mesh.node('a').dataplane.drops().no_session, 1)
  mesh.network.dropIf = undefined
  await mesh.step(8000)
  assert.equal(statusOf(mesh, 'a', 'b').up, true, 'retries bring it back once the link returns')
  mesh.close()
})

test('mesh: a peer is down after 3 keepalive intervals of silence, and up again when it returns', async () => {
  const mesh = threeNodes({ dataplane: { keepaliveMs: 1000 } })
  await mesh.step(1000)
  assert.equal(statusOf(mesh, 'a', 'c').up, true)
  assert.ok(statusOf(mesh, 'a', 'c').rttMs !== null)
  mesh.network.dropIf = (_d, from, to) => from.address === '192.0.2.3' || to.address === '192.0.2.3'
  await mesh.step(1500)
  assert.equal(statusOf(mesh, 'a', 'c').up, true, 'not yet: 3 intervals have not passed since the last message')
  await mesh.step(2000)
  assert.equal(statusOf(mesh, 'a', 'c').up, false)
  assert.equal(metric(mesh, 'a', 'vpcmesh_agent_peer_up', { peer: 'c' }), 0)
  assert.equal(statusOf(mesh, 'a', 'b').up, true)
  const tx = statusOf(mesh, 'a', 'c').txPackets
  for (let i = 0; i < 10; i++) mesh.node('a').engine.injectTun(ipv4Packet('10.1.0.5', '10.3.0.7'))
  await mesh.step(100)
  assert.ok(statusOf(mesh, 'a', 'c').txPackets >= tx + 10, 'traffic to a down peer is still sealed, not queued')
  mesh.network.dropIf = undefined
  await mesh.step(8000)
  assert.equal(statusOf(mesh, 'a', 'c').up, true)
  assert.equal(metric(mesh, 'a', 'vpcmesh_agent_peer_up', { peer: 'c' }), 1)
  mesh.close()
})

test("mesh: an authenticated packet from a new address moves the peer's endpoint (roaming)", async () => {
  const mesh = threeNodes()
  await mesh.step(1000)
  const nat = { address: '203.0.113.7', port: 40000 }
  const a = mesh.node('a')
  const send = mesh.network.send.bind(mesh.network)
  mesh.network.attach(nat, a.engine)
  mesh.network.send = (d, from, to) => send(d, from.address === a.endpoint.address ? nat : from, to)
  mesh.network.dropIf = (_d, _from, to) => to.address === a.endpoint.address
  a.engine.injectTun(ipv4Packet('10.1.0.5', '10.2.0.7', seqPayload(1)))
  await mesh.step(100)
  assert.deepEqual(statusOf(mesh, 'b', 'a').endpoint, nat)
  mesh.node('b').engine.injectTun(ipv4Packet('10.2.0.7', '10.1.0.5', seqPayload(2)))
  await mesh.step(100)
  assert.deepEqual(a.engine.tunWrites.map(seqOf), [2])
  await mesh.step(10_000)
  assert.equal(statusOf(mesh, 'b', 'a').up, true)
  assert.equal(statusOf(mesh, 'a', 'b').up, true)
  mesh.close()
})
