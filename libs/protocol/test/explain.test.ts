import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  ExplainRequest,
  ProbeOutcome,
  RelayedProbe,
  decodeAgentMessage,
  decodeControllerMessage,
  encodeMessage,
} from '../src/index.js'

const RESULT = {
  vpcId: 'vpc_0123456789ab',
  tun: { name: 'vpcmesh0', mtu: 1420 },
  table: 52,
  routes: [{ prefix: '10.2.0.0/24', dev: 'vpcmesh0', type: 'unicast' }],
  skippedRoutes: [],
  peers: [],
  nft: { table: true, comments: ['vpcmesh:mss-out:0123456789abcdef'], localSet: ['10.1.0.0/24'], foreignDrops: [] },
  forwarding: { ipv4: true, ipv6: null },
  dns: null,
  errors: [],
}

test('probe and probeResult round-trip, each only in its direction', () => {
  const probe = { type: 'probe' as const, id: 'p1', request: { routes: ['10.2.0.0/24'], peers: ['vpc_0123456789ab'] } }
  assert.deepEqual(decodeControllerMessage(encodeMessage(probe)), { ok: true, message: probe })
  assert.equal(decodeAgentMessage(encodeMessage(probe)).ok, false)
  const answer = { type: 'probeResult' as const, id: 'p1', result: RESULT }
  assert.deepEqual(decodeAgentMessage(encodeMessage(answer)), { ok: true, message: answer })
  const refused = { type: 'probeResult' as const, id: 'p1', result: null, error: 'agent busy' }
  assert.deepEqual(decodeAgentMessage(encodeMessage(refused)), { ok: true, message: refused })
})

test('probe requests are bounded and strict', () => {
  const many = Array.from({ length: 17 }, (_, i) => `10.${i}.0.0/24`)
  const frame = (request: object) => JSON.stringify({ type: 'probe', id: 'p', request })
  assert.equal(decodeControllerMessage(frame({ routes: many, peers: [] })).ok, false)
  assert.equal(decodeControllerMessage(frame({ routes: [], peers: [], shell: 'rm -rf /' })).ok, false)
  assert.equal(decodeControllerMessage(frame({ routes: [], peers: ['vpc_0123456789ab/x'] })).ok, false)
  assert.equal(decodeControllerMessage(frame({ routes: [], peers: [], resolve: 'a b' })).ok, false)
})

test('hello offers features; a hello without them still decodes (older agents)', () => {
  const hello = {
    type: 'hello',
    protocol: 1,
    agentVersion: '0.1.0',
    auth: { kind: 'join', token: 'vmj_0123456789abcdef' },
    publicKey: `${'A'.repeat(43)}=`,
    lastVersion: 0,
  }
  const withFeatures = decodeAgentMessage(JSON.stringify({ ...hello, features: ['probe'] }))
  assert.ok(withFeatures.ok && withFeatures.message.type === 'hello' && withFeatures.message.features?.[0] === 'probe')
  const without = decodeAgentMessage(JSON.stringify(hello))
  assert.ok(without.ok && without.message.type === 'hello' && without.message.features === undefined)
})

test('explain request, relayed probe and outcome schemas', () => {
  assert.ok(ExplainRequest.safeParse({ src: '10.1.0.5', dst: 'db.corp.internal', proto: 'tcp', port: 5432 }).success)
  assert.equal(ExplainRequest.safeParse({ src: '10.1.0.5', dst: '10.2.0.7', port: 0 }).success, false)
  assert.equal(ExplainRequest.safeParse({ src: '10.1.0.5', dst: '10.2.0.7', proto: 'sctp' }).success, false)
  assert.ok(RelayedProbe.safeParse({ id: 'x', agent: 'vpc_0123456789ab', request: { routes: [], peers: [] } }).success)
  assert.ok(ProbeOutcome.safeParse({ ok: true, result: RESULT }).success)
  assert.ok(ProbeOutcome.safeParse({ ok: false, reason: 'agent not connected' }).success)
  assert.equal(ProbeOutcome.safeParse({ ok: true, reason: 'x' }).success, false)
})
