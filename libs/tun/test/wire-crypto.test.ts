// The native sealer and the TypeScript wire format (used by the fake engine) must agree
// byte for byte, for both ciphers.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes, randomInt } from 'node:crypto'
import { nativeTestHooks, openDataMessage, readDataHeader, sealDataMessage, WIRE } from '../src/testing/index.js'
import type { CipherName } from '../src/index.js'

const CIPHERS: CipherName[] = ['aes-256-gcm', 'chacha20-poly1305']

test('wire format: native seal equals node:crypto seal and opens with it', () => {
  const hooks = nativeTestHooks()
  assert.equal(hooks.constants.overhead, WIRE.overhead)
  assert.equal(hooks.constants.headerSize, WIRE.headerSize)
  for (const cipher of CIPHERS) {
    for (const size of [0, 1, 15, 16, 17, 1420, randomInt(1, 9000)]) {
      const key = randomBytes(32)
      const counter = BigInt(randomInt(0, 2 ** 47))
      const index = randomInt(0, 2 ** 32)
      const plain = randomBytes(size)
      const native = hooks.sealForTest(cipher, key, index, counter, plain)
      const ts = sealDataMessage(cipher, key, index, counter, plain)
      assert.deepEqual(Buffer.from(native), Buffer.from(ts), `${cipher} ${size}`)
      assert.deepEqual(readDataHeader(native), { receiverIndex: index, counter })
      assert.deepEqual(Buffer.from(openDataMessage(cipher, key, native) ?? []), plain)
    }
  }
})

test('wire format: the header is authenticated and tampering fails', () => {
  const key = randomBytes(32)
  const msg = Buffer.from(sealDataMessage('aes-256-gcm', key, 7, 9n, Buffer.from('hello')))
  for (const at of [1, 4, 8, 16, msg.length - 1]) {
    const t = Buffer.from(msg)
    t[at] = (t[at] ?? 0) ^ 0x80
    assert.equal(openDataMessage('aes-256-gcm', key, t), undefined, `byte ${at}`)
  }
  assert.equal(openDataMessage('aes-256-gcm', randomBytes(32), msg), undefined, 'wrong key')
})
