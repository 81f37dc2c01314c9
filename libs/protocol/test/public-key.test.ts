import { test } from 'node:test'
import assert from 'node:assert/strict'
import { diffieHellman, generateKeyPairSync, createPublicKey } from 'node:crypto'
import { LOW_ORDER_POINTS, checkPublicKey, isValidPublicKey } from '../src/index.js'

/** 32 little-endian bytes of `n` (mod 2^256). */
function le32(n: bigint): Buffer {
  const b = Buffer.alloc(32)
  for (let i = 0; i < 32; i++) {
    b[i] = Number(n & 0xffn)
    n >>= 8n
  }
  return b
}

/** A real X25519 public key, raw 32 bytes. */
function realKey(): Buffer {
  const der = generateKeyPairSync('x25519').publicKey.export({ format: 'der', type: 'spki' })
  return der.subarray(der.length - 32)
}

/** X25519 of a fresh private key with the raw public `u`: the shared secret, or undefined when OpenSSL refuses (all-zero). */
function dh(u: Buffer): Buffer | undefined {
  const spki = Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), u])
  try {
    const s = diffieHellman({
      privateKey: generateKeyPairSync('x25519').privateKey,
      publicKey: createPublicKey({ key: spki, format: 'der', type: 'spki' }),
    })
    return s.every((x) => x === 0) ? undefined : s
  } catch {
    return undefined
  }
}

test('checkPublicKey accepts real X25519 keys', () => {
  for (let i = 0; i < 50; i++) {
    const k = realKey().toString('base64')
    assert.equal(checkPublicKey(k), undefined, k)
    assert.equal(isValidPublicKey(k), true)
  }
})

test('checkPublicKey refuses non-canonical base64: flipped padding bits, wrong length, base64url, whitespace', () => {
  const k = realKey().toString('base64')
  const last = k[42] as string
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  const flipped = `${k.slice(0, 42) + (alphabet[alphabet.indexOf(last) ^ 1] as string)}=`
  assert.equal(Buffer.from(flipped, 'base64').equals(Buffer.from(k, 'base64')), true, 'decodes to the same bytes')
  assert.match(checkPublicKey(flipped) ?? '', /not canonical/)
  assert.match(checkPublicKey(Buffer.alloc(31, 7).toString('base64')) ?? '', /32 bytes/)
  assert.match(checkPublicKey(Buffer.alloc(33, 7).toString('base64')) ?? '', /32 bytes/)
  assert.match(checkPublicKey(k.replace('=', '')) ?? '', /32 bytes/)
  assert.match(checkPublicKey(` ${k.slice(1)}`) ?? '', /32 bytes/)
  assert.match(checkPublicKey(`${'-'.repeat(43)}=`) ?? '', /32 bytes/)
})

test('checkPublicKey refuses every low-order point, with or without the top bit, canonical or not', () => {
  for (const u of LOW_ORDER_POINTS) {
    for (const top of [0n, 1n << 255n]) {
      const text = le32(u | top).toString('base64')
      assert.match(checkPublicKey(text) ?? '', /low-order/, `u=${u} top=${top}`)
    }
  }
  assert.equal(LOW_ORDER_POINTS.length, 7)
})

test('the listed points really are of small order: X25519 with them yields no usable secret; a real key does', () => {
  for (const u of LOW_ORDER_POINTS) assert.equal(dh(le32(u)), undefined, `u=${u}`)
  assert.notEqual(dh(realKey()), undefined)
})
