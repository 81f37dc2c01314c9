/** Key text as configuration carries it: raw 32-byte X25519 keys in standard base64. */
import { DataplaneError } from './errors.js'
import { generateX25519, KEY_BYTES, keyPairFromRaw, rawPrivateKey } from './noise/x25519.js'

/** A key pair as base64 text (44 characters each). */
export interface KeyPairText {
  /** Base64 of the raw 32-byte private key. Secret: store 0600, never log. */
  privateKey: string
  /** Base64 of the raw 32-byte public key. */
  publicKey: string
}

/** The 32 bytes of base64 key text, or `undefined` unless it is canonical base64 of exactly 32 bytes. */
export function decodeKey(text: unknown): Uint8Array | undefined {
  if (typeof text !== 'string') return undefined
  const buf = Buffer.from(text, 'base64')
  if (buf.length !== KEY_BYTES || buf.toString('base64') !== text) return undefined
  return new Uint8Array(buf)
}

/** Base64 of raw key bytes. */
export function encodeKey(raw: Uint8Array): string {
  return Buffer.from(raw).toString('base64')
}

/** A fresh random X25519 key pair as base64 text (for `agent init` and tests). */
export function generateKeyPair(): KeyPairText {
  const kp = generateX25519()
  return { privateKey: encodeKey(rawPrivateKey(kp.privateKey)), publicKey: encodeKey(kp.publicKey) }
}

/**
 * The base64 public key of a base64 private key.
 * @throws DataplaneError VPCMESH_ERR_DATAPLANE_INVALID_KEY unless `privateKey` is base64 of 32 bytes
 */
export function publicKeyOf(privateKey: string): string {
  const raw = decodeKey(privateKey)
  if (raw === undefined)
    throw new DataplaneError('VPCMESH_ERR_DATAPLANE_INVALID_KEY', 'private key must be base64 of 32 bytes')
  return encodeKey(keyPairFromRaw(raw).publicKey)
}
