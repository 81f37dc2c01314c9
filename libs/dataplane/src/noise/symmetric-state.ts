/**
 * The Noise SymmetricState and CipherState (spec rev. 34 §5.1-5.2) for one handshake.
 * Mutable by design (the spec's object); each handshake owns its own instance.
 */
import { aeadOpen, aeadSeal, HASH_BYTES, hash, hkdf2 } from './primitives.js'

/** The protocol name; also the initial handshake hash (it is exactly HASHLEN = 32 bytes). */
export const PROTOCOL_NAME = 'Noise_IK_25519_ChaChaPoly_SHA256'

/** Keys of a finished handshake (Split, spec §5.2): the initiator sends with `k1`. */
export interface SplitKeys {
  /** 32 bytes: initiator → responder. */
  k1: Uint8Array
  /** 32 bytes: responder → initiator. */
  k2: Uint8Array
}

/** ck, h, and the CipherState's k and n. */
export class SymmetricState {
  private ck: Uint8Array
  private h: Uint8Array
  private k: Uint8Array | undefined
  private n = 0

  /** InitializeSymmetric(PROTOCOL_NAME) followed by MixHash(prologue). */
  constructor(prologue: Uint8Array) {
    const name = new TextEncoder().encode(PROTOCOL_NAME)
    const h = new Uint8Array(HASH_BYTES)
    if (name.length <= HASH_BYTES) h.set(name)
    else h.set(hash(name))
    this.h = h
    this.ck = Uint8Array.from(h)
    this.mixHash(prologue)
  }

  /** The handshake hash h (a copy): both sides hold the same value at the same step. */
  get handshakeHash(): Uint8Array {
    return Uint8Array.from(this.h)
  }

  /** An independent copy, so a message can be tried without spoiling the original on failure. */
  clone(): SymmetricState {
    const c = new SymmetricState(new Uint8Array(0))
    c.ck = Uint8Array.from(this.ck)
    c.h = Uint8Array.from(this.h)
    c.k = this.k === undefined ? undefined : Uint8Array.from(this.k)
    c.n = this.n
    return c
  }

  /** h = HASH(h || data). */
  mixHash(data: Uint8Array): void {
    this.h = hash(this.h, data)
  }

  /** ck, k = HKDF(ck, ikm); n = 0. The previous ck and k are wiped. */
  mixKey(ikm: Uint8Array): void {
    const [ck, k] = hkdf2(this.ck, ikm)
    this.ck.fill(0)
    this.k?.fill(0)
    this.ck = ck
    this.k = k
    this.n = 0
  }

  /** Encrypts `plaintext` with ad = h (or passes it through before any key), then mixes the result into h. */
  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const out = this.k === undefined ? Uint8Array.from(plaintext) : aeadSeal(this.k, this.n++, this.h, plaintext)
    this.mixHash(out)
    return out
  }

  /** The inverse of {@link encryptAndHash}; `undefined` when authentication fails (the state is then unusable). */
  decryptAndHash(ciphertext: Uint8Array): Uint8Array | undefined {
    const out = this.k === undefined ? Uint8Array.from(ciphertext) : aeadOpen(this.k, this.n++, this.h, ciphertext)
    if (out !== undefined) this.mixHash(ciphertext)
    return out
  }

  /** Split(): the two transport keys. Wipes ck and k afterwards; the state must not be used again. */
  split(): SplitKeys {
    const [k1, k2] = hkdf2(this.ck, new Uint8Array(0))
    this.wipe()
    return { k1, k2 }
  }

  /** Zeroes ck, k and h (an abandoned or finished handshake); the state must not be used again. Idempotent. */
  wipe(): void {
    this.ck.fill(0)
    this.k?.fill(0)
    this.h.fill(0)
  }
}
