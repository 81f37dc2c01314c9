import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { MeshNode, NetMap } from '@vpcmesh/protocol'
import { meshDnsConfig } from '../src/runtime/mesh-dns.js'

const node = (id: string, name: string, dnsZones?: MeshNode['dnsZones']): MeshNode => ({
  id,
  name,
  cidrs: ['10.0.0.0/24'],
  routes: [],
  endpoint: '192.0.2.1:51820',
  publicKey: null,
  masquerade: true,
  ...(dnsZones === undefined ? {} : { dnsZones }),
})

test('meshDnsConfig: every VPC zone, own included, in map order; duplicates and bad servers left out', () => {
  const map: NetMap = {
    version: 3,
    self: node('vpc_00000000000a', 'a', [{ zone: 'a.internal', server: '10.1.0.53' }]),
    peers: [
      node('vpc_00000000000b', 'b', [
        { zone: 'Corp.Internal', server: '10.2.0.53:5353' },
        { zone: 'b.cluster.local', server: '[fd00:2::a]', rewriteTo: 'cluster.local' },
      ]),
      node('vpc_00000000000c', 'c', [
        { zone: 'corp.internal', server: '10.3.0.53' },
        { zone: 'c.internal', server: 'dns.c.internal' },
      ]),
    ],
  }
  const { input, skipped } = meshDnsConfig(map, { listen: { address: '10.1.0.1', port: 53 }, upstream: [] })
  assert.deepEqual(input.zones, [
    { zone: 'a.internal', servers: [{ address: '10.1.0.53', port: 53 }] },
    { zone: 'corp.internal', servers: [{ address: '10.2.0.53', port: 5353 }] },
    { zone: 'b.cluster.local', servers: [{ address: 'fd00:2::a', port: 53 }], rewriteTo: 'cluster.local' },
  ])
  assert.deepEqual(
    skipped.map((s) => [s.vpc, s.zone]),
    [
      ['c', 'corp.internal'],
      ['c', 'c.internal'],
    ],
  )
  assert.deepEqual(input.listen, { address: '10.1.0.1', port: 53 })
})

test('meshDnsConfig: a global-mode peer is asked at its server global address and its answers are translated', () => {
  const b: MeshNode = {
    ...node('vpc_00000000000b', 'b', [{ zone: 'b.internal', server: '10.0.0.53' }]),
    mode: 'global',
    globalPrefixes: [{ local: '10.0.0.0/24', global: '242.0.1.0/24' }],
  }
  const self: MeshNode = {
    ...node('vpc_00000000000a', 'a', [{ zone: 'a.internal', server: '10.0.0.53' }]),
    mode: 'global',
    globalPrefixes: [{ local: '10.0.0.0/24', global: '242.0.0.0/24' }],
  }
  const { input } = meshDnsConfig(
    { version: 1, self, peers: [b] },
    { listen: { address: '10.0.0.1', port: 53 }, upstream: [] },
  )
  assert.deepEqual(input.zones, [
    // Its own zone: asked and answered locally, untranslated.
    { zone: 'a.internal', servers: [{ address: '10.0.0.53', port: 53 }] },
    {
      zone: 'b.internal',
      servers: [{ address: '242.0.1.53', port: 53 }],
      rewriteAnswers: [{ from: '10.0.0.0/24', to: '242.0.1.0/24' }],
    },
  ])
})

test('meshDnsConfig: a corrupt translation pair of a global peer is left out; the zone still forwards', () => {
  const b: MeshNode = {
    ...node('vpc_00000000000b', 'b', [{ zone: 'b.internal', server: '10.0.0.53' }]),
    mode: 'global',
    globalPrefixes: [
      { local: '10.0.0.0/24', global: 'junk' },
      { local: '10.0.0.0/24', global: '242.0.1.0/24' },
    ],
  }
  const { input } = meshDnsConfig(
    { version: 1, self: node('vpc_00000000000a', 'a'), peers: [b] },
    { listen: { address: '10.1.0.1', port: 53 }, upstream: [] },
  )
  assert.deepEqual(input.zones, [
    {
      zone: 'b.internal',
      servers: [{ address: '242.0.1.53', port: 53 }],
      rewriteAnswers: [{ from: '10.0.0.0/24', to: '242.0.1.0/24' }],
    },
  ])
})
