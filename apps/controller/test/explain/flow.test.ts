import { test } from 'node:test'
import assert from 'node:assert/strict'
import { hasCode } from '@vpcmesh/common'
import { routeEntries } from '../../src/mesh/route-lookup.js'
import { locate } from '../../src/explain/flow.js'
import { A, B, G1, G2, vpc } from './explain-fixtures.js'

const all = [A, B, G1, G2]
const entries = routeEntries(all)
const up = (): boolean => true

test('local to local: both ends, their agents and tunnel peer ids', () => {
  const r = locate(all, entries, { src: '10.1.0.5', dst: '10.2.0.7' }, up)
  assert.equal(r.hop.verdict, 'ok')
  assert.equal(r.flow?.src.vpc.name, 'a')
  assert.equal(r.flow?.src.routed, '10.1.0.5')
  assert.equal(r.flow?.dst.local, '10.2.0.7')
  assert.equal(r.flow?.dst.entry.prefix, '10.2.0.0/24')
  assert.equal(r.flow?.dst.peerId, B.id)
  assert.deepEqual(r.hop.evidence, [
    'SRC 10.1.0.5 is in VPC a (local mode, prefix 10.1.0.0/24)',
    'VPC a: its agent connected',
    'DST 10.2.0.7 is in VPC b (local mode, prefix 10.2.0.0/24)',
    'VPC b: its agent connected',
  ])
})

test('global to global: SRC seen at its global address, DST maps back to its real one', () => {
  const r = locate(all, entries, { src: '10.0.0.9', dst: '242.0.2.3', srcVpc: 'g1' }, up)
  assert.equal(r.hop.verdict, 'ok')
  assert.equal(r.flow?.src.routed, '242.0.0.9')
  assert.equal(r.flow?.src.entry.prefix, '242.0.0.0/24')
  assert.equal(r.flow?.dst.vpc.name, 'g2')
  assert.equal(r.flow?.dst.local, '10.5.0.3')
  assert.match(
    r.hop.evidence[0] ?? '',
    /in VPC g1 \(global mode, prefix 10\.0\.0\.0\/24\) \(the mesh routes it as 242\.0\.0\.9/,
  )
})

test('an address shared by two global-mode VPCs needs srcVpc', () => {
  assert.throws(
    () => locate(all, entries, { src: '10.0.0.9', dst: '10.2.0.7' }, up),
    (e) => hasCode(e) && e.code === 'VPCMESH_ERR_VALIDATION' && /g1, g2; say which with srcVpc/.test(e.message),
  )
})

test('a global-mode VPC local address as DST: broken, with its global address as the fix', () => {
  const r = locate(all, entries, { src: '10.1.0.5', dst: '10.5.0.3' }, up)
  assert.equal(r.hop.verdict, 'broken')
  assert.equal(r.flow, undefined)
  assert.match(r.hop.fix ?? '', /242\.0\.2\.3 \(VPC g2\)/)
})

test('SRC outside every VPC, DST routed nowhere, both in one VPC: broken', () => {
  assert.match(
    locate(all, entries, { src: '192.168.9.1', dst: '10.2.0.7' }, up).hop.evidence[0] ?? '',
    /not inside any VPC/,
  )
  assert.match(
    locate(all, entries, { src: '10.1.0.5', dst: '172.16.0.1' }, up).hop.evidence[0] ?? '',
    /not inside any prefix routed/,
  )
  assert.match(locate(all, entries, { src: '10.1.0.5', dst: '10.1.0.6' }, up).hop.fix ?? '', /same VPC/)
})

test('a disconnected agent: broken, but the flow is still given for the other agent', () => {
  const r = locate(all, entries, { src: '10.1.0.5', dst: '10.2.0.7' }, (k) => k !== B.id)
  assert.equal(r.hop.verdict, 'broken')
  assert.ok(r.flow !== undefined)
  assert.match(r.hop.fix ?? '', /start the agent of b/)
})

test('an HA VPC: the active gateway is probed and tunnelled to', () => {
  const gw = (id: string, name: string) => ({ id, name, publicKey: 'k', endpoint: null, createdAt: 0, drained: false })
  const ha = vpc('vpc_0000000000e5', 'ha', ['10.7.0.0/24'], {
    gateways: [gw('gw_000000000001', 'one'), gw('gw_000000000002', 'two')],
    active: { gateway: 'gw_000000000002', epoch: 3, since: 0, reason: 'failover' },
  })
  const r = locate([A, ha], routeEntries([A, ha]), { src: '10.1.0.5', dst: '10.7.0.1' }, up)
  assert.equal(r.flow?.dst.agent, `${ha.id}/gw_000000000002`)
  assert.equal(r.flow?.dst.peerId, `${ha.id}/gw_000000000002`)
  assert.equal(r.flow?.dst.gatewayName, 'two')
  assert.match(r.hop.evidence[3] ?? '', /active gateway two connected/)
})
