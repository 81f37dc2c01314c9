/**
 * The data-message wire format in plain TypeScript with node:crypto, for the in-memory
 * fake engine and for tests that craft or inspect datagrams. Slow (allocates per message)
 * and deliberately simple; the native engine is the fast path and must match it byte for
 * byte (checked by test/wire-crypto.test.ts).
 */
import { createCipheriv, createDecipheriv, type CipherGCMTypes } from 'node:crypto'
import type { CipherName } from '../engine.js'

/** Wire constants, see native/wire_format.h. */
export const WIRE = {
  typeData: 4,
  headerSize: 16,
  tagSize: 16,
  overhead: 32,
  offsetReceiver: 4,
  offsetCounter: 8,
} as const

function nonceFor(counter: bigint): Buffer {
  const nonce = Buffer.alloc(12)
  nonce.writeBigUInt64LE(counter, 4)
  return nonce
}

// node's typings list GCM/CCM/OCB/chacha20 overloads separately; both of ours take a 16-byte tag.
const algo = (c: CipherName): CipherGCMTypes => c as CipherGCMTypes

/** Seals `plaintext` into one data message for `receiverIndex` with `counter`. */
export function sealDataMessage(
  cipher: CipherName,
  key: Uint8Array,
  receiverIndex: number,
  counter: bigint,
  plaintext: Uint8Array,
): Uint8Array {
  const out = Buffer.alloc(WIRE.overhead + plaintext.length)
  out.writeUInt32LE(WIRE.typeData, 0)
  out.writeUInt32LE(receiverIndex >>> 0, WIRE.offsetReceiver)
  out.writeBigUInt64LE(counter, WIRE.offsetCounter)
  const c = createCipheriv(algo(cipher), key, nonceFor(counter), { authTagLength: WIRE.tagSize })
  c.setAAD(out.subarray(0, WIRE.headerSize), { plaintextLength: plaintext.length })
  const body = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()])
  body.copy(out, WIRE.headerSize)
  return out
}

/** The receiver index and counter of a data message (caller checked the length). */
export function readDataHeader(msg: Uint8Array): { receiverIndex: number; counter: bigint } {
  const b = Buffer.from(msg.buffer, msg.byteOffset, msg.byteLength)
  return { receiverIndex: b.readUInt32LE(WIRE.offsetReceiver), counter: b.readBigUInt64LE(WIRE.offsetCounter) }
}

/** True if `msg` starts with the data-message type (a LE u32 equal to 4). */
export function isDataMessage(msg: Uint8Array): boolean {
  return msg.length >= 4 && msg[0] === WIRE.typeData && msg[1] === 0 && msg[2] === 0 && msg[3] === 0
}

/** Opens a data message; the plaintext, or undefined if authentication fails. */
export function openDataMessage(cipher: CipherName, key: Uint8Array, msg: Uint8Array): Uint8Array | undefined {
  if (msg.length < WIRE.overhead) return undefined
  const { counter } = readDataHeader(msg)
  const end = msg.length - WIRE.tagSize
  try {
    const d = createDecipheriv(algo(cipher), key, nonceFor(counter), { authTagLength: WIRE.tagSize })
    d.setAAD(msg.subarray(0, WIRE.headerSize), { plaintextLength: end - WIRE.headerSize })
    d.setAuthTag(msg.subarray(end))
    return Buffer.concat([d.update(msg.subarray(WIRE.headerSize, end)), d.final()])
  } catch {
    return undefined
  }
}
