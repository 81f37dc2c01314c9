/**
 * X25519 keys as raw 32-byte strings (RFC 7748) over node:crypto KeyObjects. node:crypto
 * takes X25519 keys only as DER/JWK/PEM, so raw keys are wrapped in fixed DER prefixes.
 */
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto'

/** Bytes of an X25519 key (private or public) and of a shared secret. */
export const KEY_BYTES = 32

/** PKCS#8 header of an X25519 private key (RFC 8410 §7): the raw key follows. */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex')
/** SubjectPublicKeyInfo header of an X25519 public key (RFC 8410 §4): the raw key follows. */
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex')

/** A private key ready for DH, with its raw public key. */
export interface X25519KeyPair {
  /** The private key as a KeyObject (never exported by this module except by `rawPrivateKey`). */
  readonly privateKey: KeyObject
  /** The raw 32-byte public key. */
  readonly publicKey: Uint8Array
}

/** A KeyObject for a raw 32-byte private key. Throws for another length. */
export function privateKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== KEY_BYTES) throw new RangeError(`X25519 private key must be ${KEY_BYTES} bytes, got ${raw.length}`)
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' })
}

/** A KeyObject for a raw 32-byte public key. Throws for another length. */
export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== KEY_BYTES) throw new RangeError(`X25519 public key must be ${KEY_BYTES} bytes, got ${raw.length}`)
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' })
}

/** The raw 32-byte public key of a KeyObject (public or private). */
export function rawPublicKey(key: KeyObject): Uint8Array {
  const pub = key.type === 'private' ? createPublicKey(key) : key
  return new Uint8Array(pub.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length))
}

/** The raw 32-byte private key of a private KeyObject (for config files and test vectors). */
export function rawPrivateKey(key: KeyObject): Uint8Array {
  return new Uint8Array(key.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length))
}

/** A key pair from a raw private key. */
export function keyPairFromRaw(rawPrivate: Uint8Array): X25519KeyPair {
  const privateKey = privateKeyFromRaw(rawPrivate)
  return { privateKey, publicKey: rawPublicKey(privateKey) }
}

/** A fresh random key pair (ephemeral or static). */
export function generateX25519(): X25519KeyPair {
  const { privateKey } = generateKeyPairSync('x25519')
  return { privateKey, publicKey: rawPublicKey(privateKey) }
}

/**
 * DH(private, public): the 32-byte shared secret, or `undefined` when the peer's public key
 * is malformed or of low order (OpenSSL refuses an all-zero result). Never throws.
 */
export function dh(privateKey: KeyObject, publicKey: Uint8Array): Uint8Array | undefined {
  try {
    return new Uint8Array(diffieHellman({ privateKey, publicKey: publicKeyFromRaw(publicKey) }))
  } catch {
    return undefined
  }
}
