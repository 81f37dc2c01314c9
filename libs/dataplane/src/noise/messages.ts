/**
 * Handshake message layouts (WireGuard-like, little-endian; cf. the WireGuard paper §5.4)
 * and mac1. Data messages (type 4) belong to the packet engine (libs/tun wire format).
 *
 * ```
 * initiation (132 B): type=1 u32 | sender u32 | ephemeral 32 | static 32+16 | timestamp 12+16 | mac1 16
 *   with a cookie (148 B): the same, then mac2 16
 * response    (76 B): type=2 u32 | sender u32 | receiver u32 | ephemeral 32 | empty 0+16 | mac1 16
 * cookie reply (52 B): type=3 u32 | receiver u32 | nonce 12 | cookie 16+16      (noise/cookie.ts)
 * ```
 * mac1 = HMAC-SHA256(SHA256("mac1----" || receiver's static public key), bytes before mac1)
 * truncated to 16 bytes: junk is rejected before any DH. mac2 (initiations only) proves the
 * source address under load (noise/cookie.ts). It is sent only by an initiator that holds a
 * cookie: without one the initiation is the 132 bytes of tunnel protocol v1, byte for byte, so
 * agents of 0.1 and later keep handshaking with each other across a rolling upgrade. mac2 lies
 * outside the Noise transcript, so both lengths carry the same handshake.
 */
import { bytesEqual, hash, hmac, TAG_BYTES } from './primitives.js'
import { TIMESTAMP_BYTES } from './timestamp.js'
import { KEY_BYTES } from './x25519.js'

/** Message type of an initiation (first u32, little-endian). */
export const MESSAGE_INITIATION = 1
/** Message type of a response. */
export const MESSAGE_RESPONSE = 2
/** Message type of a cookie reply (noise/cookie.ts). */
export const MESSAGE_COOKIE_REPLY = 3
/** Bytes of mac1 and of mac2. */
export const MAC_BYTES = 16

/** Byte offsets and sizes of an initiation. */
export const INITIATION = {
  offsetSender: 4,
  offsetEphemeral: 8,
  offsetStatic: 40,
  offsetTimestamp: 40 + KEY_BYTES + TAG_BYTES,
  offsetMac1: 40 + KEY_BYTES + TAG_BYTES + TIMESTAMP_BYTES + TAG_BYTES,
  offsetMac2: 40 + KEY_BYTES + TAG_BYTES + TIMESTAMP_BYTES + TAG_BYTES + MAC_BYTES,
  /** With mac2 (the initiator holds a cookie). */
  size: 40 + KEY_BYTES + TAG_BYTES + TIMESTAMP_BYTES + TAG_BYTES + 2 * MAC_BYTES,
  /** Without mac2: tunnel protocol v1's initiation, and ours when we hold no cookie. */
  sizeWithoutMac2: 40 + KEY_BYTES + TAG_BYTES + TIMESTAMP_BYTES + TAG_BYTES + MAC_BYTES,
} as const

/** True when `length` is that of an initiation, with or without mac2. */
export function isInitiationLength(length: number): boolean {
  return length === INITIATION.size || length === INITIATION.sizeWithoutMac2
}

/** Byte offsets and sizes of a response. */
export const RESPONSE = {
  offsetSender: 4,
  offsetReceiver: 8,
  offsetEphemeral: 12,
  offsetEmpty: 44,
  offsetMac1: 44 + TAG_BYTES,
  size: 44 + TAG_BYTES + MAC_BYTES,
} as const

const MAC1_LABEL = new TextEncoder().encode('mac1----')

/** The mac1 key of messages sent to the owner of `staticPublic`. */
export function mac1Key(staticPublic: Uint8Array): Uint8Array {
  return hash(MAC1_LABEL, staticPublic)
}

/** Computes a MAC (mac1 or mac2) over `msg[0, macOffset)` and writes it at `macOffset`. */
export function writeMac(key: Uint8Array, msg: Uint8Array, macOffset: number): void {
  msg.set(hmac(key, msg.subarray(0, macOffset)).subarray(0, MAC_BYTES), macOffset)
}

/**
 * The initiation `initiation` (without mac2) extended by the mac2 of `cookie`: a new
 * {@link INITIATION.size}-byte array; `initiation` is not changed.
 */
export function withMac2(initiation: Uint8Array, cookie: Uint8Array): Uint8Array {
  const out = new Uint8Array(INITIATION.size)
  out.set(initiation.subarray(0, INITIATION.offsetMac2))
  writeMac(cookie, out, INITIATION.offsetMac2)
  return out
}

/** Computes mac1 over `msg[0, macOffset)` and writes it at `macOffset`. */
export function writeMac1(key: Uint8Array, msg: Uint8Array, macOffset: number): void {
  writeMac(key, msg, macOffset)
}

/**
 * True when the MAC at `macOffset` is the first 16 bytes of HMAC-SHA256(key, bytes before it)
 * (constant-time compare). Checks mac1 (key: {@link mac1Key}) and mac2 (key: the cookie).
 * False when `msg` is too short.
 */
export function checkMac(key: Uint8Array, msg: Uint8Array, macOffset: number): boolean {
  if (msg.length < macOffset + MAC_BYTES) return false
  const want = hmac(key, msg.subarray(0, macOffset)).subarray(0, MAC_BYTES)
  return bytesEqual(want, msg.subarray(macOffset, macOffset + MAC_BYTES))
}

/** True when mac1 at `macOffset` is right (see {@link checkMac}). */
export function checkMac1(key: Uint8Array, msg: Uint8Array, macOffset: number): boolean {
  return checkMac(key, msg, macOffset)
}

/** The message type of a raw datagram: its first u32 LE, or -1 when shorter than 4 bytes. */
export function messageType(msg: Uint8Array): number {
  if (msg.length < 4) return -1
  return ((msg[0] ?? 0) | ((msg[1] ?? 0) << 8) | ((msg[2] ?? 0) << 16) | ((msg[3] ?? 0) << 24)) >>> 0
}

/** Reads a u32 LE at `offset` (caller checked the length). */
export function readU32(msg: Uint8Array, offset: number): number {
  return (
    ((msg[offset] ?? 0) |
      ((msg[offset + 1] ?? 0) << 8) |
      ((msg[offset + 2] ?? 0) << 16) |
      ((msg[offset + 3] ?? 0) << 24)) >>>
    0
  )
}

/** Writes a u32 LE at `offset`. */
export function writeU32(msg: Uint8Array, offset: number, value: number): void {
  msg[offset] = value & 0xff
  msg[offset + 1] = (value >>> 8) & 0xff
  msg[offset + 2] = (value >>> 16) & 0xff
  msg[offset + 3] = (value >>> 24) & 0xff
}
