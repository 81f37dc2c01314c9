// The in-memory fake engine (no root): round trip, drops by reason, and the batch and
// close contract of PacketEngine (the same rules the native engine enforces).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { PacketFlag, PacketKind, Verdict, type PacketEngine, type TunBatch, type UdpBatch } from '../src/index.js'
import { createMemoryEnginePair, DEMAND_INTERVAL_MS, type MemoryPacketEngine } from '../src/testing/index.js'

const IPV4 = Buffer.from('450000200000400040110000c0a80101c0a80202000000000000000068656c6c6f', 'hex')

/** Pair with matching sessions in slot 3 and a forwarder accepting everything. */
function pair(): {
  a: MemoryPacketEngine
  b: MemoryPacketEngine
  network: ReturnType<typeof createMemoryEnginePair>['network']
  seen: UdpBatch[]
} {
  const { network, a, b } = createMemoryEnginePair({ maxSlots: 8 })
  connect(a, b, 3, [10, 20])
  const seen: UdpBatch[] = []
  for (const e of [a, b]) start(e, seen)
  return { a, b, network, seen }
}

/**
 * Matching fresh sessions in `slot` of A and B, A's localIndex `ia` and B's `ib`; with `endpoints`
 * each slot is pointed at the other engine (createMemoryEnginePair's addresses).
 */
function connect(a: PacketEngine, b: PacketEngine, slot: number, [ia, ib]: [number, number], endpoints = true): void {
  const k1 = randomBytes(32)
  const k2 = randomBytes(32)
  a.sessions.set(slot, { sendKey: k1, recvKey: k2, localIndex: ia, remoteIndex: ib })
  b.sessions.set(slot, { sendKey: k2, recvKey: k1, localIndex: ib, remoteIndex: ia })
  if (!endpoints) return
  a.sessions.setEndpoint(slot, { address: '192.0.2.2', port: 51820 })
  b.sessions.setEndpoint(slot, { address: '192.0.2.1', port: 51820 })
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
  connect(a, b, 0, [0x1111, 0x2222])
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

// ─── forwarding engines (workers >= 1) ──────────────────────────────────────────────────
// The fake's twin of EngineForwarding (engine.ts): routing, source checks, Notice entries,
// onDemand pacing and the new global counters.

const A_PEER = 3
const B_PEER = 1

/**
 * Two forwarding engines with a session in slot 0. A routes 10.202.2.0/24 to peer B_PEER (send
 * slot 0). B's slot 0 belongs to peer A_PEER (10.202.1.0/24, group 7); 10.202.9.0/24 is peer 4 of
 * the same group, 10.99.0.0/16 peer 5 of group 8. Handlers record everything.
 */
function forwardingPair(workers = 1): {
  a: MemoryPacketEngine
  b: MemoryPacketEngine
  network: ReturnType<typeof createMemoryEnginePair>['network']
  clock: { ms: number }
  events: EdgeEvent[]
  flags: number[]
  demands: number[]
  tunBatches: number
} {
  const clock = { ms: 0 }
  const { network, a, b } = createMemoryEnginePair({ maxSlots: 8, workers, now: () => clock.ms })
  connect(a, b, 0, [0x1111, 0x2222])
  const route = (text: string, bits: number, peer: number) => ({
    address: Uint8Array.from(text.split('.').map(Number)),
    bits,
    peer,
  })
  a.forwarding?.setRoutes([route('10.202.2.0', 24, B_PEER)])
  a.forwarding?.setPeer(B_PEER, 0, 1)
  a.forwarding?.setSlotPeer(0, B_PEER)
  b.forwarding?.setRoutes([route('10.202.1.0', 24, A_PEER), route('10.202.9.0', 24, 4), route('10.99.0.0', 16, 5)])
  b.forwarding?.setPeer(A_PEER, 0, 7)
  b.forwarding?.setPeer(4, -1, 7)
  b.forwarding?.setPeer(5, -1, 8)
  b.forwarding?.setSlotPeer(0, A_PEER)
  const out = {
    a,
    b,
    network,
    clock,
    events: [] as EdgeEvent[],
    flags: [] as number[],
    demands: [] as number[],
    tunBatches: 0,
  }
  for (const e of [a, b]) {
    e.start({
      onTunBatch: () => {
        out.tunBatches++
      },
      onUdpBatch: (u) => {
        if (e !== b) return
        for (let i = 0; i < u.count; i++) {
          const src = u.source(i)
          out.events.push({ kind: u.kinds[i] ?? -1, hex: String(u.lengths[i]), source: `${src.address}:${src.port}` })
          out.flags.push(u.flags[i] ?? 0)
        }
        assert.equal(b.writeTun(), 0)
      },
      onDemand: (peer) => {
        out.demands.push(peer)
      },
      onError: (err) => {
        throw err
      },
    })
  }
  return out
}

test('fake forwarding: TUN packets are routed by longest prefix; malformed, unrouted and sessionless ones are counted', async () => {
  const f = forwardingPair()
  const { a, b } = f
  a.forwarding?.setRoutes([
    { address: Uint8Array.of(10, 202, 0, 0), bits: 16, peer: 6 },
    { address: Uint8Array.of(10, 202, 2, 0), bits: 24, peer: B_PEER },
  ])
  a.injectTun(ipFrom('10.202.1.1')) // to 10.202.2.1: the /24 wins
  a.injectTun(Buffer.from(ipFrom('10.202.1.1')).fill(7, 16, 17)) // to 7.202.2.1: no route
  a.injectTun(Buffer.from(ipFrom('10.202.1.1')).fill(3, 18, 19)) // to 10.202.3.1: the /16, peer 6 has no slot
  a.injectTun(Uint8Array.of(0x45, 0, 0, 20)) // too short
  a.injectTun(Uint8Array.of(0x20, 1, 2, 3)) // not IP
  await settle()
  assert.deepEqual(
    b.tunWrites.map((p) => Buffer.from(p)),
    [ipFrom('10.202.1.1')],
  )
  const g = a.stats.global()
  assert.deepEqual(
    [g.tunDropNoRoute, g.tunDropNoSession, g.tunDropMalformed, g.tunDropUnrouted, g.tunReadPackets],
    [1, 1, 2, 0, 5],
  )
  assert.equal(f.tunBatches, 0, 'onTunBatch is never called')
  assert.deepEqual(f.demands, [6])
  assert.throws(() => a.sealAndSend(), { code: 'VPCMESH_ERR_TUN_NO_BATCH' })
})

test('fake forwarding: onDemand comes at most once per peer per second of its clock, and again at once after a slot', async () => {
  const f = forwardingPair()
  const toPeer = ipFrom('10.202.1.1')
  f.a.forwarding?.setPeer(B_PEER, -1, 1)
  f.a.injectTun(toPeer)
  f.a.injectTun(toPeer)
  await settle()
  f.clock.ms = DEMAND_INTERVAL_MS - 1
  f.a.injectTun(toPeer)
  await settle()
  assert.deepEqual(f.demands, [B_PEER])
  f.clock.ms = DEMAND_INTERVAL_MS
  f.a.injectTun(toPeer)
  await settle()
  assert.deepEqual(f.demands, [B_PEER, B_PEER])
  f.a.forwarding?.setPeer(B_PEER, 0, 1)
  f.a.injectTun(toPeer)
  await settle()
  f.a.forwarding?.setPeer(B_PEER, -1, 1)
  f.a.injectTun(toPeer)
  await settle()
  assert.deepEqual(f.demands, [B_PEER, B_PEER, B_PEER], 'a new episode is reported without waiting')
  assert.equal(f.a.stats.global().tunDropNoSession, 5)
})

test("fake forwarding: IP from the slot's peer or its group is written; other sources and ownerless slots are rejected", async () => {
  const { a, b } = forwardingPair()
  for (const src of ['10.202.1.1', '10.202.9.1', '10.99.0.1', '192.168.0.1']) a.injectTun(ipFrom(src))
  await settle()
  assert.deepEqual(
    b.tunWrites.map((p) => Buffer.from(p)),
    [ipFrom('10.202.1.1'), ipFrom('10.202.9.1')],
  )
  assert.equal(b.stats.slot(0).rxDropRejected, 2)
  b.forwarding?.setSlotPeer(0, -1)
  a.injectTun(ipFrom('10.202.1.1'))
  await settle()
  assert.equal(b.tunWrites.length, 2)
  assert.equal(b.stats.slot(0).rxDropRejected, 3)
  assert.deepEqual([b.stats.global().tunWritePackets, b.stats.global().tunDropUnrouted], [2, 0])
})

test('fake forwarding: the first IP packet of a session and the first from a new source after setEndpoint are Notices', async () => {
  const { a, b, events, flags, network } = forwardingPair()
  a.injectTun(ipFrom('10.202.1.1'))
  a.injectTun(ipFrom('10.99.0.1')) // refused, and not the first: no Notice
  await settle()
  assert.deepEqual(events, [{ kind: PacketKind.Notice, hex: '0', source: '192.0.2.1:51820' }])
  assert.deepEqual(flags, [0])
  // A moves behind a NAT: the first packet from there is a Notice with NewSource, once.
  const nat = { address: '203.0.113.7', port: 40000 }
  const send = network.send.bind(network)
  network.send = (d, from, to) => send(d, from.address === '192.0.2.1' ? nat : from, to)
  for (let i = 0; i < 3; i++) a.injectTun(ipFrom('10.202.1.1'))
  await settle()
  assert.deepEqual(flags, [0, PacketFlag.NewSource])
  assert.equal(events.at(-1)?.source, '203.0.113.7:40000')
  // Not moved by JS: still one Notice. Moved to the NAT address, then back: one more.
  a.injectTun(ipFrom('10.202.1.1'))
  b.sessions.setEndpoint(0, nat)
  a.injectTun(ipFrom('10.202.1.1'))
  await settle()
  assert.equal(events.length, 2)
  b.sessions.setEndpoint(0, { address: '192.0.2.1', port: 51820 })
  a.injectTun(ipFrom('10.202.1.1'))
  a.injectTun(ipFrom('10.202.1.1'))
  await settle()
  assert.deepEqual(flags, [0, PacketFlag.NewSource, PacketFlag.NewSource])
  assert.equal(b.tunWrites.length, 8, 'Notices are reports: every accepted packet was written')
})

test('fake forwarding: a new session on the slot gives a new first-packet Notice; keepalive and control reach JS as before', async () => {
  const { a, b, events } = forwardingPair()
  a.injectTun(ipFrom('10.202.1.1'))
  await settle()
  connect(a, b, 0, [0x1111, 0x3333], false)
  assert.equal(a.sealAndSendOne(0, new Uint8Array()), true)
  assert.equal(a.sealAndSendOne(0, Uint8Array.from([0, 1, 2])), true)
  a.injectTun(ipFrom('10.202.1.1'))
  a.injectTun(ipFrom('10.202.1.1'))
  await settle()
  assert.deepEqual(
    events.map((e) => e.kind),
    [PacketKind.Notice, PacketKind.Keepalive, PacketKind.Control, PacketKind.Notice],
  )
  assert.equal(b.tunWrites.length, 3)
})

test('fake forwarding: bad tables are refused with INVALID_ARGUMENT and change nothing; workers are checked and counted', async () => {
  const f = forwardingPair(3)
  const fwd = f.a.forwarding
  assert.ok(fwd !== undefined)
  const bad = [
    [{ address: Uint8Array.of(10, 0, 0), bits: 8, peer: 1 }],
    [{ address: Uint8Array.of(10, 0, 0, 0), bits: 33, peer: 1 }],
    [{ address: Uint8Array.of(10, 0, 0, 1), bits: 24, peer: 1 }],
    [{ address: Uint8Array.of(10, 0, 0, 0), bits: 8, peer: 8 }],
    [
      { address: Uint8Array.of(10, 0, 0, 0), bits: 8, peer: 1 },
      { address: Uint8Array.of(10, 0, 0, 0), bits: 8, peer: 2 },
    ],
  ]
  for (const routes of bad) assert.throws(() => fwd.setRoutes(routes), { code: 'VPCMESH_ERR_TUN_INVALID_ARGUMENT' })
  assert.throws(() => fwd.setPeer(8, 0, 0), { code: 'VPCMESH_ERR_TUN_INVALID_ARGUMENT' })
  assert.throws(() => fwd.setPeer(1, -2, 0), { code: 'VPCMESH_ERR_TUN_INVALID_ARGUMENT' })
  assert.throws(() => fwd.setPeer(1, 0, 2 ** 32), { code: 'VPCMESH_ERR_TUN_INVALID_ARGUMENT' })
  assert.throws(() => fwd.setSlotPeer(0, 8), { code: 'VPCMESH_ERR_TUN_INVALID_ARGUMENT' })
  for (let i = 0; i < 40; i++) f.a.injectTun(ipFrom(`10.202.1.${i}`))
  await settle()
  assert.equal(f.b.tunWrites.length, 40, 'the old routes still hold')
  const [sa, sb] = [fwd.workerStats(), f.b.forwarding?.workerStats() ?? []]
  assert.equal(sa.length, 3)
  assert.equal(
    sa.reduce((n, w) => n + w.tunPackets, 0),
    40,
  )
  assert.ok(sa.filter((w) => w.tunPackets > 0).length > 1, 'flows are spread over the workers')
  assert.equal(
    sb.reduce((n, w) => n + w.udpDatagrams, 0),
    40,
  )
  assert.equal(createMemoryEnginePair().a.forwarding, undefined, 'workers 0: an inline engine')
  for (const workers of [-1, 65, 1.5])
    assert.throws(() => createMemoryEnginePair({ workers }), { code: 'VPCMESH_ERR_TUN_INVALID_OPTIONS' })
})
