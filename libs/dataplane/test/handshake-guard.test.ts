// The cheap gates in front of handshake DH work: mac1 before any bucket, cookies under load,
// the static-static DH only for known peers, and replay protection across restarts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FakeClock } from '@vpcmesh/common/testing'
import { COOKIE_SECRET_MS, CookieChecker } from '../src/cookie-checker.js'
import { decodeKey } from '../src/key-text.js'
import {
  checkMac,
  consumeCookieReply,
  consumeInitiation,
  cookieKey,
  createInitiation,
  generateX25519,
  hash,
  INITIATION,
  localStatic,
  mac1Key,
  MESSAGE_INITIATION,
  PROLOGUE,
  rawPrivateKey,
  SymmetricState,
  tai64n,
  writeMac,
  writeMac1,
  writeU32,
  dh,
  withMac2,
  type LocalStatic,
} from '../src/noise/index.js'
import { ipv4Packet, MemoryTimestampStore } from '../src/testing/index.js'
import { captureInitiations, metric, statusOf, threeNodes } from './mesh-helpers.js'

const newLocal = (): LocalStatic => localStatic(rawPrivateKey(generateX25519().privateKey))
const keyOf = (text: string): Uint8Array => decodeKey(text) ?? new Uint8Array(32)

/** An initiation from a fresh (unknown) key to `responderKey`: mac1 valid, so only DH work can refuse it. */
function strangerInitiation(responderKey: Uint8Array): Uint8Array {
  const r = createInitiation(newLocal(), responderKey, 9, tai64n(Date.now()))
  assert.ok(r.ok)
  return r.value.message
}

test('cookie: a reply opens only with the initiation it answers; the cookie authenticates mac2', () => {
  const clock = new FakeClock()
  const responder = newLocal()
  const checker = new CookieChecker({ clock })
  checker.setLocal(responder.keyPair.publicKey)
  const from = { address: '203.0.113.5', port: 40000 }
  const init = strangerInitiation(responder.keyPair.publicKey)
  const reply = checker.reply(init, from)
  assert.ok(reply !== undefined)
  assert.equal(reply.length, 52)
  const key = cookieKey(responder.keyPair.publicKey)
  const cookie = consumeCookieReply(key, init, reply)
  assert.ok(cookie !== undefined)
  assert.equal(
    consumeCookieReply(key, strangerInitiation(responder.keyPair.publicKey), reply),
    undefined,
    'AD is the mac1 of the initiation answered',
  )
  assert.equal(
    consumeCookieReply(cookieKey(newLocal().keyPair.publicKey), init, reply),
    undefined,
    'sealed under the responder key',
  )
  const bare = strangerInitiation(responder.keyPair.publicKey)
  assert.equal(bare.length, INITIATION.sizeWithoutMac2)
  assert.equal(checker.checkMac2(bare, from), false, 'mac2 absent')
  const zeros = new Uint8Array(INITIATION.size)
  zeros.set(bare)
  assert.equal(checker.checkMac2(zeros, from), false, 'mac2 of zeros')
  const retry = withMac2(bare, cookie)
  assert.equal(checker.checkMac2(retry, from), true)
  assert.equal(checker.checkMac2(retry, { ...from, port: 40001 }), false, 'the cookie is bound to address and port')
  assert.equal(checker.checkMac2(retry, { ...from, address: '203.0.113.6' }), false)
})

test('cookie: the secret rotates every 120 s on the injected clock; older cookies stop working', () => {
  const clock = new FakeClock()
  const checker = new CookieChecker({ clock })
  checker.setLocal(newLocal().keyPair.publicKey)
  const from = { address: '2001:db8::5', port: 51820 }
  const first = checker.cookieFor(from)
  assert.ok(first !== undefined)
  const msg = new Uint8Array(INITIATION.size)
  writeMac(first, msg, INITIATION.offsetMac2)
  clock.advance(COOKIE_SECRET_MS - 1)
  assert.deepEqual(checker.cookieFor(from), first)
  assert.equal(checker.checkMac2(msg, from), true)
  clock.advance(1)
  assert.notDeepEqual(checker.cookieFor(from), first)
  assert.equal(checker.checkMac2(msg, from), false)
  assert.equal(COOKIE_SECRET_MS, 120_000)
})

test("noise: the static-static DH runs only after the initiator's key was found among known peers", () => {
  // A hand-made initiation whose encrypted static key is a low-order point: the ss DH on it
  // fails. Refused as an unknown peer, it shows the lookup came first and no ss DH was tried.
  const r = newLocal()
  const e = generateX25519()
  const state = new SymmetricState(PROLOGUE)
  state.mixHash(r.keyPair.publicKey)
  const msg = new Uint8Array(INITIATION.size)
  writeU32(msg, 0, MESSAGE_INITIATION)
  msg.set(e.publicKey, INITIATION.offsetEphemeral)
  state.mixHash(e.publicKey)
  state.mixKey(dh(e.privateKey, r.keyPair.publicKey) ?? new Uint8Array(32))
  msg.set(state.encryptAndHash(new Uint8Array(32)), INITIATION.offsetStatic)
  writeMac1(mac1Key(r.keyPair.publicKey), msg, INITIATION.offsetMac1)
  let asked: Uint8Array | undefined
  const res = consumeInitiation(r, msg, (rs) => {
    asked = rs
    return false
  })
  assert.deepEqual(res, { ok: false, reason: 'unknown_peer' })
  assert.deepEqual(asked, new Uint8Array(32))
  assert.deepEqual(
    consumeInitiation(r, msg, () => true),
    { ok: false, reason: 'dh' },
    'a known key goes on to the ss DH',
  )
  assert.ok(hash(msg).length === 32)
})

test('mesh: junk and bad-mac1 initiations charge no bucket: a real initiation right after them needs no cookie', async () => {
  const mesh = threeNodes({ dataplane: { handshakeOnConfigure: false } })
  const b = mesh.node('b')
  const bad = new Uint8Array(INITIATION.size)
  writeU32(bad, 0, MESSAGE_INITIATION)
  for (let i = 0; i < 3000; i++) {
    const from = { address: `198.51.100.${i % 200}`, port: 1000 + i }
    mesh.network.send(Uint8Array.of(1, 0, 0, 0), from, b.endpoint)
    bad[8] = i & 0xff
    mesh.network.send(bad, from, b.endpoint)
    if (i % 20 === 19) await mesh.flush()
  }
  await mesh.flush()
  mesh.node('a').engine.injectTun(ipv4Packet('10.1.0.5', '10.2.0.7'))
  await mesh.step(100)
  const drops = b.dataplane.drops()
  assert.equal(drops.handshake_invalid, 3000)
  assert.equal(drops.handshake_bad_mac1, 3000)
  assert.equal(drops.handshake_rate_limited, 0)
  assert.equal(metric(mesh, 'b', 'vpcmesh_agent_handshake_cookie_replies_total', { direction: 'tx' }), 0)
  assert.equal(metric(mesh, 'b', 'vpcmesh_agent_handshakes_total', { result: 'completed' }), 1)
  mesh.close()
})

test('mesh: under load an initiation without a valid mac2 gets a cookie reply and no DH; the retry with the cookie is accepted', async () => {
  const mesh = threeNodes({
    start: false,
    dataplane: { handshakeOnConfigure: false, handshakeLimits: { global: { rate: 2, burst: 10 } } },
  })
  const a = mesh.node('a')
  const b = mesh.node('b')
  const sent = captureInitiations(mesh, 'a', 'b')
  for (const n of mesh.nodes) n.dataplane.start()
  const stranger = { address: '198.51.100.77', port: 4444 }
  const load = (n: number): void => {
    for (let i = 0; i < n; i++) mesh.network.send(strangerInitiation(keyOf(b.keys.publicKey)), stranger, b.endpoint)
  }
  load(10)
  await mesh.flush()
  assert.equal(b.dataplane.drops().unknown_peer, 5, 'half the burst is processed before the load mark')
  assert.equal(b.dataplane.drops().handshake_cookie_required, 5)
  a.engine.injectTun(ipv4Packet('10.1.0.5', '10.2.0.7'))
  await mesh.step(100)
  assert.equal(metric(mesh, 'b', 'vpcmesh_agent_handshake_cookie_replies_total', { direction: 'tx' }), 6)
  assert.equal(
    metric(mesh, 'a', 'vpcmesh_agent_handshake_cookie_replies_total', { direction: 'rx' }),
    1,
    'the initiator stored the cookie',
  )
  assert.equal(b.dataplane.drops().handshake_cookie_required, 6)
  assert.equal(statusOf(mesh, 'b', 'a').lastHandshakeAgeS, null)
  assert.equal(checkMac(new Uint8Array(16), sent[0] ?? new Uint8Array(0), INITIATION.offsetMac2), false)
  // Keep b under load (2 tokens/s refill, 4 initiations/s) until a retries on its own.
  for (let t = 0; t < 7000 && statusOf(mesh, 'b', 'a').lastHandshakeAgeS === null; t += 250) {
    load(1)
    await mesh.step(250)
  }
  assert.notEqual(statusOf(mesh, 'b', 'a').lastHandshakeAgeS, null, 'the retry carrying mac2 was accepted under load')
  assert.equal(sent.length, 2)
  const retry = sent[1] ?? new Uint8Array(0)
  const cookieReplies = metric(mesh, 'b', 'vpcmesh_agent_handshake_cookie_replies_total', { direction: 'tx' }) ?? 0
  const forged = Uint8Array.from(retry)
  forged[INITIATION.offsetMac2] = (forged[INITIATION.offsetMac2] ?? 0) ^ 1
  mesh.network.send(forged, a.endpoint, b.endpoint)
  mesh.network.send(retry, { ...a.endpoint, port: a.endpoint.port + 1 }, b.endpoint)
  await mesh.flush()
  assert.equal(
    metric(mesh, 'b', 'vpcmesh_agent_handshake_cookie_replies_total', { direction: 'tx' }),
    cookieReplies + 2,
    'bad mac2, and a valid one from another source, get cookie replies',
  )
  assert.equal(b.dataplane.drops().handshake_replay, 0, 'neither reached the DH')
  mesh.close()
})

test('mesh: with a timestamp store, an initiation captured before a restart is refused after it', async () => {
  const stores = new Map<string, MemoryTimestampStore>()
  const mesh = threeNodes({
    start: false,
    timestamps: (name) => {
      const s = stores.get(name) ?? new MemoryTimestampStore()
      stores.set(name, s)
      return s
    },
  })
  const captured = captureInitiations(mesh, 'a', 'b')
  for (const n of mesh.nodes) n.dataplane.start()
  await mesh.step(1000)
  const first = captured[0]
  assert.ok(first !== undefined)
  assert.ok((stores.get('b')?.saves ?? 0) >= 1, 'saved on the accepted initiation')
  const savesBefore = stores.get('b')?.saves ?? 0
  await mesh.step(10_000)
  assert.equal(stores.get('b')?.saves, savesBefore, 'no saves without handshakes (none per packet)')
  const b = mesh.restart('b')
  mesh.network.send(first, mesh.node('a').endpoint, b.endpoint)
  await mesh.flush()
  assert.equal(b.dataplane.drops().handshake_replay, 1)
  assert.equal(
    metric(mesh, 'b', 'vpcmesh_agent_handshakes_total', { result: 'rejected' }),
    1,
    'the replay got no response',
  )
  await mesh.step(10_000)
  assert.equal(statusOf(mesh, 'b', 'a').up, true, 'real handshakes still work after the restart')
  mesh.close()
})
