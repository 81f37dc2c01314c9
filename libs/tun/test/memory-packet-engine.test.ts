// The in-memory fake engine (no root): round trip, drops by reason, and the batch and
// close contract of PacketEngine (the same rules the native engine enforces).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { PacketFlag, PacketKind, Verdict, type PacketEngine, type TunBatch, type UdpBatch } from '../src/index.js'
import { createMemoryEnginePair, type MemoryPacketEngine } from '../src/testing/index.js'

const IPV4 = Buffer.from('450000200000400040110000c0a80101c0a80202000000000000000068656c6c6f', 'hex')

/** Pair with matching sessions in slot 3 and a forwarder accepting everything. */
function pair(): {
  a: MemoryPacketEngine
  b: MemoryPacketEngine
  network: ReturnType<typeof createMemoryEnginePair>['network']
  seen: UdpBatch[]
} {
  const { network, a, b } = createMemoryEnginePair({ maxSlots: 8 })
  const k1 = randomBytes(32)
  const k2 = randomBytes(32)
  a.sessions.set(3, { sendKey: k1, recvKey: k2, localIndex: 10, remoteIndex: 20 })
  b.sessions.set(3, { sendKey: k2, recvKey: k1, localIndex: 20, remoteIndex: 10 })
  a.sessions.setEndpoint(3, { address: '192.0.2.2', port: 51820 })
  b.sessions.setEndpoint(3, { address: '192.0.2.1', port: 51820 })
  const seen: UdpBatch[] = []
  for (const e of [a, b]) start(e, seen)
  return { a, b, network, seen }
}

function start(e: PacketEngine, seen: UdpBatch[]): void {
  e.start({
    onTunBatch: (t: TunBatch) => {
      t.slots.fill(3, 0, t.count)
      e.sealAndSend()
    },
    onUdpBatch: (u: UdpBatch) => {
      seen.push({ ...u, kinds: u.kinds.slice(0, u.count), flags: u.flags.slice(0, u.count), count: u.count })
      u.verdicts.fill(Verdict.Accept, 0, u.count)
      e.writeTun()
    },
    onError: (err) => {
      throw err
    },
  })
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
}

test('fake: an IP packet crosses sealed, and the wire never shows it', async () => {
  const { a, b, network } = pair()
  const wire: Uint8Array[] = []
  network.onDatagram = (d) => {
    wire.push(d)
  }
  a.injectTun(IPV4)
  await settle()
  assert.deepEqual(
    b.tunWrites.map((p) => Buffer.from(p)),
    [IPV4],
  )
  assert.equal(wire.length, 1)
  assert.equal(Buffer.from(wire[0] ?? []).indexOf('hello'), -1)
  assert.equal(a.stats.slot(3).txPackets, 1)
  assert.equal(b.stats.slot(3).rxPackets, 1)
  assert.equal(b.stats.slot(3).rxBytes, IPV4.length + 32)
})

test('fake: replay, tamper, unknown index, short and raw datagrams are sorted like native', async () => {
  const { a, b, network, seen } = pair()
  let captured: Uint8Array = new Uint8Array()
  network.onDatagram = (d) => {
    captured = d
  }
  a.injectTun(IPV4)
  await settle()
  const from = { address: '192.0.2.1', port: 51820 }
  b.receive(Uint8Array.from(captured), from)
  const tampered = Uint8Array.from(captured)
  tampered.set([1, 0, 0, 0, 0, 0, 0, 0], 8)
  b.receive(tampered, from)
  const unknown = Uint8Array.from(captured)
  unknown[4] = 99
  b.receive(unknown, from)
  b.receive(Uint8Array.from([4, 0, 0, 0, 1]), from)
  b.receive(Uint8Array.from([1, 0, 0, 0, 9, 9]), { address: '198.51.100.7', port: 4000 })
  await settle()
  assert.deepEqual([b.stats.slot(3).rxDropReplay, b.stats.slot(3).rxDropAuth], [1, 1])
  assert.deepEqual(
    [b.stats.global().udpDropUnknownIndex, b.stats.global().udpDropTooShort, b.stats.global().udpRxRaw],
    [1, 1, 1],
  )
  const last = seen.at(-1)
  assert.deepEqual(Array.from(last?.kinds ?? []), [PacketKind.Raw])
})

test('fake: keepalive and control are reported, flagged by source, and never written', async () => {
  const { a, b, seen } = pair()
  b.sessions.setEndpoint(3, { address: '203.0.113.9', port: 1 })
  assert.equal(a.sealAndSendOne(3, new Uint8Array()), true)
  assert.equal(a.sealAndSendOne(3, Uint8Array.from([0, 1, 2])), true)
  await settle()
  const kinds = seen.flatMap((u) => Array.from(u.kinds))
  assert.deepEqual(kinds, [PacketKind.Keepalive, PacketKind.Control])
  assert.ok(seen.every((u) => Array.from(u.flags).every((f) => f === PacketFlag.NewSource)))
  assert.equal(b.tunWrites.length, 0)
  assert.deepEqual([b.stats.slot(3).rxKeepalives, b.stats.slot(3).rxControl], [1, 1])
})

test('fake: batch rules: pre-filled slots and verdicts, once per batch, only inside the callback', async () => {
  const { a, b } = createMemoryEnginePair()
  const observed: string[] = []
  a.start({
    onTunBatch: (t) => {
      observed.push(`slots ${Array.from(t.slots.subarray(0, t.count)).join(',')}`)
      assert.equal(a.sealAndSend(), 0)
      assert.throws(() => a.sealAndSend(), { code: 'VPCMESH_ERR_TUN_NO_BATCH' })
    },
    onUdpBatch: () => {},
    onError: () => {},
  })
  assert.throws(() => a.sealAndSend(), { code: 'VPCMESH_ERR_TUN_NO_BATCH' })
  assert.throws(() => a.writeTun(), { code: 'VPCMESH_ERR_TUN_NO_BATCH' })
  a.injectTun(IPV4)
  a.injectTun(IPV4)
  await settle()
  assert.deepEqual(observed, ['slots -1,-1'])
  assert.equal(a.stats.global().tunDropUnrouted, 2)
  assert.throws(() => a.start({ onTunBatch() {}, onUdpBatch() {}, onError() {} }), {
    code: 'VPCMESH_ERR_TUN_ALREADY_STARTED',
  })
  const keys = { sendKey: new Uint8Array(32), recvKey: new Uint8Array(32), localIndex: 1, remoteIndex: 2 }
  b.sessions.set(0, keys)
  b.sessions.set(0, keys) // replacing the same slot is fine
  assert.throws(
    () => {
      b.sessions.set(1, keys)
    },
    { code: 'VPCMESH_ERR_TUN_INDEX_IN_USE' },
  )
})

test('fake: drops on the send side are counted, not thrown', () => {
  const { a } = createMemoryEnginePair({ maxSlots: 4 })
  assert.equal(a.sealAndSendOne(0, IPV4), false)
  a.sessions.set(0, { sendKey: new Uint8Array(32), recvKey: new Uint8Array(32), localIndex: 1, remoteIndex: 2 })
  assert.equal(a.sealAndSendOne(0, IPV4), false)
  assert.deepEqual([a.stats.slot(0).txDropNoSession, a.stats.slot(0).txDropNoEndpoint], [1, 1])
  assert.throws(() => a.sealAndSendOne(4, IPV4), { code: 'VPCMESH_ERR_TUN_INVALID_ARGUMENT' })
})

test('fake: after close, state changes throw and I/O is a harmless no-op', () => {
  const { a } = createMemoryEnginePair()
  a.close()
  a.close()
  const keys = { sendKey: new Uint8Array(32), recvKey: new Uint8Array(32), localIndex: 1, remoteIndex: 2 }
  assert.throws(() => a.sessions.set(0, keys), { code: 'VPCMESH_ERR_TUN_CLOSED' })
  assert.throws(() => a.sessions.setEndpoint(0, { address: '192.0.2.9', port: 1 }), { code: 'VPCMESH_ERR_TUN_CLOSED' })
  assert.throws(() => a.start({ onTunBatch() {}, onUdpBatch() {}, onError() {} }), { code: 'VPCMESH_ERR_TUN_CLOSED' })
  a.sessions.clear(0)
  assert.equal(a.sealAndSend(), 0)
  assert.equal(a.writeTun(), 0)
  assert.equal(a.sealAndSendOne(0, IPV4), false)
  assert.equal(a.sendRaw(IPV4, { address: '192.0.2.2', port: 1 }), false)
  assert.equal(a.stats.slot(0).txPackets, 0)
})

// ─── engineSuite's packet cases, in memory ─────────────────────────────────────────────
// engine-suite.ts drives the native engine between two namespaces. Each of its cases about
// the engine's own packet handling runs here against MemoryPacketEngine under the same name (the
// first case, replay, unknown index and keepalive/control are above). The others test the
// kernel side (TUN device, TCP and offloads, addon lifecycle), which the fake does not have;
// docs/testing.md lists them.

interface EdgeEvent {
  kind: number
  hex: string
  source: string
}

/**
 * A pair in slot 0 (indices 0x1111/0x2222) where B's handlers act like static-edge.ts: every
 * entry is recorded with its source, Ip is accepted only from 10.202.1.0/24 (anti-spoofing).
 */
function edgePair(): {
  a: MemoryPacketEngine
  b: MemoryPacketEngine
  network: ReturnType<typeof createMemoryEnginePair>['network']
  events: EdgeEvent[]
} {
  const { network, a, b } = createMemoryEnginePair({ maxSlots: 8 })
  const k1 = randomBytes(32)
  const k2 = randomBytes(32)
  a.sessions.set(0, { sendKey: k1, recvKey: k2, localIndex: 0x1111, remoteIndex: 0x2222 })
  b.sessions.set(0, { sendKey: k2, recvKey: k1, localIndex: 0x2222, remoteIndex: 0x1111 })
  a.sessions.setEndpoint(0, { address: '192.0.2.2', port: 51820 })
  b.sessions.setEndpoint(0, { address: '192.0.2.1', port: 51820 })
  const events: EdgeEvent[] = []
  a.start({
    onTunBatch: (t) => {
      t.slots.fill(0, 0, t.count)
      a.sealAndSend()
    },
    onUdpBatch: () => {},
    onError: (e) => {
      throw e
    },
  })
  b.start({
    onTunBatch: () => {},
    onUdpBatch: (u) => {
      for (let i = 0; i < u.count; i++) {
        const off = u.offsets[i] ?? 0
        const src = u.source(i)
        events.push({
          kind: u.kinds[i] ?? -1,
          hex: Buffer.from(u.buffer.subarray(off, off + (u.lengths[i] ?? 0))).toString('hex'),
          source: `${src.address}:${src.port}`,
        })
        if (u.kinds[i] === PacketKind.Ip) {
          const inPrefix = u.buffer[off + 12] === 10 && u.buffer[off + 13] === 202 && u.buffer[off + 14] === 1
          u.verdicts[i] = inPrefix ? Verdict.Accept : Verdict.Drop
        }
      }
      b.writeTun()
    },
    onError: (e) => {
      throw e
    },
  })
  return { a, b, network, events }
}

/** An IPv4 packet (the header of IPV4) from `src` to 10.202.2.1. */
function ipFrom(src: string): Buffer {
  const p = Buffer.from(IPV4)
  Buffer.from(src.split('.').map(Number)).copy(p, 12)
  Buffer.from([10, 202, 2, 1]).copy(p, 16)
  return p
}

/** A data message A seals for B that B never receives (the network drops it; native: an nft drop rule). */
async function freshMessage(
  a: MemoryPacketEngine,
  network: ReturnType<typeof createMemoryEnginePair>['network'],
  payload: Buffer,
): Promise<Buffer> {
  let fresh: Buffer | undefined
  network.dropIf = (d) => {
    fresh = Buffer.from(d)
    return true
  }
  assert.equal(a.sealAndSendOne(0, payload), true)
  network.dropIf = undefined
  assert.ok(fresh !== undefined)
  return fresh
}

const FROM_A = { address: '192.0.2.1', port: 51820 }

test('fake (engineSuite): a garbage datagram with a valid receiver index is counted as an authentication failure', async () => {
  const { b, events } = edgePair()
  const garbage = Buffer.concat([Buffer.from([4, 0, 0, 0]), Buffer.alloc(4), Buffer.alloc(8), randomBytes(100)])
  garbage.writeUInt32LE(0x2222, 4)
  garbage.writeBigUInt64LE(1n << 40n, 8)
  b.receive(garbage, FROM_A)
  await settle()
  assert.equal(b.stats.slot(0).rxDropAuth, 1)
  assert.deepEqual([events, b.tunWrites], [[], []])
})

test('fake (engineSuite): a tampered ciphertext is dropped; the untampered original is then accepted', async () => {
  const { a, b, network, events } = edgePair()
  const fresh = await freshMessage(a, network, Buffer.from('00c0ffee', 'hex'))
  const tampered = Buffer.from(fresh)
  tampered[20] = (tampered[20] ?? 0) ^ 0x01
  b.receive(tampered, FROM_A)
  await settle()
  assert.equal(b.stats.slot(0).rxDropAuth, 1)
  assert.equal(events.length, 0)
  b.receive(fresh, FROM_A)
  await settle()
  assert.deepEqual(
    events.map((e) => [e.kind, e.hex]),
    [[PacketKind.Control, '00c0ffee']],
  )
})

test('fake (engineSuite): a header moved to a far-future counter fails authentication and does not advance the window', async () => {
  const { a, b, network } = edgePair()
  const captured = await freshMessage(a, network, ipFrom('10.202.1.1'))
  b.receive(captured, FROM_A)
  await settle()
  const newest = b.stats.slot(0).recvNewest
  const forged = Buffer.from(captured)
  forged.writeBigUInt64LE(1n << 41n, 8)
  b.receive(forged, FROM_A)
  await settle()
  assert.equal(b.stats.slot(0).rxDropAuth, 1)
  assert.equal(b.stats.slot(0).recvNewest, newest)
  a.injectTun(ipFrom('10.202.1.1'))
  await settle()
  assert.equal(b.tunWrites.length, 2, 'traffic still flows after the forged counter')
})

test('fake (engineSuite): non-data datagrams are handed to JS raw with their source', async () => {
  const { b, events } = edgePair()
  const handshake = Buffer.concat([Buffer.from([1, 0, 0, 0]), randomBytes(144)])
  b.receive(handshake, FROM_A)
  await settle()
  assert.deepEqual(events, [{ kind: PacketKind.Raw, hex: handshake.toString('hex'), source: '192.0.2.1:51820' }])
})

test('fake (engineSuite): anti-spoofing: an inner source outside the peer prefix is rejected by the verdict', async () => {
  const { a, b } = edgePair()
  a.injectTun(ipFrom('10.99.99.99'))
  a.injectTun(ipFrom('10.202.1.1'))
  await settle()
  assert.equal(b.stats.slot(0).rxDropRejected, 1)
  assert.deepEqual(
    b.tunWrites.map((p) => Buffer.from(p)),
    [ipFrom('10.202.1.1')],
  )
})
