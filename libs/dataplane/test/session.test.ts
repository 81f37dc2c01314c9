import { test } from 'node:test'
import assert from 'node:assert/strict'
import { pickEviction, pickSendSession, type Session } from '../src/session.js'

const s = (slot: number, createdAt: number, confirmed: boolean, initiator = confirmed): Session => ({
  slot,
  localIndex: slot,
  remoteIndex: slot,
  createdAt,
  initiator,
  confirmed,
})

test('session: send with the newest confirmed session, never an unconfirmed one', () => {
  assert.equal(pickSendSession([]), undefined)
  assert.equal(pickSendSession([s(1, 10, false)]), undefined)
  assert.equal(pickSendSession([s(1, 10, true), s(2, 30, false), s(3, 20, true)])?.slot, 3)
})

test('session: make room by dropping the oldest unconfirmed, else the oldest not sending', () => {
  const a = s(1, 10, true)
  const b = s(2, 20, false)
  const c = s(3, 30, true)
  assert.equal(pickEviction([a, b, c], c), b)
  assert.equal(pickEviction([a, c, s(4, 40, true)], c), a)
  assert.equal(pickEviction([c, a], a), c)
})

test('session: a fresh unconfirmed session (a simultaneous handshake) outlives an old one not sending', () => {
  const previous = s(1, 10, true)
  const current = s(2, 20, true)
  const responder = s(3, 1000, false) // the peer's initiation, answered 100 ms ago
  assert.equal(pickEviction([previous, current, responder], current, 1100, 5000), previous)
  // Past the tie window it is superseded as before.
  assert.equal(pickEviction([previous, current, responder], current, 7000, 5000), responder)
  // Nothing else can go: it goes after all.
  assert.equal(pickEviction([current, responder], current, 1100, 5000), responder)
})

test('session: within the tie window both sides pick the session the lower key initiated', () => {
  // The same two sessions seen from each side: "x" initiated by the lower-keyed side L.
  const atLower = [s(1, 100, true, true), s(2, 103, true, false)]
  const atHigher = [s(1, 101, true, false), s(2, 102, true, true)]
  assert.equal(pickSendSession(atLower, true, 5000)?.slot, 1)
  assert.equal(pickSendSession(atHigher, false, 5000)?.slot, 1)
  // Outside the window the newest wins on both sides.
  assert.equal(pickSendSession([s(1, 100, true, true), s(2, 9000, true, false)], true, 5000)?.slot, 2)
})
