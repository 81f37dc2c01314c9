// A poisoned peer entry (bad, low-order, copied or own key; bad endpoint or prefix) is left out
// and reported; the rest of the configuration is applied (issue 8 item 2).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isCode } from '@vpcmesh/common'
import { parseConfig, type DataplaneConfig, type PeerConfig } from '../src/config.js'
import { cfg, limits, me, peer } from './config-fixtures.js'
import { generateKeyPair } from '../src/key-text.js'
import { dh, generateX25519 } from '../src/noise/x25519.js'
import { weakPublicKeyReason } from '../src/weak-keys.js'

const b64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64')
const P = 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'

/** Base64 text of `key` with the 2 unused low bits of its last character set: same bytes, non-canonical text. */
function flipPadding(key: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  const i = alphabet.indexOf(key[42] ?? '')
  return `${key.slice(0, 42)}${alphabet[i | 3] === key[42] ? alphabet[i & ~3] : alphabet[i | 3]}=`
}

/** Low-order points and non-canonical encodings of them (hex, little-endian). */
const WEAK = [
  '00'.repeat(32),
  `01${'00'.repeat(31)}`,
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  `ec${'ff'.repeat(30)}7f`,
  P,
  `ee${'ff'.repeat(30)}7f`,
  `00${'00'.repeat(30)}80`,
  `ee${'ff'.repeat(31)}`,
]

test('weak keys: every listed point is refused, and node:crypto indeed refuses a DH with each', () => {
  const priv = generateX25519().privateKey
  for (const hex of WEAK) {
    assert.notEqual(weakPublicKeyReason(Buffer.from(hex, 'hex')), undefined, hex)
    if (hex !== `ee${'ff'.repeat(31)}`)
      assert.equal(dh(priv, Buffer.from(hex, 'hex')), undefined, `DH with ${hex} should fail`)
  }
  for (let i = 0; i < 50; i++) assert.equal(weakPublicKeyReason(generateX25519().publicKey), undefined)
})

test('config: one poisoned peer of each kind is skipped and reported; every other peer is kept', () => {
  const good = [peer('g1', ['10.1.0.0/16']), peer('g2', ['10.2.0.0/16', 'fd00:2::/64'])]
  const victim = peer('victim', ['10.3.0.0/16'])
  const poisoned = [
    peer('pad', ['10.4.0.0/16'], { publicKey: flipPadding(generateKeyPair().publicKey) }),
    peer('short', ['10.5.0.0/16'], { publicKey: Buffer.alloc(31, 7).toString('base64') }),
    ...WEAK.map((hex, i) => peer(`weak${i}`, [`10.6.${i}.0/24`], { publicKey: b64(hex) })),
    peer('own', ['10.7.0.0/16'], { publicKey: me.publicKey }),
    victim,
    peer('copycat', ['10.8.0.0/16'], { publicKey: victim.publicKey }),
    peer('badep', ['10.9.0.0/16'], { endpoint: { address: '192.0.2.1', port: 70000 } }),
    peer('badprefix', ['10.10.0.1/16']),
    peer('greedy', ['10.2.128.0/17']),
  ]
  const parsed = parseConfig(cfg([good[0] as PeerConfig, ...poisoned, good[1] as PeerConfig]), limits)
  assert.deepEqual([...parsed.peers.keys()], ['g1'], 'g2 overlaps greedy: both are skipped')
  const by = new Map(parsed.skipped.map((s) => [s.peerId, s.code]))
  assert.equal(by.get('pad'), 'VPCMESH_ERR_DATAPLANE_INVALID_KEY')
  assert.equal(by.get('short'), 'VPCMESH_ERR_DATAPLANE_INVALID_KEY')
  for (let i = 0; i < WEAK.length; i++) assert.equal(by.get(`weak${i}`), 'VPCMESH_ERR_DATAPLANE_INVALID_KEY', WEAK[i])
  assert.equal(by.get('own'), 'VPCMESH_ERR_DATAPLANE_INVALID_KEY')
  assert.equal(
    by.get('victim'),
    'VPCMESH_ERR_DATAPLANE_DUPLICATE_PEER',
    'we cannot tell which holder of a key is genuine',
  )
  assert.equal(by.get('copycat'), 'VPCMESH_ERR_DATAPLANE_DUPLICATE_PEER')
  assert.equal(by.get('badep'), 'VPCMESH_ERR_DATAPLANE_INVALID_ENDPOINT')
  assert.equal(by.get('badprefix'), 'VPCMESH_ERR_DATAPLANE_INVALID_PREFIX')
  assert.equal(by.get('greedy'), 'VPCMESH_ERR_DATAPLANE_PREFIX_OVERLAP')
  assert.equal(by.get('g2'), 'VPCMESH_ERR_DATAPLANE_PREFIX_OVERLAP')
  assert.equal(parsed.skipped.length, poisoned.length + 1)
  for (const s of parsed.skipped) assert.match(s.message, new RegExp(`^peer "${s.peerId}": `))
  assert.equal(parsed.skipped.find((s) => s.peerId === 'pad')?.name, 'name-pad')
})

test('config: duplicate ids and names skip every entry that shares them', () => {
  const a = peer('a', ['10.1.0.0/16'])
  const parsed = parseConfig(
    cfg([
      a,
      { ...peer('a', ['10.2.0.0/16']) },
      peer('n1', ['10.3.0.0/16'], { name: 'same' }),
      peer('n2', ['10.4.0.0/16'], { name: 'same' }),
      peer('ok', []),
    ]),
    limits,
  )
  assert.deepEqual([...parsed.peers.keys()], ['ok'])
  assert.deepEqual(
    parsed.skipped.map((s) => `${s.peerId} ${s.code}`),
    [
      'a VPCMESH_ERR_DATAPLANE_DUPLICATE_PEER',
      'a VPCMESH_ERR_DATAPLANE_DUPLICATE_PEER',
      'n1 VPCMESH_ERR_DATAPLANE_DUPLICATE_PEER',
      'n2 VPCMESH_ERR_DATAPLANE_DUPLICATE_PEER',
    ],
  )
})

test('config: only whole-config problems throw', () => {
  assert.throws(
    () => parseConfig({ privateKey: flipPadding(me.privateKey), peers: [] }, limits),
    (e) => isCode(e, 'VPCMESH_ERR_DATAPLANE_INVALID_KEY'),
  )
  assert.throws(
    () => parseConfig({ privateKey: me.privateKey } as unknown as DataplaneConfig, limits),
    (e) => isCode(e, 'VPCMESH_ERR_DATAPLANE_INVALID_CONFIG'),
  )
  const parsed = parseConfig(cfg([null as unknown as PeerConfig, peer('ok', [])]), limits)
  assert.deepEqual(
    parsed.skipped.map((s) => s.code),
    ['VPCMESH_ERR_DATAPLANE_INVALID_CONFIG'],
  )
  assert.deepEqual([...parsed.peers.keys()], ['ok'])
})
