import { test } from 'node:test'
import assert from 'node:assert/strict'
import { aeadSeal, PROLOGUE, SymmetricState } from '../src/noise/index.js'

const ZERO = new Uint8Array(32)
const PLAIN = Uint8Array.of(1, 2, 3)

/** A state with a cipher key, one message already sealed (n = 1). */
function keyed(): SymmetricState {
  const s = new SymmetricState(PROLOGUE)
  s.mixKey(new Uint8Array(32).fill(3))
  s.encryptAndHash(PLAIN)
  return s
}

test('symmetric state: wipe() overwrites ck, k and h with zeros in place', () => {
  const s = keyed()
  s.wipe()
  assert.deepEqual(s.handshakeHash, ZERO)
  // Sealing now uses the zeroed key and h: the key array itself was overwritten.
  assert.deepEqual(s.encryptAndHash(PLAIN), aeadSeal(ZERO, 1, ZERO, PLAIN))
})

test('symmetric state: split() leaves no key material behind', () => {
  const s = keyed()
  const { k1, k2 } = s.split()
  assert.notDeepEqual(k1, ZERO)
  assert.notDeepEqual(k2, ZERO)
  assert.deepEqual(s.handshakeHash, ZERO)
  assert.deepEqual(s.encryptAndHash(PLAIN), aeadSeal(ZERO, 1, ZERO, PLAIN))
})
