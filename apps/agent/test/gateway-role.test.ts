import { test } from 'node:test'
import assert from 'node:assert/strict'
import { noopLogger } from '@vpcmesh/common'
import type { MeshNode, NetMap } from '@vpcmesh/protocol'
import { GatewayRole, roleOf } from '../src/runtime/gateway-role.js'
import { NO_CHANGE, type RouteTableClaim, type RouteTableProvider } from '../src/route-table/provider.js'
import { translate } from '../src/runtime/translate.js'

const KEY1 = 'NP1dRnmEgb/2vPxhgi4ldA0MS6sVk6IFvHHW9Z8L1wE='
const KEY2 = '2FNZsHB95hxnpDb85HzlwpMJ09mky2SabFsGuEdCBxY='
const KEYB = 'q0p8tL4Hj5+kzJ1fWQ9yQw2Vx3mU7nE6bR4cS8dT1aA='
const G1 = 'gw_000000000001'
const G2 = 'gw_000000000002'

function haNode(active: string | null, epoch = 1): MeshNode {
  return {
    id: 'vpc_00000000000a',
    name: 'a',
    cidrs: ['10.1.0.0/24'],
    routes: [],
    endpoint: '100.64.0.1:51820',
    publicKey: KEY1,
    masquerade: false,
    gateways: [
      { id: G1, name: 'gw-a1', publicKey: KEY1, endpoint: '100.64.0.1:51820' },
      { id: G2, name: 'gw-a2', publicKey: KEY2, endpoint: null },
    ],
    active: active === null ? null : { gateway: active, epoch, since: 1, reason: 'elected' },
    routeTable: { provider: 'vip', vip: '10.1.0.254/24' },
  }
}
const peerB: MeshNode = {
  id: 'vpc_00000000000b',
  name: 'b',
  cidrs: ['10.2.0.0/24'],
  routes: ['10.96.0.0/12'],
  endpoint: '100.64.0.2:51820',
  publicKey: KEYB,
  masquerade: true,
}
const map = (self: MeshNode, version = 1): NetMap => ({ version, self, peers: [peerB] })

class Recorder implements RouteTableProvider {
  readonly kind = 'vip' as const
  calls: string[] = []
  fail = false
  async apply(c: RouteTableClaim) {
    this.calls.push(`apply ${c.epoch} ${c.prefixes.join(',')}`)
    if (this.fail) throw Object.assign(new Error('boom'), { code: 'VPCMESH_ERR_ROUTE_TABLE_API' })
    return NO_CHANGE
  }
  async removeAll() {
    this.calls.push('removeAll')
    return NO_CHANGE
  }
  async release() {
    this.calls.push('release')
  }
}

test('roleOf: one gateway is always active; with several only the named one, none before an election', () => {
  const single = { ...peerB, id: 'vpc_00000000000a' }
  assert.deepEqual(roleOf(map(single), undefined), { active: true, epoch: 0 })
  assert.deepEqual(roleOf(map(haNode(G1, 4)), G1), { active: true, epoch: 4 })
  assert.deepEqual(roleOf(map(haNode(G1, 4)), G2), { active: false, epoch: 4 })
  assert.deepEqual(roleOf(map(haNode(null)), G1), { active: false, epoch: 0 })
})

test('GatewayRole: the active gateway claims every remote prefix once per epoch; a standby releases once', async () => {
  const rec = new Recorder()
  const role = new GatewayRole({ logger: noopLogger, create: () => rec })
  await role.update(map(haNode(G2)), G1)
  assert.deepEqual(rec.calls, ['release'], 'a (re)started standby drops what it may still hold')
  await role.update(map(haNode(G2), 2), G1)
  assert.deepEqual(rec.calls, ['release'], 'no second release')
  await role.update(map(haNode(G1, 2), 3), G1)
  await role.update(map(haNode(G1, 2), 4), G1)
  assert.deepEqual(rec.calls, ['release', 'apply 2 10.2.0.0/24,10.96.0.0/12'], 'one apply per epoch and prefix set')
  await role.update(map(haNode(G2, 3), 5), G1)
  assert.deepEqual(rec.calls.at(-1), 'release')
})

test('GatewayRole: a provider error is reported, not thrown, and the next map retries', async () => {
  const rec = new Recorder()
  const codes: string[] = []
  const role = new GatewayRole({ logger: noopLogger, create: () => rec, onError: (c) => codes.push(c) })
  rec.fail = true
  await role.update(map(haNode(G1)), G1)
  assert.deepEqual(codes, ['VPCMESH_ERR_ROUTE_TABLE_API'])
  assert.match(role.lastError ?? '', /boom/)
  rec.fail = false
  await role.update(map(haNode(G1), 2), G1)
  assert.equal(role.lastError, undefined)
  assert.deepEqual(rec.calls, ['apply 1 10.2.0.0/24,10.96.0.0/12', 'apply 1 10.2.0.0/24,10.96.0.0/12'])
})

test('translate: a peer VPC with two gateways becomes two tunnel peers of one group; only the active one routes', () => {
  const self = { ...peerB }
  const m: NetMap = { version: 1, self, peers: [haNode(G2, 7)] }
  const cfg = translate(m, new Map(), { privateKey: 'x', tunName: 'vpcmesh0', mtu: 1420 })
  const peers = cfg.dataplane.peers.map((p) => [p.id, p.name, p.group, p.allowedPrefixes.join(',')])
  assert.deepEqual(peers, [
    ['vpc_00000000000a/gw_000000000001', 'a/gw-a1', 'vpc_00000000000a', ''],
    ['vpc_00000000000a/gw_000000000002', 'a/gw-a2', 'vpc_00000000000a', '10.1.0.0/24'],
  ])
  assert.deepEqual(cfg.router.routes, ['10.1.0.0/24'], 'the host routes the VPC once')
})

test('GatewayRole.guard: cut off and contested, the gateway gives way and does not reclaim at that epoch', async () => {
  const rec = new Recorder()
  let contested = false
  const provider = Object.assign(rec, { contested: async () => contested })
  const role = new GatewayRole({ logger: noopLogger, create: () => provider })
  await role.update(map(haNode(G1, 5)), G1)
  await role.guard()
  assert.deepEqual(rec.calls, ['apply 5 10.2.0.0/24,10.96.0.0/12'], 'nobody else holds it: nothing changes')
  contested = true
  await role.guard()
  assert.deepEqual(rec.calls.slice(1), ['release'])
  await role.update(map(haNode(G1, 5), 2), G1)
  assert.equal(rec.calls.length, 2, 'the stale map does not make it claim again')
  await role.update(map(haNode(G1, 6), 3), G1)
  assert.deepEqual(rec.calls.at(-1), 'apply 6 10.2.0.0/24,10.96.0.0/12', 'a new election does')
})

test('GatewayRole.vpcDeleted: the active gateway removes what its provider created, once; later maps are ignored', async () => {
  const rec = new Recorder()
  const role = new GatewayRole({ logger: noopLogger, create: () => rec })
  await role.update(map(haNode(G1, 2)), G1)
  await role.vpcDeleted()
  assert.deepEqual(rec.calls.slice(1), ['removeAll', 'release'])
  await role.update(map(haNode(G1, 3), 2), G1)
  assert.equal(rec.calls.length, 3, 'nothing applied after the delete')
  const standby = new Recorder()
  const other = new GatewayRole({ logger: noopLogger, create: () => standby })
  await other.update(map(haNode(G1, 2)), G2)
  await other.vpcDeleted()
  assert.deepEqual(standby.calls, ['release'], 'a standby only ever released')
})

test('GatewayRole: a global-mode peer is claimed at its global prefixes, never its local ones', async () => {
  const rec = new Recorder()
  const role = new GatewayRole({ logger: noopLogger, create: async () => rec })
  const globalB: MeshNode = {
    ...peerB,
    cidrs: ['10.1.0.0/24'],
    routes: [],
    mode: 'global',
    globalPrefixes: [{ local: '10.1.0.0/24', global: '242.0.1.0/24' }],
  }
  await role.update({ version: 1, self: haNode(G1, 3), peers: [globalB] }, G1)
  assert.deepEqual(rec.calls, ['apply 3 242.0.1.0/24'])
})
