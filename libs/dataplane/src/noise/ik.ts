/**
 * The Noise IK handshake (spec rev. 34 §7.5) as pure functions over byte messages:
 * ```
 * IK:  <- s
 *      ...
 *      -> e, es, s, ss     initiation, payload = TAI64N timestamp
 *      <- e, ee, se        response, empty payload
 * ```
 * Each call takes what it needs and returns a value or a failure reason; nothing throws on
 * bad input. State that must survive between calls (the initiator's) is returned to the
 * caller, who owns it. Policy (who may initiate, replayed timestamps, indices) is the caller's.
 */
import {
  INITIATION,
  MESSAGE_INITIATION,
  MESSAGE_RESPONSE,
  RESPONSE,
  checkMac1,
  isInitiationLength,
  mac1Key,
  messageType,
  readU32,
  writeMac1,
  writeU32,
} from './messages.js'
import { SymmetricState } from './symmetric-state.js'
import { TIMESTAMP_BYTES } from './timestamp.js'
import { dh, generateX25519, KEY_BYTES, keyPairFromRaw, type X25519KeyPair } from './x25519.js'

/**
 * Mixed into h before the first message: both ends must agree on it. Still v1: cookies and
 * mac2 (added 2026-12-01) sit outside the transcript, and an initiation without mac2 is
 * byte-for-byte a v1 one (messages.ts).
 */
export const PROLOGUE = new TextEncoder().encode('vpcmesh tunnel v1')

/** Why a handshake message was refused. */
export type HandshakeFailure = 'length' | 'type' | 'mac1' | 'dh' | 'decrypt' | 'unknown_peer'

/** A value, or why there is none. */
export type HandshakeResult<T> = { ok: true; value: T } | { ok: false; reason: HandshakeFailure }

/** Our static identity: key pair and the mac1 key of messages sent to us. */
export interface LocalStatic {
  readonly keyPair: X25519KeyPair
  readonly mac1Key: Uint8Array
}

/** Transport keys of one side, as the engine takes them. */
export interface TransportKeys {
  /** 32 bytes: seals what this side sends. */
  sendKey: Uint8Array
  /** 32 bytes: opens what this side receives. */
  recvKey: Uint8Array
}

/** The initiator's state between sending an initiation and reading the response. */
export interface InitiatorHandshake {
  /** Our sender index in the initiation (the responder's receiver index). */
  readonly localIndex: number
  /** The responder's static public key. */
  readonly remoteStatic: Uint8Array
  readonly state: SymmetricState
  readonly ephemeral: X25519KeyPair
}

/** What a valid initiation told the responder. */
export interface ReceivedInitiation {
  /** The initiator's static public key (the caller checks it is a configured peer). */
  readonly remoteStatic: Uint8Array
  /** The initiator's sender index (our remote index). */
  readonly remoteIndex: number
  /** TAI64N label (the caller rejects labels not newer than the last from this peer). */
  readonly timestamp: Uint8Array
  readonly remoteEphemeral: Uint8Array
  readonly state: SymmetricState
}

const fail = <T>(reason: HandshakeFailure): HandshakeResult<T> => ({ ok: false, reason })

/** Builds our {@link LocalStatic} from a raw 32-byte private key. Throws for a wrong length. */
export function localStatic(rawPrivate: Uint8Array): LocalStatic {
  const keyPair = keyPairFromRaw(rawPrivate)
  return { keyPair, mac1Key: mac1Key(keyPair.publicKey) }
}

/** Mixes DH(priv, pub) into `state` and wipes the DH output; false when the DH fails (bad or low-order public key). */
function mixDh(state: SymmetricState, kp: X25519KeyPair, pub: Uint8Array): boolean {
  const shared = dh(kp.privateKey, pub)
  if (shared === undefined) return false
  state.mixKey(shared)
  shared.fill(0)
  return true
}

/** Wipes `state` and fails with `reason`. */
function abandon<T>(state: SymmetricState, reason: HandshakeFailure): HandshakeResult<T> {
  state.wipe()
  return fail(reason)
}

/**
 * Writes an initiation to `remoteStatic`, without mac2 (see messages.ts; `withMac2` adds it
 * for an initiator that holds a cookie). `ephemeral` is fresh unless a test passes one.
 * Fails with 'dh' only when `remoteStatic` is not a usable X25519 key.
 */
export function createInitiation(
  local: LocalStatic,
  remoteStatic: Uint8Array,
  senderIndex: number,
  timestamp: Uint8Array,
  ephemeral: X25519KeyPair = generateX25519(),
): HandshakeResult<{ message: Uint8Array; handshake: InitiatorHandshake }> {
  const state = new SymmetricState(PROLOGUE)
  state.mixHash(remoteStatic)
  const msg = new Uint8Array(INITIATION.sizeWithoutMac2)
  writeU32(msg, 0, MESSAGE_INITIATION)
  writeU32(msg, INITIATION.offsetSender, senderIndex)
  msg.set(ephemeral.publicKey, INITIATION.offsetEphemeral)
  state.mixHash(ephemeral.publicKey)
  if (!mixDh(state, ephemeral, remoteStatic)) return abandon(state, 'dh')
  msg.set(state.encryptAndHash(local.keyPair.publicKey), INITIATION.offsetStatic)
  if (!mixDh(state, local.keyPair, remoteStatic)) return abandon(state, 'dh')
  msg.set(state.encryptAndHash(timestamp), INITIATION.offsetTimestamp)
  writeMac1(mac1Key(remoteStatic), msg, INITIATION.offsetMac1)
  return { ok: true, value: { message: msg, handshake: { localIndex: senderIndex, remoteStatic, state, ephemeral } } }
}

/**
 * Reads an initiation sent to us: checks mac1 first (cheap), then the es DH to decrypt the
 * initiator's static key, then asks `isKnown` about that key, and only for a known key runs
 * the static-static DH: an unknown sender costs one DH, not two. mac2 is not checked here
 * (cookie-checker.ts does, under load). Fails with 'unknown_peer' when `isKnown` says no.
 */
export function consumeInitiation(
  local: LocalStatic,
  msg: Uint8Array,
  isKnown: (remoteStatic: Uint8Array) => boolean = () => true,
): HandshakeResult<ReceivedInitiation> {
  if (!isInitiationLength(msg.length)) return fail('length')
  if (messageType(msg) !== MESSAGE_INITIATION) return fail('type')
  if (!checkMac1(local.mac1Key, msg, INITIATION.offsetMac1)) return fail('mac1')
  const state = new SymmetricState(PROLOGUE)
  state.mixHash(local.keyPair.publicKey)
  const re = msg.slice(INITIATION.offsetEphemeral, INITIATION.offsetEphemeral + KEY_BYTES)
  state.mixHash(re)
  if (!mixDh(state, local.keyPair, re)) return abandon(state, 'dh')
  const rs = state.decryptAndHash(msg.subarray(INITIATION.offsetStatic, INITIATION.offsetTimestamp))
  if (rs === undefined) return abandon(state, 'decrypt')
  if (!isKnown(rs)) return abandon(state, 'unknown_peer')
  if (!mixDh(state, local.keyPair, rs)) return abandon(state, 'dh')
  const timestamp = state.decryptAndHash(msg.subarray(INITIATION.offsetTimestamp, INITIATION.offsetMac1))
  if (timestamp === undefined || timestamp.length !== TIMESTAMP_BYTES) return abandon(state, 'decrypt')
  return {
    ok: true,
    value: {
      remoteStatic: rs,
      remoteIndex: readU32(msg, INITIATION.offsetSender),
      timestamp,
      remoteEphemeral: re,
      state,
    },
  }
}

/** Writes the response to a consumed initiation and derives the responder's transport keys. */
export function createResponse(
  init: ReceivedInitiation,
  senderIndex: number,
  ephemeral: X25519KeyPair = generateX25519(),
): HandshakeResult<{ message: Uint8Array; keys: TransportKeys }> {
  const { state } = init
  const msg = new Uint8Array(RESPONSE.size)
  writeU32(msg, 0, MESSAGE_RESPONSE)
  writeU32(msg, RESPONSE.offsetSender, senderIndex)
  writeU32(msg, RESPONSE.offsetReceiver, init.remoteIndex)
  msg.set(ephemeral.publicKey, RESPONSE.offsetEphemeral)
  state.mixHash(ephemeral.publicKey)
  if (!mixDh(state, ephemeral, init.remoteEphemeral)) return abandon(state, 'dh')
  if (!mixDh(state, ephemeral, init.remoteStatic)) return abandon(state, 'dh')
  msg.set(state.encryptAndHash(new Uint8Array(0)), RESPONSE.offsetEmpty)
  writeMac1(mac1Key(init.remoteStatic), msg, RESPONSE.offsetMac1)
  const { k1, k2 } = state.split()
  return { ok: true, value: { message: msg, keys: { sendKey: k2, recvKey: k1 } } }
}

/** The receiver index of a response (to find the pending handshake), or -1 if it is not one. */
export function responseReceiver(msg: Uint8Array): number {
  if (msg.length !== RESPONSE.size || messageType(msg) !== MESSAGE_RESPONSE) return -1
  return readU32(msg, RESPONSE.offsetReceiver)
}

/**
 * Reads the response to our initiation and derives the initiator's transport keys. Works on
 * a copy of the state, so a forged response (mac1 is computable by anyone who knows our
 * public key) cannot spoil `hs` for the real one; the caller drops `hs` on success.
 */
export function consumeResponse(
  local: LocalStatic,
  hs: InitiatorHandshake,
  msg: Uint8Array,
): HandshakeResult<{ remoteIndex: number; keys: TransportKeys }> {
  if (msg.length !== RESPONSE.size) return fail('length')
  if (messageType(msg) !== MESSAGE_RESPONSE || readU32(msg, RESPONSE.offsetReceiver) !== hs.localIndex)
    return fail('type')
  if (!checkMac1(local.mac1Key, msg, RESPONSE.offsetMac1)) return fail('mac1')
  const re = msg.slice(RESPONSE.offsetEphemeral, RESPONSE.offsetEphemeral + KEY_BYTES)
  const state = hs.state.clone()
  state.mixHash(re)
  if (!mixDh(state, hs.ephemeral, re)) return abandon(state, 'dh')
  if (!mixDh(state, local.keyPair, re)) return abandon(state, 'dh')
  if (state.decryptAndHash(msg.subarray(RESPONSE.offsetEmpty, RESPONSE.offsetMac1)) === undefined)
    return abandon(state, 'decrypt')
  const { k1, k2 } = state.split()
  return { ok: true, value: { remoteIndex: readU32(msg, RESPONSE.offsetSender), keys: { sendKey: k1, recvKey: k2 } } }
}
