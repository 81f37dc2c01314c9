import { test } from 'node:test'
import assert from 'node:assert/strict'
import { peersVerdict } from '../src/session/peer-verdict.js'
import type { AgentRecord, VpcRecord } from '../src/state/store.js'

const A = 'vpc_00000000000a'
const G1 = 'gw_000000000001'
const G2 = 'gw_000000000002'
const G3 = 'gw_000000000003'
const NOW = 1_000_000
const rec: VpcRecord = {
  id: A,
  name: 'a',
  cidrs: ['10.1.0.0/24'],
  routes: [],
  endpoint: '192.0.2.1:51820',
  masquerade: false,
  publicKey: null,
  createdAt: 0,
  updatedAt: 0,
  version: 1,
  gateways: [G1, G2, G3].map((id, i) => ({
    id,
    name: `g${i}`,
    publicKey: 'k',
    endpoint: null,
    drained: id === G3,
    createdAt: 0,
  })),
  active: { gateway: G1, epoch: 3, since: 0, reason: 'elected' },
}
const agent = (id: string, peers: unknown[], o: Partial<AgentRecord> = {}): AgentRecord => ({
  id,
  session: 's',
  replica: 'r0',
  connected: true,
  appliedVersion: 1,
  lastSeen: NOW - 1000,
  observedAddress: '',
  agentVersion: '',
  peers: JSON.stringify(peers),
  ...o,
})
const tunnel = (gateway: string, up: boolean) => ({
  id: A,
  gateway,
  up,
  rttMs: null,
  txBytes: 0,
  rxBytes: 0,
  lastHandshakeAgeS: null,
})
const own = [agent(A, []), agent(`${A}/${G2}`, []), agent(`${A}/${G3}`, [])]

test('every fresh reporter sees the active gateway down and a standby up: fail over to that standby', () => {
  const reports = [
    agent('vpc_00000000000b', [tunnel(G1, false), tunnel(G2, true), tunnel(G3, true)]),
    agent('vpc_00000000000c', [tunnel(G1, false), tunnel(G2, true)]),
  ]
  assert.equal(peersVerdict(rec, [...own, ...reports], NOW, 15_000), G2, 'G3 is drained, so G2')
})

test('one reporter that still reaches the active gateway vetoes; no reporter decides nothing', () => {
  const reports = [
    agent('vpc_00000000000b', [tunnel(G1, false), tunnel(G2, true)]),
    agent('vpc_00000000000c', [tunnel(G1, true), tunnel(G2, true)]),
  ]
  assert.equal(peersVerdict(rec, [...own, ...reports], NOW, 15_000), undefined)
  assert.equal(peersVerdict(rec, own, NOW, 15_000), undefined)
})

test("stale or disconnected reporters, the VPC's own gateways and garbage reports are ignored", () => {
  const reports = [
    agent('vpc_00000000000b', [tunnel(G1, false), tunnel(G2, true)]),
    agent('vpc_00000000000c', [tunnel(G1, true)], { lastSeen: NOW - 60_000 }),
    agent('vpc_00000000000d', [tunnel(G1, true)], { connected: false }),
    agent(`${A}/${G2}`, [tunnel(G1, true)]),
    { ...agent('vpc_00000000000e', []), peers: '{not json' },
  ]
  assert.equal(peersVerdict(rec, [...own.slice(0, 1), ...reports, own[2] as AgentRecord], NOW, 15_000), G2)
})

test('a standby whose own agent is not connected, or that reporters do not all see up, is not chosen', () => {
  const reports = [
    agent('vpc_00000000000b', [tunnel(G1, false), tunnel(G2, true)]),
    agent('vpc_00000000000c', [tunnel(G1, false), tunnel(G2, false)]),
  ]
  assert.equal(peersVerdict(rec, [...own, ...reports], NOW, 15_000), undefined)
  const offline = [agent(A, []), agent(`${A}/${G2}`, [], { connected: false })]
  const allSee = [agent('vpc_00000000000b', [tunnel(G1, false), tunnel(G2, true)])]
  assert.equal(peersVerdict(rec, [...offline, ...allSee], NOW, 15_000), undefined)
})
