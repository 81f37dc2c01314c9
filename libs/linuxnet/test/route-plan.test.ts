import { test } from 'node:test'
import assert from 'node:assert/strict'
import { type HostFacts, planTable } from '../src/route-plan.js'
import { type RouterConfig, normalizeRouterConfig } from '../src/router-config.js'

const CFG: RouterConfig = {
  tunName: 'vmt0',
  mtu: 1380,
  routes: ['10.2.0.0/16', '10.3.0.0/16', 'fd00:2::/64'],
  localCidrs: ['10.1.0.0/16'],
  controllerAddresses: ['100.64.0.254'],
  peerEndpoints: ['100.64.0.2', '100.64.0.3'],
  masquerade: true,
}
const HOST: HostFacts = {
  addresses: ['100.64.0.1', '10.1.0.1'],
  mainRoutes: [
    { prefix: '0.0.0.0/0', dev: 'eth0' },
    { prefix: '100.64.0.0/24', dev: 'eth0' },
    { prefix: '10.1.0.0/24', dev: 'lan0' },
  ],
}

const plan = (routes: string[], host: HostFacts = HOST) => planTable(normalizeRouterConfig({ ...CFG, routes }), host)

test('planTable: ordinary mesh prefixes are routed; the controller address gets a throw entry', () => {
  assert.deepEqual(plan(CFG.routes), {
    routes: ['10.2.0.0/16', '10.3.0.0/16', 'fd00:2::/64'],
    throws: ['100.64.0.254/32'],
    skipped: [],
  })
})

test('planTable: a prefix covering the underlay (own address, controller, peer endpoint) is skipped with the reason; the rest applies', () => {
  const p = plan(['10.2.0.0/16', '100.64.0.0/16', '100.64.0.254/32', '100.64.0.3/32', '100.64.0.1/32'])
  assert.deepEqual(p.routes, ['10.2.0.0/16'])
  assert.deepEqual(
    p.skipped.map((s) => [s.prefix, s.reason]),
    [
      ['100.64.0.0/16', 'underlay'],
      ['100.64.0.1/32', 'underlay'],
      ['100.64.0.3/32', 'underlay'],
      ['100.64.0.254/32', 'underlay'],
    ],
  )
  assert.match(p.skipped[0]?.detail ?? '', /contains this host's address 100\.64\.0\.1/)
  assert.match(p.skipped.find((s) => s.prefix === '100.64.0.254/32')?.detail ?? '', /the controller's address/)
  assert.match(p.skipped.find((s) => s.prefix === '100.64.0.3/32')?.detail ?? '', /a peer's tunnel endpoint/)
})

test('planTable: default routes, loopback, link-local, multicast and IPv4-mapped prefixes are skipped as reserved', () => {
  const p = plan([
    '0.0.0.0/0',
    '::/0',
    '127.0.0.0/8',
    '169.254.0.0/16',
    '224.0.0.0/4',
    'fe80::/10',
    '::ffff:10.2.0.0/120',
    '10.2.0.0/16',
  ])
  assert.deepEqual(p.routes, ['10.2.0.0/16'])
  assert.deepEqual(
    p.skipped.map((s) => s.reason),
    Array(7).fill('reserved'),
  )
})

test('planTable: a prefix overlapping this VPC is skipped as local', () => {
  const p = plan(['10.0.0.0/8', '10.2.0.0/16'])
  assert.deepEqual([p.routes, p.skipped.map((s) => [s.prefix, s.reason])], [['10.2.0.0/16'], [['10.0.0.0/8', 'local']]])
})

test("planTable: an operator's route for the same prefix is kept (skipped, reported); more specific ones get throw entries", () => {
  const host: HostFacts = {
    ...HOST,
    mainRoutes: [
      ...HOST.mainRoutes,
      { prefix: '10.3.0.0/16', dev: 'eth1' },
      { prefix: '10.2.5.0/24', dev: 'eth1' },
      { prefix: '10.0.0.0/8', dev: 'eth1' },
      { prefix: 'fd00:2::5/128' },
    ],
  }
  const p = plan(CFG.routes, host)
  assert.deepEqual(p.routes, ['10.2.0.0/16', 'fd00:2::/64'])
  assert.deepEqual(p.skipped, [
    {
      prefix: '10.3.0.0/16',
      reason: 'operator',
      detail: 'the main table already routes 10.3.0.0/16 dev eth1; that route is kept',
    },
  ])
  // 10.0.0.0/8 is less specific than the mesh's /16s: the mesh route wins, as longest-prefix match says
  assert.deepEqual(p.throws, ['10.2.5.0/24', '100.64.0.254/32', 'fd00:2::5/128'])
})
