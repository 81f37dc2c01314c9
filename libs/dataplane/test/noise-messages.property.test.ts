/**
 * Property-based tests of the handshake message parsers (docs/testing.md, "Property and
 * protocol fuzzing"): arbitrary bytes never throw and are refused, valid messages round-trip,
 * and any single-bit flip of a valid message is refused. fast-check prints the seed and the
 * shrunk counterexample on failure; `VPCMESH_TEST_SEED` replays a run.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  COOKIE_NONCE_BYTES,
  COOKIE_REPLY,
  INITIATION,
  MESSAGE_COOKIE_REPLY,
  MESSAGE_INITIATION,
  MESSAGE_RESPONSE,
  RESPONSE,
  checkMac,
  consumeCookieReply,
  consumeInitiation,
  consumeResponse,
  cookieKey,
  cookieReplyReceiver,
  createCookieReply,
  createInitiation,
  createResponse,
  generateX25519,
  type InitiatorHandshake,
  type LocalStatic,
  localStatic,
  makeCookie,
  messageType,
  rawPrivateKey,
  readU32,
  responseReceiver,
  tai64n,
  withMac2,
  writeMac1,
  writeU32,
} from '../src/noise/index.js'

const SEED = process.env.VPCMESH_TEST_SEED ? Number(process.env.VPCMESH_TEST_SEED) : undefined
/** Each property is bounded so the file runs in a few seconds (every run does X25519 work). */
const RUNS: fc.Parameters<unknown> = { numRuns: 150, ...(SEED === undefined ? {} : { seed: SEED }) }

const newLocal = (): LocalStatic => localStatic(rawPrivateKey(generateX25519().privateKey))
const initiator = newLocal()
const responder = newLocal()
const TS = tai64n(Date.UTC(2026, 0, 1))

/** One fresh valid initiation from `initiator` to `responder` (sender index `index`). */
function initiation(index: number): { message: Uint8Array; handshake: InitiatorHandshake } {
  const r = createInitiation(initiator, responder.keyPair.publicKey, index, TS)
  assert.ok(r.ok, 'createInitiation')
  return r.value
}

/** The responder's answer to `init`, with sender index `index`. */
function response(init: Uint8Array, index: number): Uint8Array {
  const got = consumeInitiation(responder, init)
  assert.ok(got.ok, `consumeInitiation: ${got.ok ? '' : got.reason}`)
  const r = createResponse(got.value, index)
  assert.ok(r.ok, 'createResponse')
  return r.value.message
}

/** A copy of `msg` with bit `bit` (0 = lowest bit of byte 0) inverted. */
function flip(msg: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(msg)
  out[bit >>> 3] = out[bit >>> 3]! ^ (1 << (bit & 7))
  return out
}

/** Arbitrary bytes, biased towards the exact lengths the parsers accept and a valid type. */
const datagram = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc
    .tuple(
      fc.constantFrom(INITIATION.size, INITIATION.sizeWithoutMac2, RESPONSE.size, COOKIE_REPLY.size),
      fc.constantFrom(MESSAGE_INITIATION, MESSAGE_RESPONSE, MESSAGE_COOKIE_REPLY, 0, 0xffffffff),
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    )
    .chain(([len, type, seed]) =>
      fc.uint8Array({ minLength: len, maxLength: len }).map((b) => {
        writeU32(b, 0, type)
        if (b.length >= 12) writeU32(b, 8, seed)
        return b
      }),
    ),
)

test('arbitrary datagrams never throw and are refused by every parser', () => {
  const pending = initiation(7)
  fc.assert(
    fc.property(datagram, (msg) => {
      assert.equal(consumeInitiation(responder, msg).ok, false)
      assert.equal(consumeResponse(initiator, pending.handshake, msg).ok, false)
      assert.equal(consumeCookieReply(cookieKey(responder.keyPair.publicKey), pending.message, msg), undefined)
      const type = messageType(msg)
      assert.ok(type === -1 || (type >= 0 && type <= 0xffffffff))
      const rr = responseReceiver(msg)
      assert.ok(rr === -1 || msg.length === RESPONSE.size)
      const cr = cookieReplyReceiver(msg)
      assert.ok(cr === -1 || msg.length === COOKIE_REPLY.size)
      assert.equal(typeof checkMac(responder.mac1Key, msg, INITIATION.offsetMac1), 'boolean')
    }),
    RUNS,
  )
})

test('arbitrary bytes with a valid mac1 get past the mac1 check and are still refused', () => {
  const pending = initiation(9)
  const sizes = fc.constantFrom(INITIATION.size, INITIATION.sizeWithoutMac2)
  fc.assert(
    fc.property(
      sizes.chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
      fc.uint8Array({ minLength: RESPONSE.size, maxLength: RESPONSE.size }),
      (init, resp) => {
        writeU32(init, 0, MESSAGE_INITIATION)
        writeMac1(responder.mac1Key, init, INITIATION.offsetMac1)
        const ci = consumeInitiation(responder, init)
        assert.equal(ci.ok, false)
        assert.ok(!ci.ok && (ci.reason === 'dh' || ci.reason === 'decrypt'), `reason ${!ci.ok && ci.reason}`)
        writeU32(resp, 0, MESSAGE_RESPONSE)
        writeU32(resp, RESPONSE.offsetReceiver, 9)
        writeMac1(initiator.mac1Key, resp, RESPONSE.offsetMac1)
        const cr = consumeResponse(initiator, pending.handshake, resp)
        assert.ok(!cr.ok && (cr.reason === 'dh' || cr.reason === 'decrypt'), `reason ${!cr.ok && cr.reason}`)
      },
    ),
    RUNS,
  )
})

test('valid initiations and responses round-trip: indices, keys and timestamp survive', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      fc.uint8Array({ minLength: 12, maxLength: 12 }),
      (iIndex, rIndex, ts) => {
        const r = createInitiation(initiator, responder.keyPair.publicKey, iIndex, ts)
        assert.ok(r.ok)
        assert.equal(r.value.message.length, INITIATION.sizeWithoutMac2)
        const got = consumeInitiation(responder, r.value.message)
        assert.ok(got.ok)
        assert.equal(got.value.remoteIndex, iIndex)
        assert.deepEqual(got.value.remoteStatic, initiator.keyPair.publicKey)
        assert.deepEqual(got.value.timestamp, ts)
        const resp = createResponse(got.value, rIndex)
        assert.ok(resp.ok)
        assert.equal(responseReceiver(resp.value.message), iIndex)
        const done = consumeResponse(initiator, r.value.handshake, resp.value.message)
        assert.ok(done.ok)
        assert.equal(done.value.remoteIndex, rIndex)
        assert.deepEqual(done.value.keys.sendKey, resp.value.keys.recvKey)
        assert.deepEqual(done.value.keys.recvKey, resp.value.keys.sendKey)
      },
    ),
    RUNS,
  )
})

test('valid cookie replies and mac2 round-trip', () => {
  const key = cookieKey(responder.keyPair.publicKey)
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.uint8Array({ minLength: COOKIE_NONCE_BYTES, maxLength: COOKIE_NONCE_BYTES }),
      fc.uint8Array({ minLength: 6, maxLength: 18 }),
      (index, secret, nonce, source) => {
        const sent = initiation(index).message
        const cookie = makeCookie(secret, source)
        const reply = createCookieReply(key, sent, cookie, nonce)
        assert.ok(reply !== undefined)
        assert.equal(cookieReplyReceiver(reply), index)
        assert.deepEqual(consumeCookieReply(key, sent, reply), cookie)
        const with2 = withMac2(sent, cookie)
        assert.equal(with2.length, INITIATION.size)
        assert.ok(checkMac(cookie, with2, INITIATION.offsetMac2))
        assert.ok(consumeInitiation(responder, with2).ok)
      },
    ),
    RUNS,
  )
})

test('any single-bit flip of an initiation (with or without mac2) is refused', () => {
  const cookie = makeCookie(new Uint8Array(16).fill(3), new Uint8Array(6))
  const plain = initiation(0x01020304).message
  const with2 = withMac2(plain, cookie)
  fc.assert(
    fc.property(fc.integer({ min: 0, max: plain.length * 8 - 1 }), (bit) => {
      const r = consumeInitiation(responder, flip(plain, bit))
      assert.equal(r.ok, false, `bit ${bit} of a ${plain.length}-byte initiation`)
    }),
    RUNS,
  )
  fc.assert(
    fc.property(fc.integer({ min: 0, max: with2.length * 8 - 1 }), (bit) => {
      const m = flip(with2, bit)
      // mac2 lies outside mac1 (messages.ts): the cookie checker refuses a flip there.
      const accepted = consumeInitiation(responder, m).ok && checkMac(cookie, m, INITIATION.offsetMac2)
      assert.equal(accepted, false, `bit ${bit} of a ${with2.length}-byte initiation`)
    }),
    RUNS,
  )
})

test('any single-bit flip of a response is refused', () => {
  const pending = initiation(0x0a0b0c0d)
  const resp = response(pending.message, 0x55667788)
  assert.ok(consumeResponse(initiator, pending.handshake, resp).ok)
  fc.assert(
    fc.property(fc.integer({ min: 0, max: resp.length * 8 - 1 }), (bit) => {
      assert.equal(consumeResponse(initiator, pending.handshake, flip(resp, bit)).ok, false, `bit ${bit}`)
    }),
    RUNS,
  )
})

test('any single-bit flip of a cookie reply is refused (by index or by the AEAD)', () => {
  const key = cookieKey(responder.keyPair.publicKey)
  const sent = initiation(0x11112222).message
  const reply = createCookieReply(key, sent, new Uint8Array(16).fill(9), new Uint8Array(COOKIE_NONCE_BYTES))
  assert.ok(reply !== undefined)
  fc.assert(
    fc.property(fc.integer({ min: 0, max: reply.length * 8 - 1 }), (bit) => {
      const m = flip(reply, bit)
      // The caller finds the pending initiation by the receiver index (handshaker.ts), so a
      // reply whose index no longer names `sent` never reaches consumeCookieReply with it.
      const forSent = cookieReplyReceiver(m) === readU32(sent, INITIATION.offsetSender)
      assert.ok(!forSent || consumeCookieReply(key, sent, m) === undefined, `bit ${bit}`)
    }),
    RUNS,
  )
})
