import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ProbeResult } from '@vpcmesh/protocol'
import { Prober, type ProberView, forwarderServer } from '../../src/explain/prober.js'
import { RECORDED_RULESET } from './ruleset-fixture.js'
import { ScriptedRunner } from './scripted-runner.js'

const PEER = {
  id: 'vpc_0000000000b2',
  name: 'b',
  up: true,
  rttMs: 0.5,
  txBytes: 10,
  rxBytes: 20,
  txPackets: 1,
  rxPackets: 2,
  lastHandshakeAgeS: 3,
  endpoint: { address: '100.64.0.2', port: 51820 },
}
const VIEW: ProberView = {
  vpcId: 'vpc_0000000000a1',
  tun: { name: 'vpcmesh0', mtu: 1420 },
  table: 52,
  skippedRoutes: [{ prefix: '10.8.0.0/24', reason: 'operator', detail: 'main has 10.8.0.0/24 via 10.1.0.254' }],
  peers: [PEER, { ...PEER, id: 'vpc_0000000000c3', name: 'c' }],
  dnsServer: '10.1.0.1:53',
}
const HOST = {
  'ip -4 -j route show table 52': { stdout: '[{"dst":"10.2.0.0/24","dev":"vpcmesh0"}]' },
  'nft -j list ruleset': { stdout: RECORDED_RULESET },
  'sysctl -n net.ipv4.ip_forward': { stdout: '1\n' },
  'sysctl -n net.ipv6.conf.all.forwarding': { stdout: '0\n' },
}

test('a probe reads routes, ruleset and switches live, and reports only the asked peers', async () => {
  const asked: Array<[string, string | undefined]> = []
  const prober = new Prober({
    runner: new ScriptedRunner(HOST),
    resolver: async (name, server) => {
      asked.push([name, server])
      return ['10.2.0.77']
    },
    view: () => VIEW,
  })
  const r = await prober.probe({ resolve: 'db.corp.internal', routes: ['10.2.0.0/24'], peers: ['vpc_0000000000b2'] })
  assert.ok(ProbeResult.safeParse(r).success)
  assert.deepEqual(r.routes, [{ prefix: '10.2.0.0/24', dev: 'vpcmesh0', type: 'unicast' }])
  assert.deepEqual(r.peers, [PEER])
  assert.deepEqual(r.forwarding, { ipv4: true, ipv6: false })
  assert.equal(r.nft?.table, true)
  assert.deepEqual(r.dns, {
    name: 'db.corp.internal',
    via: 'forwarder',
    server: '10.1.0.1:53',
    addresses: ['10.2.0.77'],
    error: null,
  })
  assert.deepEqual(asked, [['db.corp.internal', '10.1.0.1:53']])
  assert.deepEqual(r.skippedRoutes, VIEW.skippedRoutes)
  assert.deepEqual(r.errors, [])
})

test('what cannot be read is null with a line in errors, never a failed probe', async () => {
  const prober = new Prober({
    runner: new ScriptedRunner({}),
    resolver: async () => {
      throw new Error('queryA ETIMEOUT db.corp.internal')
    },
    view: () => ({ ...VIEW, table: null, dnsServer: undefined }),
  })
  const r = await prober.probe({ resolve: 'db.corp.internal', routes: ['10.2.0.0/24'], peers: [] })
  assert.ok(ProbeResult.safeParse(r).success)
  assert.equal(r.routes, null)
  assert.equal(r.nft, null)
  assert.deepEqual(r.forwarding, { ipv4: null, ipv6: null })
  assert.deepEqual(r.dns, {
    name: 'db.corp.internal',
    via: 'host',
    server: null,
    addresses: [],
    error: 'queryA ETIMEOUT db.corp.internal',
  })
  assert.deepEqual(
    r.errors.map((e) => e.split(':')[0]),
    ['routing table', 'nftables'],
  )
})

test('forwarderServer: a wildcard listen address is asked on loopback', () => {
  assert.equal(forwarderServer(undefined), undefined)
  assert.equal(forwarderServer({ address: '10.1.0.1', port: 53 }), '10.1.0.1:53')
  assert.equal(forwarderServer({ address: '0.0.0.0', port: 5353 }), '127.0.0.1:5353')
  assert.equal(forwarderServer({ address: '::', port: 53 }), '[::1]:53')
})
