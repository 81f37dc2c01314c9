import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { MeshNode, NetMap } from '@vpcmesh/protocol'
import { normalizeRouterConfig } from '@vpcmesh/linuxnet'
import { translate } from '../src/runtime/translate.js'

const key = (n: number): string => Buffer.alloc(32, n).toString('base64')
const node = (n: number, over: Partial<MeshNode> = {}): MeshNode => ({
  id: `vpc_00000000000${n}`,
  name: `v${n}`,
  cidrs: [`10.${n}.0.0/16`],
  routes: [],
  endpoint: `192.0.2.${n}:51820`,
  publicKey: key(n),
  masquerade: true,
  ...over,
})

test('peers with keys become tunnel peers; every peer prefix is routed into the TUN', () => {
  const map: NetMap = {
    version: 7,
    self: node(1, { routes: ['172.16.0.0/16'], masquerade: false }),
    peers: [node(2, { routes: ['100.64.0.0/16'] }), node(3, { publicKey: null })],
  }
  const cfg = translate(map, new Map([['vpc_000000000002', { address: '192.0.2.2', port: 51820 }]]), {
    privateKey: key(9),
    tunName: 'vpcmesh0',
    mtu: 1420,
  })
  assert.deepEqual(cfg.dataplane, {
    privateKey: key(9),
    peers: [
      {
        id: 'vpc_000000000002',
        name: 'v2',
        publicKey: key(2),
        endpoint: { address: '192.0.2.2', port: 51820 },
        allowedPrefixes: ['10.2.0.0/16', '100.64.0.0/16'],
      },
    ],
  })
  assert.deepEqual(cfg.router, {
    tunName: 'vpcmesh0',
    mtu: 1420,
    routes: ['10.2.0.0/16', '100.64.0.0/16', '10.3.0.0/16'],
    localCidrs: ['10.1.0.0/16', '172.16.0.0/16'],
    controllerAddresses: [],
    peerEndpoints: ['192.0.2.2'],
    masquerade: false,
    mssClamp: true,
    globalNat: [],
  })
})

test('the controllers and peer endpoints reach the router, so routes never cover them', () => {
  const map: NetMap = { version: 1, self: node(1), peers: [node(2), node(3)] }
  const eps = new Map([
    ['vpc_000000000002', { address: '192.0.2.2', port: 51820 }],
    ['vpc_000000000003', { address: '192.0.2.2', port: 51821 }],
  ])
  const cfg = translate(map, eps, {
    privateKey: key(9),
    tunName: 't',
    mtu: 1400,
    controllerAddresses: ['198.51.100.7'],
  })
  assert.deepEqual([cfg.router.controllerAddresses, cfg.router.peerEndpoints], [['198.51.100.7'], ['192.0.2.2']])
})

test('an unresolved endpoint becomes null (the peer can still reach us)', () => {
  const cfg = translate({ version: 1, self: node(1), peers: [node(2)] }, new Map(), {
    privateKey: key(9),
    tunName: 't',
    mtu: 1400,
  })
  assert.equal(cfg.dataplane.peers[0]?.endpoint, null)
})

test('global mode: peers are routed and accepted at their global prefixes; a global self gets its translation pairs', () => {
  const globalOf = (n: number, over: Partial<MeshNode> = {}): MeshNode =>
    node(n, {
      cidrs: ['10.0.0.0/24', 'fd00:1::/64'],
      mode: 'global',
      globalPrefixes: [{ local: '10.0.0.0/24', global: `242.0.${n}.0/24` }],
      ...over,
    })
  const map: NetMap = {
    version: 9,
    self: globalOf(1, {
      routes: ['10.96.0.0/12'],
      globalPrefixes: [
        { local: '10.0.0.0/24', global: '242.0.1.0/24' },
        { local: '10.96.0.0/12', global: '242.16.0.0/12' },
        // A corrupt pair (not one of its prefixes, another length) is left out.
        { local: '10.7.0.0/24', global: '242.7.0.0/24' },
        { local: '10.96.0.0/12', global: '242.99.0.0/24' },
      ],
    }),
    peers: [globalOf(2), node(3)],
  }
  const cfg = translate(map, new Map(), { privateKey: key(9), tunName: 'vpcmesh0', mtu: 1420 })
  assert.deepEqual(
    cfg.dataplane.peers.map((p) => p.allowedPrefixes),
    [['242.0.2.0/24', 'fd00:1::/64'], ['10.3.0.0/16']],
  )
  assert.deepEqual(cfg.router.routes, ['242.0.2.0/24', 'fd00:1::/64', '10.3.0.0/16'])
  assert.deepEqual(cfg.router.localCidrs, ['10.0.0.0/24', 'fd00:1::/64', '10.96.0.0/12'])
  assert.deepEqual(cfg.router.globalNat, [
    { local: '10.0.0.0/24', global: '242.0.1.0/24' },
    { local: '10.96.0.0/12', global: '242.16.0.0/12' },
  ])
})

test('an unparsable prefix in the map (a peer global prefix, a CIDR) is left out; the rest is routed', () => {
  const map: NetMap = {
    version: 3,
    self: node(1, { routes: ['not-a-prefix'] }),
    peers: [
      node(2, { mode: 'global', globalPrefixes: [{ local: '10.2.0.0/16', global: '242.0.0.0/33' }] }),
      node(3, { cidrs: ['10.3.0.0/16', '10.3.0.1/16'] }),
    ],
  }
  const cfg = translate(map, new Map(), { privateKey: key(9), tunName: 'vpcmesh0', mtu: 1420 })
  assert.deepEqual(cfg.router.routes, ['10.3.0.0/16'])
  assert.deepEqual(cfg.router.localCidrs, ['10.1.0.0/16'])
  // The router accepts what translate produced.
  assert.doesNotThrow(() => normalizeRouterConfig(cfg.router))
})
