import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isCode } from '@vpcmesh/common'
import { parseConfig, type DataplaneConfig, type PeerConfig } from '../src/config.js'
import { cfg, limits, me, peer } from './config-fixtures.js'
import { DataplaneError, isDataplaneErrorCode } from '../src/errors.js'
import { decodeKey, generateKeyPair, publicKeyOf } from '../src/key-text.js'

/** The codes of the skipped peers of a config, or of the error when the whole config is rejected. */
function codes(c: DataplaneConfig, l = limits): string[] {
  try {
    return parseConfig(c, l).skipped.map((s) => s.code)
  } catch (e) {
    assert.ok(e instanceof DataplaneError)
    assert.equal(e.retryable, false)
    assert.equal(e.code, e.problems[0]?.code)
    return e.problems.map((p) => p.code)
  }
}

test('keys: generateKeyPair gives base64 32-byte keys and publicKeyOf matches', () => {
  const kp = generateKeyPair()
  assert.equal(decodeKey(kp.privateKey)?.length, 32)
  assert.equal(publicKeyOf(kp.privateKey), kp.publicKey)
  assert.notEqual(generateKeyPair().privateKey, kp.privateKey)
})

test('keys: publicKeyOf refuses anything but canonical base64 of 32 bytes', () => {
  for (const bad of ['', 'abc', Buffer.alloc(31).toString('base64'), `${generateKeyPair().privateKey} `]) {
    assert.throws(
      () => publicKeyOf(bad),
      (e) => isCode(e, 'VPCMESH_ERR_DATAPLANE_INVALID_KEY'),
      bad,
    )
  }
})

test('config: a valid config parses to canonical values', () => {
  const p = peer('a', ['10.1.0.0/16', 'fd00:1::/48', '10.1.0.0/16'], { endpoint: { address: '2001:DB8::1', port: 1 } })
  const parsed = parseConfig(cfg([p]), { udpFamily: 6, maxPeers: 10 })
  const a = parsed.peers.get('a')
  assert.deepEqual(a?.prefixes.map(String), ['10.1.0.0/16', 'fd00:1::/48'])
  assert.deepEqual(a?.endpoint, { address: '2001:db8::1', port: 1 })
  assert.equal(a?.publicKeyText, p.publicKey)
})

test('config: every bad peer is skipped with its first problem; the good ones are kept', () => {
  const dup = peer('b', ['10.2.0.0/16'])
  const found = codes(
    cfg([
      peer('a', ['10.1.0.0/16'], { publicKey: 'nope' }),
      dup,
      { ...dup, name: 'other', allowedPrefixes: ['10.3.0.0/16'] },
      peer('c', ['10.2.5.0/24']),
      peer('d', ['10.4.0.1/16']),
      peer('e', ['10.5.0.0/16'], { endpoint: { address: 'vpn.example.com', port: 51820 } }),
      peer('f', ['10.6.0.0/16'], { endpoint: { address: '192.0.2.1', port: 0 } }),
    ]),
  )
  assert.deepEqual(found, [
    'VPCMESH_ERR_DATAPLANE_INVALID_KEY',
    'VPCMESH_ERR_DATAPLANE_DUPLICATE_PEER',
    'VPCMESH_ERR_DATAPLANE_DUPLICATE_PEER',
    'VPCMESH_ERR_DATAPLANE_INVALID_PREFIX',
    'VPCMESH_ERR_DATAPLANE_INVALID_ENDPOINT',
    'VPCMESH_ERR_DATAPLANE_INVALID_ENDPOINT',
  ])
  assert.deepEqual(
    [...parseConfig(cfg([peer('c', ['10.2.5.0/24']), peer('a', [], { publicKey: 'nope' })]), limits).peers.keys()],
    ['c'],
  )
  assert.ok(found.every(isDataplaneErrorCode))
})

test('config: peers with overlapping prefixes are both skipped; within one peer overlaps are allowed', () => {
  assert.deepEqual(codes(cfg([peer('a', ['10.0.0.0/8']), peer('b', ['10.9.0.0/16']), peer('c', ['10.99.0.0/16'])])), [
    'VPCMESH_ERR_DATAPLANE_PREFIX_OVERLAP',
    'VPCMESH_ERR_DATAPLANE_PREFIX_OVERLAP',
    'VPCMESH_ERR_DATAPLANE_PREFIX_OVERLAP',
  ])
  assert.deepEqual(
    [
      ...parseConfig(
        cfg([peer('a', ['10.0.0.0/16']), peer('b', ['10.0.9.0/24']), peer('c', ['10.3.0.0/16'])]),
        limits,
      ).peers.keys(),
    ],
    ['c'],
  )
  assert.deepEqual(codes(cfg([peer('a', ['10.0.0.0/8', '10.9.0.0/16'])])), [])
})

test('config: IPv6 endpoints need a dual-stack engine; v4-mapped and DNS names are refused', () => {
  const v6 = cfg([peer('a', [], { endpoint: { address: '2001:db8::1', port: 5 } })])
  assert.deepEqual(codes(v6), ['VPCMESH_ERR_DATAPLANE_INVALID_ENDPOINT'])
  assert.deepEqual(codes(v6, { udpFamily: 6, maxPeers: 9 }), [])
  assert.deepEqual(
    codes(cfg([peer('a', [], { endpoint: { address: '::ffff:192.0.2.1', port: 5 } })]), { udpFamily: 6, maxPeers: 9 }),
    ['VPCMESH_ERR_DATAPLANE_INVALID_ENDPOINT'],
  )
  assert.deepEqual(codes(cfg([peer('a', [], { endpoint: null })])), [])
})

test('config: our own key as a peer, a bad private key, too many peers, and junk shapes', () => {
  assert.deepEqual(codes(cfg([peer('a', [], { publicKey: me.publicKey })])), ['VPCMESH_ERR_DATAPLANE_INVALID_KEY'])
  assert.throws(
    () => parseConfig({ privateKey: 'x', peers: [peer('a', [])] }, limits),
    (e) => isCode(e, 'VPCMESH_ERR_DATAPLANE_INVALID_KEY'),
  )
  assert.deepEqual(codes(cfg([peer('a', []), peer('b', [])]), { udpFamily: 4, maxPeers: 1 }), [
    'VPCMESH_ERR_DATAPLANE_TOO_MANY_PEERS',
  ])
  assert.deepEqual(
    [...parseConfig(cfg([peer('a', []), peer('b', [])]), { udpFamily: 4, maxPeers: 1 }).peers.keys()],
    ['a'],
  )
  assert.deepEqual(codes({ privateKey: me.privateKey } as unknown as DataplaneConfig), [
    'VPCMESH_ERR_DATAPLANE_INVALID_CONFIG',
  ])
  assert.deepEqual(codes(cfg([{ id: '', name: 'x' } as unknown as PeerConfig])), [
    'VPCMESH_ERR_DATAPLANE_INVALID_CONFIG',
  ])
})
