// A handshake flood against every node of an in-memory mesh (bounded in count and fake
// time, nothing leaves the process): junk, bad-mac1 initiations and mac1-valid initiations
// from strangers at spoofed IPv4 and IPv6 sources. A node restarted during the flood must get
// all its tunnels back within 10 s.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeKey } from '../src/key-text.js'
import {
  createInitiation,
  generateX25519,
  INITIATION,
  localStatic,
  MESSAGE_INITIATION,
  rawPrivateKey,
  tai64n,
  writeU32,
} from '../src/noise/index.js'
import { ipv4Packet, MemoryTimestampStore, type MeshNode, type TestMesh } from '../src/testing/index.js'
import { statusOf, threeNodes } from './mesh-helpers.js'

const STEP_MS = 50
/** Per node and step (50 ms): 1000/s junk, 200/s bad mac1, 1000/s mac1-valid strangers. */
const PER_STEP = { junk: 50, badMac1: 10, strangers: 50 }

/** Sends one step of flood to every node; returns the datagrams sent. */
function floodStep(mesh: TestMesh, pools: Map<string, Uint8Array[]>, step: number): number {
  let sent = 0
  const bad = new Uint8Array(INITIATION.size)
  writeU32(bad, 0, MESSAGE_INITIATION)
  for (const n of mesh.nodes) {
    const pool = pools.get(n.name) ?? []
    for (let i = 0; i < PER_STEP.junk + PER_STEP.badMac1 + PER_STEP.strangers; i++) {
      const k = step * 131 + i
      const from =
        i % 2 === 0
          ? { address: `198.51.${k % 250}.${(k >> 8) % 250}`, port: 1024 + (k % 60000) }
          : { address: `2001:db8:${(k % 65535).toString(16)}::${(i + 1).toString(16)}`, port: 4000 + i }
      let d: Uint8Array
      if (i < PER_STEP.junk) d = Uint8Array.of(1, 0, 0, 0)
      else if (i < PER_STEP.junk + PER_STEP.badMac1) {
        bad[8] = k & 0xff
        d = bad
      } else d = pool[k % pool.length] ?? bad
      mesh.network.send(d, from, n.endpoint)
      sent++
    }
  }
  return sent
}

/** Mac1-valid initiations from unknown keys to `node` (a pool reused by the flood). */
function strangerPool(node: MeshNode, size: number): Uint8Array[] {
  const key = decodeKey(node.keys.publicKey) ?? new Uint8Array(32)
  return Array.from({ length: size }, (_, i) => {
    const r = createInitiation(localStatic(rawPrivateKey(generateX25519().privateKey)), key, i, tai64n(Date.now()))
    assert.ok(r.ok)
    return r.value.message
  })
}

test('mesh: during a junk and initiation flood at every node, a restarted node re-establishes all its tunnels within 10 s', async () => {
  const stores = new Map(['a', 'b', 'c'].map((n) => [n, new MemoryTimestampStore()]))
  const mesh = threeNodes({ timestamps: (name) => stores.get(name) })
  await mesh.step(1000)
  for (const [n, p] of [
    ['b', 'a'],
    ['b', 'c'],
  ] as const)
    assert.equal(statusOf(mesh, n, p).up, true, `${n}→${p} before the flood`)
  const pools = new Map(mesh.nodes.map((n) => [n.name, strangerPool(n, 16)]))
  let sent = 0
  let step = 0
  for (; step < 2000 / STEP_MS; step++) {
    sent += floodStep(mesh, pools, step)
    await mesh.step(STEP_MS)
  }
  // The flood is queued before anything the restarted node sends, as in a continuous flood.
  sent += floodStep(mesh, pools, step++)
  const dhAtRestart = new Map(['a', 'c'].map((n) => [n, mesh.node(n).dataplane.drops().unknown_peer]))
  const b = mesh.restart('b')
  const restartedAt = mesh.clock.monotonic()
  const maxSteps = step + 12_000 / STEP_MS
  const back = (): boolean =>
    statusOf(mesh, 'b', 'a').lastHandshakeAgeS !== null && statusOf(mesh, 'b', 'c').lastHandshakeAgeS !== null
  await mesh.step(STEP_MS)
  while (step < maxSteps && !back()) {
    sent += floodStep(mesh, pools, step++)
    await mesh.step(STEP_MS)
  }
  const tookMs = mesh.clock.monotonic() - restartedAt
  assert.ok(back(), `b has no tunnels ${tookMs} ms after its restart`)
  assert.ok(tookMs <= 10_000, `b took ${tookMs} ms`)
  console.log(`# b re-established its tunnels ${tookMs} ms after its restart`)
  const drops = b.dataplane.drops()
  assert.ok(drops.handshake_cookie_required > 0, 'the flood put b under load')
  assert.ok(drops.handshake_bad_mac1 > 0)
  for (const [peer, dst] of [
    ['a', '10.1.0.9'],
    ['c', '10.3.0.9'],
  ] as const) {
    const writes = mesh.node(peer).engine.tunWrites.length
    for (let i = 0; i < 5 && mesh.node(peer).engine.tunWrites.length === writes; i++) {
      b.engine.injectTun(ipv4Packet('10.2.0.7', dst))
      sent += floodStep(mesh, pools, step++)
      await mesh.step(STEP_MS)
    }
    assert.ok(mesh.node(peer).engine.tunWrites.length > writes, `traffic b → ${peer} after the restart`)
  }
  for (const n of ['a', 'c']) {
    // Strangers cost a DH (es, then unknown) only until the meter is below half; none since.
    const drops = mesh.node(n).dataplane.drops()
    assert.equal(drops.unknown_peer, dhAtRestart.get(n), `${n}: strangers reached a DH under load`)
    console.log(
      `# ${n}: ${drops.unknown_peer} stranger initiations reached a DH (all before the load mark), ${drops.handshake_cookie_required} got a cookie reply`,
    )
  }
  assert.ok(sent < 100_000, `bounded flood (${sent} datagrams)`)
  mesh.close()
})
