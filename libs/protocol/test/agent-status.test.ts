import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AgentStatusDocument } from '../src/agent-status.js'

/** An agent's /status after a successful apply, as apps/agent/src/runtime/agent-runtime.ts builds it. */
function applied(): Record<string, unknown> {
  return {
    vpc: 'aws-prod',
    vpcId: 'vpc_0123456789ab',
    appliedVersion: 7,
    controller: { state: 'connected', url: 'http://10.0.0.5:7700', lastError: null },
    tun: { name: 'vpcmesh0', mtu: 1420 },
    lastReconcileError: null,
    host: {
      table: 51820,
      routes: [{ prefix: '10.2.0.0/24', dev: 'vpcmesh0' }],
      throws: ['10.2.0.0/28'],
      skippedRoutes: [{ prefix: '10.9.0.0/16', reason: 'operator', detail: 'main has 10.9.0.0/16 dev eth1' }],
      nftables: true,
      warnings: [],
      forwardDenied: { packets: 3, bytes: 252 },
      inputDenied: null,
    },
    peers: [
      {
        id: 'vpc_aaaaaaaaaaaa',
        name: 'gcp-dev',
        up: true,
        rttMs: 1.25,
        txBytes: 1200,
        rxBytes: 900,
        txPackets: 10,
        rxPackets: 9,
        lastHandshakeAgeS: 12.5,
        endpoint: { address: '2001:db8::7', port: 51820 },
      },
    ],
    skippedPeers: [{ id: 'vpc_bbbbbbbbbbbb', name: 'bad', code: 'VPCMESH_ERR_DATAPLANE_CONFIG', message: 'no key' }],
  }
}

/** A fresh agent: not enrolled, nothing applied yet. */
function fresh(): Record<string, unknown> {
  return {
    vpc: null,
    vpcId: null,
    appliedVersion: 0,
    controller: { state: 'connecting', url: null, lastError: 'closed 4401: bad token' },
    tun: { name: 'vpcmesh0', mtu: 1420 },
    lastReconcileError: null,
    host: null,
    peers: [],
    skippedPeers: [],
  }
}

test('AgentStatusDocument parses an applied and a fresh agent status unchanged', () => {
  for (const doc of [applied(), fresh(), { ...applied(), drops: { no_route: 4, replay: 0 } }])
    assert.deepEqual(AgentStatusDocument.parse(doc), doc)
})

test('AgentStatusDocument refuses a status missing a field or with a wrong type, naming the path', () => {
  const cases: Array<[string, (d: Record<string, unknown>) => void, string]> = [
    ['no peers', (d) => delete d.peers, 'peers'],
    [
      'rtt as text',
      (d) => (((d.peers as Array<Record<string, unknown>>)[0] as Record<string, unknown>).rttMs = '1ms'),
      'peers.0.rttMs',
    ],
    [
      'unknown controller state',
      (d) => (d.controller = { state: 'up', url: null, lastError: null }),
      'controller.state',
    ],
    [
      'host without skippedRoutes',
      (d) => delete (d.host as Record<string, unknown>).skippedRoutes,
      'host.skippedRoutes',
    ],
    ['negative drop count', (d) => (d.drops = { replay: -1 }), 'drops.replay'],
    ['bad vpc id', (d) => (d.vpcId = 'prod'), 'vpcId'],
  ]
  for (const [what, spoil, path] of cases) {
    const doc = applied()
    spoil(doc)
    const r = AgentStatusDocument.safeParse(doc)
    assert.equal(r.success, false, what)
    assert.equal(r.error?.issues[0]?.path.join('.'), path, what)
  }
  assert.equal(AgentStatusDocument.safeParse('{}').success, false)
})
