import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FakeClock } from '@vpcmesh/common/testing'
import { isCode, noopLogger } from '@vpcmesh/common'
import { MemoryMetrics } from '@vpcmesh/metrics/testing'
import { MemoryPacketEngine, ChannelNetwork } from '@vpcmesh/tun/testing'
import { createDataplane, generateKeyPair, METRICS } from '../src/index.js'
import { ipv4Packet } from '../src/testing/index.js'
import { metric, statusOf, threeNodes } from './mesh-helpers.js'

/** Counts calls to the engine's session methods of `engine`. */
function spySessions(engine: MemoryPacketEngine): Record<'set' | 'setEndpoint' | 'clear', number> {
  const calls = { set: 0, setEndpoint: 0, clear: 0 }
  const s = engine.sessions as unknown as Record<string, (...a: unknown[]) => unknown>
  for (const k of ['set', 'setEndpoint', 'clear'] as const) {
    const orig = s[k]?.bind(s)
    s[k] = (...a: unknown[]) => {
      calls[k]++
      return orig?.(...a)
    }
  }
  return calls
}

test('reconfig: the same config again is unchanged and touches nothing', async () => {
  const mesh = threeNodes()
  await mesh.step(1000)
  const a = mesh.node('a')
  const calls = spySessions(a.engine)
  const before = a.dataplane.status()
  const cfg = mesh.configFor('a')
  cfg.peers.reverse()
  cfg.peers[0]?.allowedPrefixes.reverse()
  assert.equal(a.dataplane.reconfig(cfg), 'unchanged')
  assert.equal(a.dataplane.reconfig(mesh.configFor('a')), 'unchanged')
  assert.deepEqual(calls, { set: 0, setEndpoint: 0, clear: 0 })
  assert.deepEqual(a.dataplane.status(), before)
  mesh.close()
})

test('reconfig: removing a peer clears its slots, routes and series; the others keep running', async () => {
  const mesh = threeNodes()
  await mesh.step(1000)
  const a = mesh.node('a')
  const calls = spySessions(a.engine)
  const cfg = mesh.configFor('a')
  assert.equal(a.dataplane.reconfig({ ...cfg, peers: cfg.peers.filter((p) => p.name !== 'c') }), 'changed')
  assert.ok(calls.clear >= 1 && calls.clear <= 3)
  assert.equal(calls.set, 0)
  assert.deepEqual(
    a.dataplane.status().map((s) => s.name),
    ['b'],
  )
  assert.equal(metric(mesh, 'a', 'vpcmesh_agent_peer_up', { peer: 'c' }), undefined)
  a.engine.injectTun(ipv4Packet('10.1.0.5', '10.3.0.7'))
  a.engine.injectTun(ipv4Packet('10.1.0.5', '10.2.0.7'))
  mesh.node('c').engine.injectTun(ipv4Packet('10.3.0.7', '10.1.0.5'))
  await mesh.step(100)
  assert.equal(a.dataplane.drops().no_route, 1)
  assert.equal(mesh.node('b').engine.tunWrites.length, 1)
  assert.equal(a.engine.tunWrites.length, 0, "C's old session no longer exists at A")
  assert.ok(a.dataplane.drops().unknown_index >= 1)
  mesh.close()
})

test('reconfig: moving a prefix and changing a key or endpoint touch only that peer', async () => {
  const mesh = threeNodes()
  await mesh.step(1000)
  const a = mesh.node('a')
  const cfg = mesh.configFor('a')
  const b = cfg.peers.find((p) => p.name === 'b')
  const c = cfg.peers.find((p) => p.name === 'c')
  assert.ok(b !== undefined && c !== undefined)
  c.allowedPrefixes = ['10.3.0.0/16']
  b.allowedPrefixes = [...b.allowedPrefixes, '172.16.3.0/24']
  assert.equal(a.dataplane.reconfig(cfg), 'changed')
  a.engine.injectTun(ipv4Packet('10.1.0.5', '172.16.3.9'))
  await mesh.step(100)
  assert.equal(mesh.node('b').engine.tunWrites.length, 1, 'the moved prefix now routes to B')
  const calls = spySessions(a.engine)
  const ageC = statusOf(mesh, 'a', 'c').lastHandshakeAgeS
  b.publicKey = generateKeyPair().publicKey
  assert.equal(a.dataplane.reconfig(cfg), 'changed')
  assert.equal(statusOf(mesh, 'a', 'b').lastHandshakeAgeS, null, "a key change drops that peer's sessions")
  assert.equal(statusOf(mesh, 'a', 'c').lastHandshakeAgeS, ageC)
  assert.ok(calls.clear >= 1 && calls.clear <= 3)
  c.endpoint = { address: '192.0.2.99', port: 51820 }
  assert.equal(a.dataplane.reconfig(cfg), 'changed')
  assert.deepEqual(statusOf(mesh, 'a', 'c').endpoint, c.endpoint)
  mesh.close()
})

test('reconfig: a bad private key throws and applies nothing; bad peers are skipped, not fatal', async () => {
  const mesh = threeNodes()
  await mesh.step(1000)
  const a = mesh.node('a')
  const cfg = mesh.configFor('a')
  assert.throws(
    () => a.dataplane.reconfig({ ...cfg, privateKey: 'bad', peers: [] }),
    (e) => isCode(e, 'VPCMESH_ERR_DATAPLANE_INVALID_KEY'),
  )
  assert.deepEqual(
    a.dataplane.status().map((s) => s.name),
    ['b', 'c'],
  )
  const bad = {
    ...cfg,
    peers: [
      ...cfg.peers,
      { id: 'x', name: 'x', publicKey: 'bad', endpoint: null, allowedPrefixes: ['10.2.1.0/24', 'nope'] },
    ],
  }
  assert.equal(a.dataplane.reconfig(bad), 'unchanged')
  assert.deepEqual(
    a.dataplane.skippedPeers().map((s) => s.code),
    ['VPCMESH_ERR_DATAPLANE_INVALID_KEY'],
  )
  assert.deepEqual(
    a.dataplane.status().map((s) => s.name),
    ['b', 'c'],
  )
  mesh.close()
  assert.throws(
    () => a.dataplane.reconfig(cfg),
    (e) => isCode(e, 'VPCMESH_ERR_DATAPLANE_CLOSED'),
  )
  assert.throws(
    () => a.dataplane.start(),
    (e) => isCode(e, 'VPCMESH_ERR_DATAPLANE_CLOSED'),
  )
})

test('metrics: METRICS lists exactly what a data plane registers', () => {
  const metrics = new MemoryMetrics()
  const engine = new MemoryPacketEngine(new ChannelNetwork(), { endpoint: { address: '192.0.2.1', port: 1 } })
  const dp = createDataplane({ engine, clock: new FakeClock(), logger: noopLogger, metrics })
  assert.deepEqual(metrics.names(), METRICS.map((m) => m.name).sort())
  for (const m of METRICS) {
    assert.match(m.name, /^vpcmesh_agent_[a-z_]+$/)
    assert.equal(m.name.endsWith('_total'), m.type === 'counter', m.name)
  }
  dp.start()
  assert.throws(
    () => {
      dp.start()
    },
    (e) => isCode(e, 'VPCMESH_ERR_DATAPLANE_ALREADY_STARTED'),
  )
  dp.close()
  dp.close()
})

test('options: out-of-range options are refused', () => {
  const engine = new MemoryPacketEngine(new ChannelNetwork(), { endpoint: { address: '192.0.2.1', port: 1 } })
  const components = { engine, clock: new FakeClock(), logger: noopLogger }
  assert.throws(
    () => createDataplane(components, { keepaliveMs: 0 }),
    (e) => isCode(e, 'VPCMESH_ERR_DATAPLANE_INVALID_CONFIG'),
  )
  assert.throws(
    () => createDataplane(components, { rekeyAfterMs: 200_000 }),
    (e) => isCode(e, 'VPCMESH_ERR_DATAPLANE_INVALID_CONFIG'),
  )
})
