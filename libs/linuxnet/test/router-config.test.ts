import { test } from 'node:test'
import assert from 'node:assert/strict'
import { type RouterConfig, LINUXNET_ERROR_CODES, isLinuxNetError, normalizeRouterConfig } from '../src/index.js'

const OK: RouterConfig = {
  tunName: 'vmt0',
  mtu: 1380,
  routes: ['fd00:2::/64', '10.2.0.0/16', '10.1.0.0/16'],
  localCidrs: ['10.0.0.0/16'],
  masquerade: false,
}

test('normalizeRouterConfig: canonical, sorted, de-duplicated, frozen, mssClamp defaults to true', () => {
  const n = normalizeRouterConfig({ ...OK, routes: [...OK.routes, 'FD00:2:0::/64', '10.1.0.0/16'] })
  assert.deepEqual(n, {
    tunName: 'vmt0',
    mtu: 1380,
    routes: ['10.1.0.0/16', '10.2.0.0/16', 'fd00:2::/64'],
    localCidrs: ['10.0.0.0/16'],
    controllerAddresses: [],
    peerEndpoints: [],
    masquerade: false,
    mssClamp: true,
    globalNat: [],
  })
  assert.ok(Object.isFrozen(n) && Object.isFrozen(n.routes))
  assert.equal(normalizeRouterConfig({ ...OK, mssClamp: false }).mssClamp, false)
})

test('normalizeRouterConfig: reports every problem at once', () => {
  const bad = {
    tunName: 'a b',
    mtu: 1200,
    routes: ['10.0.0.1/16', 'fd00::/64', 'nope'],
    localCidrs: [7],
    masquerade: 'yes',
  } as unknown as RouterConfig
  assert.throws(
    () => normalizeRouterConfig(bad),
    (e) => {
      assert.ok(isLinuxNetError(e))
      assert.equal(e.code, LINUXNET_ERROR_CODES.config)
      assert.equal(e.retryable, false)
      for (const part of [
        'routes[0]',
        'did you mean 10.0.0.0/16',
        'routes[2]',
        'localCidrs[0]',
        'tunName "a b"',
        'mtu 1200 must be an integer 1280-65535',
        'masquerade',
      ]) {
        assert.ok(e.message.includes(part), `${part} missing from: ${e.message}`)
      }
      return true
    },
  )
})

test('normalizeRouterConfig: a route overlapping a local CIDR is not a config error (the router skips it)', () => {
  assert.deepEqual(normalizeRouterConfig({ ...OK, routes: ['0.0.0.0/0'] }).routes, ['0.0.0.0/0'])
})

test('normalizeRouterConfig: controller and endpoint addresses are canonical, sorted, de-duplicated; bad ones reported', () => {
  const n = normalizeRouterConfig({
    ...OK,
    controllerAddresses: ['FD64::FE', '100.64.0.254', '100.64.0.254'],
    peerEndpoints: ['100.64.0.3', '100.64.0.2'],
  })
  assert.deepEqual(
    [n.controllerAddresses, n.peerEndpoints],
    [
      ['100.64.0.254', 'fd64::fe'],
      ['100.64.0.2', '100.64.0.3'],
    ],
  )
  assert.throws(
    () => normalizeRouterConfig({ ...OK, peerEndpoints: ['100.64.0.300'] }),
    (e) => isLinuxNetError(e) && e.message.includes('peerEndpoints[0]'),
  )
})

test('normalizeRouterConfig: IPv4-only configs may use a small MTU', () => {
  assert.equal(normalizeRouterConfig({ ...OK, routes: ['10.1.0.0/16'], mtu: 576 }).mtu, 576)
  assert.throws(() => normalizeRouterConfig({ ...OK, routes: ['10.1.0.0/16'], mtu: 575 }), {
    code: LINUXNET_ERROR_CODES.config,
  })
  assert.throws(() => normalizeRouterConfig({ ...OK, mtu: 1380.5 }), { code: LINUXNET_ERROR_CODES.config })
})

test('normalizeRouterConfig: global translation pairs must be IPv4 local prefixes with a global of the same length', () => {
  const base = { tunName: 'vmt0', mtu: 1400, routes: [], localCidrs: ['10.0.0.0/24', 'fd00::/64'], masquerade: false }
  const ok = normalizeRouterConfig({ ...base, globalNat: [{ local: '10.0.0.0/24', global: '242.0.0.0/24' }] })
  assert.deepEqual(ok.globalNat, [{ local: '10.0.0.0/24', global: '242.0.0.0/24' }])
  assert.deepEqual(normalizeRouterConfig(base).globalNat, [])
  for (const [pair, re] of [
    [{ local: '10.0.0.0/24', global: '242.0.0.0/16' }, /same length/],
    [{ local: '10.9.0.0/24', global: '242.0.0.0/24' }, /not one of localCidrs/],
    [{ local: 'fd00::/64', global: 'fd01::/64' }, /IPv4/],
    [{ local: '10.0.0.0/24', global: 'nonsense' }, /globalNat\[0\]/],
  ] as const) {
    assert.throws(
      () => normalizeRouterConfig({ ...base, globalNat: [pair] }),
      (e: { code?: string; message?: string }) => e.code === 'VPCMESH_ERR_LINUXNET_CONFIG' && re.test(e.message ?? ''),
    )
  }
})
