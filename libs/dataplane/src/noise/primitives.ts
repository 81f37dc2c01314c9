/**
 * The crypto functions of `Noise_IK_25519_ChaChaPoly_SHA256` (Noise spec rev. 34 §4-5,
 * https://noiseprotocol.org/noise.html): SHA-256, HMAC-SHA256, the spec's HKDF and
 * ChaCha20-Poly1305 with the spec's nonce layout. All from node:crypto.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac } from 'node:crypto'

/** HASHLEN of SHA-256. */
export const HASH_BYTES = 32
/** Bytes of a Poly1305 tag. */
export const TAG_BYTES = 16

/** SHA-256 over the concatenation of `parts`. */
export function hash(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}

/** HMAC-SHA256(key, concatenation of `parts`). */
export function hmac(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = createHmac('sha256', key)
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}

/**
 * The Noise HKDF (spec §4.3): temp = HMAC(ck, ikm); out1 = HMAC(temp, 0x01);
 * out2 = HMAC(temp, out1 || 0x02). Equal to RFC 5869 HKDF with salt = ck and empty info.
 */
export function hkdf2(chainingKey: Uint8Array, ikm: Uint8Array): [Uint8Array, Uint8Array] {
  const temp = hmac(chainingKey, ikm)
  const out1 = hmac(temp, Uint8Array.of(1))
  const out2 = hmac(temp, out1, Uint8Array.of(2))
  temp.fill(0)
  return [out1, out2]
}

/** The ChaChaPoly nonce (spec §12.3): 32 bits of zeros, then `n` as 64-bit little-endian. */
function nonceOf(n: number): Buffer {
  const nonce = Buffer.alloc(12)
  nonce.writeBigUInt64LE(BigInt(n), 4)
  return nonce
}

/** ENCRYPT(k, n, ad, plaintext): ciphertext followed by the 16-byte tag. */
export function aeadSeal(key: Uint8Array, n: number, ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return sealWithNonce(key, nonceOf(n), ad, plaintext)
}

/** DECRYPT(k, n, ad, ciphertext||tag): the plaintext, or `undefined` if authentication fails. Never throws. */
export function aeadOpen(key: Uint8Array, n: number, ad: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
  return openWithNonce(key, nonceOf(n), ad, sealed)
}

/** ChaCha20-Poly1305 with an explicit 12-byte `nonce`: ciphertext followed by the 16-byte tag. */
export function sealWithNonce(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_BYTES })
  c.setAAD(ad, { plaintextLength: plaintext.length })
  return new Uint8Array(Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]))
}

/** The inverse of {@link sealWithNonce}: the plaintext, or `undefined` (bad tag, bad nonce length). Never throws. */
export function openWithNonce(
  key: Uint8Array,
  nonce: Uint8Array,
  ad: Uint8Array,
  sealed: Uint8Array,
): Uint8Array | undefined {
  if (sealed.length < TAG_BYTES) return undefined
  try {
    const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_BYTES })
    d.setAAD(ad, { plaintextLength: sealed.length - TAG_BYTES })
    d.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES))
    return new Uint8Array(Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG_BYTES)), d.final()]))
  } catch {
    return undefined
  }
}

/** Constant-time equality of two byte strings (false for different lengths). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0)
  return diff === 0
}
