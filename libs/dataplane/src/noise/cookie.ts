/**
 * Cookies (after the WireGuard paper §5.4.7): under load a responder answers an initiation
 * that lacks a valid mac2 with a cookie reply instead of doing any Diffie-Hellman. The cookie
 * is a MAC of the initiator's source address under a secret that rotates, so only a sender
 * that receives packets at that address can present it (as mac2 on its next initiation).
 * ```
 * cookie       = HMAC-SHA256(secret, source ip bytes || port u16 BE)[0, 16)
 * mac2         = HMAC-SHA256(cookie, initiation bytes before mac2)[0, 16)
 * cookie reply (52 B): type=3 u32 | receiver u32 | nonce 12 | ChaCha20-Poly1305(cookie) 16+16
 *   key = SHA256("cookie--" || responder's static public key), AD = mac1 of the initiation
 * ```
 * WireGuard seals the cookie with XChaCha20-Poly1305 and a 24-byte nonce; node:crypto has no
 * XChaCha20, so we use ChaCha20-Poly1305 with a random 12-byte nonce (a repeat is expected
 * only after about 2^48 replies under one key). Pure functions; nothing throws on bad input.
 */
import { hash, hmac, openWithNonce, sealWithNonce, TAG_BYTES } from './primitives.js'
import {
  INITIATION,
  MAC_BYTES,
  MESSAGE_COOKIE_REPLY,
  isInitiationLength,
  messageType,
  readU32,
  writeU32,
} from './messages.js'

/** Bytes of a cookie. */
export const COOKIE_BYTES = 16
/** Bytes of the cookie reply's nonce. */
export const COOKIE_NONCE_BYTES = 12

/** Byte offsets and size of a cookie reply. */
export const COOKIE_REPLY = {
  offsetReceiver: 4,
  offsetNonce: 8,
  offsetCookie: 8 + COOKIE_NONCE_BYTES,
  size: 8 + COOKIE_NONCE_BYTES + COOKIE_BYTES + TAG_BYTES,
} as const

const COOKIE_LABEL = new TextEncoder().encode('cookie--')

/** The key that seals cookie replies sent by the owner of `staticPublic`. */
export function cookieKey(staticPublic: Uint8Array): Uint8Array {
  return hash(COOKIE_LABEL, staticPublic)
}

/** The cookie of `source` (address bytes || port, see {@link sourceBytes}) under `secret`. */
export function makeCookie(secret: Uint8Array, source: Uint8Array): Uint8Array {
  const mac = hmac(secret, source)
  const cookie = mac.slice(0, COOKIE_BYTES)
  mac.fill(0)
  return cookie
}

/** Address bytes (4 or 16) followed by the port as u16 big-endian. */
export function sourceBytes(address: Uint8Array, port: number): Uint8Array {
  const out = new Uint8Array(address.length + 2)
  out.set(address)
  out[address.length] = (port >>> 8) & 0xff
  out[address.length + 1] = port & 0xff
  return out
}

/**
 * A cookie reply to the initiation `initiation` (its sender index becomes our receiver
 * index, its mac1 the AD), sealing `cookie` under `key` with `nonce` (12 random bytes).
 * Undefined when `initiation` is not initiation-sized.
 */
export function createCookieReply(
  key: Uint8Array,
  initiation: Uint8Array,
  cookie: Uint8Array,
  nonce: Uint8Array,
): Uint8Array | undefined {
  if (!isInitiationLength(initiation.length) || nonce.length !== COOKIE_NONCE_BYTES) return undefined
  const msg = new Uint8Array(COOKIE_REPLY.size)
  writeU32(msg, 0, MESSAGE_COOKIE_REPLY)
  writeU32(msg, COOKIE_REPLY.offsetReceiver, readU32(initiation, INITIATION.offsetSender))
  msg.set(nonce, COOKIE_REPLY.offsetNonce)
  msg.set(sealWithNonce(key, nonce, mac1Of(initiation), cookie), COOKIE_REPLY.offsetCookie)
  return msg
}

/** The receiver index of a cookie reply, or -1 when `msg` is not one. */
export function cookieReplyReceiver(msg: Uint8Array): number {
  if (msg.length !== COOKIE_REPLY.size || messageType(msg) !== MESSAGE_COOKIE_REPLY) return -1
  return readU32(msg, COOKIE_REPLY.offsetReceiver)
}

/**
 * The cookie in a reply to our initiation `sent` (sealed with `key`, the responder's
 * {@link cookieKey}), or undefined when the reply is malformed or not for `sent`.
 */
export function consumeCookieReply(key: Uint8Array, sent: Uint8Array, msg: Uint8Array): Uint8Array | undefined {
  if (cookieReplyReceiver(msg) < 0 || !isInitiationLength(sent.length)) return undefined
  const nonce = msg.subarray(COOKIE_REPLY.offsetNonce, COOKIE_REPLY.offsetCookie)
  const cookie = openWithNonce(key, nonce, mac1Of(sent), msg.subarray(COOKIE_REPLY.offsetCookie))
  return cookie?.length === COOKIE_BYTES ? cookie : undefined
}

/** The mac1 field of an initiation (a view). */
function mac1Of(initiation: Uint8Array): Uint8Array {
  return initiation.subarray(INITIATION.offsetMac1, INITIATION.offsetMac1 + MAC_BYTES)
}
