// The forwarding engine with two native worker threads, between two network namespaces (root;
// CI runs as root, so it never skips). Topology, all inside our namespaces:
//
//   ns gw: vmtun0 10.206.1.1/24 ─ forwarding edge (workers: 2) ─ veth 10.205.0.1/30
//     ══ veth 10.205.0.2/30 ─ static edge (inline) ─ vmtun0 10.206.2.1/24 :ns peer
//
// The gw edge (fixtures/forwarding-edge.ts) routes 10.206.9.0/24 and the peer's 10.206.2.0/24
// to peer 0, whose session is slot 0; the peer edge (fixtures/static-edge.ts) holds the other
// end of that session with the same static keys.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { GlobalStats, SlotStats } from '../src/index.js'
import { openDataMessage, readDataHeader } from '../src/testing/index.js'
import type { EdgeConfig } from './fixtures/static-edge.js'
import {
  awaitValue,
  Capture,
  EdgeProcess,
  FORWARDING_EDGE_SCRIPT,
  nsRun,
  readPcapFrames,
  Topology,
  udpPayloads,
} from './netns.js'
import { splitSealedRun } from './sealed-run.js'

const PORT = 51820
const GW = { underlay: '10.205.0.1', inner: '10.206.1.1', index: 0x3131 }
const PEER = { underlay: '10.205.0.2', inner: '10.206.2.1', index: 0x3232 }
/** Routed into gw's TUN, to peer 0, and nowhere in the peer namespace: the flows' destination. */
const FLOW_DST = '10.206.9.9'
const FLOW_PORTS = Array.from({ length: 16 }, (_, i) => 30000 + i)
const PER_FLOW = 40
const kGwToPeer = randomBytes(32)
const kPeerToGw = randomBytes(32)

const topo = new Topology('wk')
const pcapDir = join(tmpdir(), topo.prefix)
let nsPeer = ''
let vethPeer = ''
let gw: EdgeProcess
let peer: EdgeProcess

interface GwStats {
  slot: SlotStats
  global: GlobalStats
  workers: Array<{ tunPackets: number; udpDatagrams: number }>
}

async function gwStats(): Promise<GwStats> {
  const r = await gw.request({ cmd: 'stats' })
  return r as unknown as GwStats
}

/** The data messages captured in `file` (GSO runs split into their datagrams). */
function capturedMessages(file: string): Buffer[] {
  return udpPayloads(readPcapFrames(file).frames).flatMap((run) => splitSealedRun(run))
}

/** One end of the session: `me` seals with `send` to `them`, whose /24 around `them.inner` it accepts. */
function sessionEnd(me: typeof GW, them: typeof GW, send: Buffer, recv: Buffer): Omit<EdgeConfig, 'routes'> {
  return {
    tunName: 'vmtun0',
    tunAddress: `${me.inner}/24`,
    bindHost: me.underlay,
    bindPort: PORT,
    peer: { address: them.underlay, port: PORT },
    sendKey: send.toString('hex'),
    recvKey: recv.toString('hex'),
    localIndex: me.index,
    remoteIndex: them.index,
    peerPrefix: `${them.inner.replace(/\.\d+$/, '.0')}/24`,
  }
}

before(async () => {
  assert.equal(process.getuid?.(), 0, 'the netns tests need root (CI runs them as root)')
  const nsGw = topo.addNamespace('gw')
  nsPeer = topo.addNamespace('peer')
  ;[, vethPeer] = topo.link(nsGw, `${GW.underlay}/30`, nsPeer, `${PEER.underlay}/30`)
  nsRun(nsPeer, ['mkdir', '-p', pcapDir])
  gw = new EdgeProcess(
    topo,
    nsGw,
    { ...sessionEnd(GW, PEER, kGwToPeer, kPeerToGw), routes: ['10.206.9.0/24'], workers: 2 },
    FORWARDING_EDGE_SCRIPT,
  )
  peer = new EdgeProcess(topo, nsPeer, { ...sessionEnd(PEER, GW, kPeerToGw, kGwToPeer), routes: ['10.206.1.0/24'] })
  await gw.awaitLine('gw edge ready', (l) => l.event === 'ready')
  await peer.awaitLine('peer edge ready', (l) => l.event === 'ready')
})

after(async () => {
  // each step runs whatever the others did: quit() SIGKILLs an edge that does not exit
  await Promise.allSettled([gw?.quit(), peer?.quit()])
  try {
    topo.destroy()
  } finally {
    rmSync(pcapDir, { recursive: true, force: true })
  }
})

test('16 flows sealed by 2 workers to one session: each counter used once, all open with its key', async () => {
  // A GSO run of these datagrams is at most 64 × 124 bytes; with `-s 0` the ring's slots are
  // 256 KiB each and a burst overflows the default 2 MiB buffer.
  const cap = new Capture(topo, nsPeer, vethPeer, join(pcapDir, 'flows.pcap'), [
    '-B',
    '65536',
    '-s',
    '16384',
    'udp',
    'and',
    'src',
    'host',
    GW.underlay,
  ])
  await cap.ready()
  const before = await gwStats()
  const sent = await gw.request({ cmd: 'flows', from: GW.inner, to: FLOW_DST, ports: FLOW_PORTS, count: PER_FLOW })
  assert.deepEqual(sent, { reply: 'flows', sent: FLOW_PORTS.length * PER_FLOW })
  const total = FLOW_PORTS.length * PER_FLOW
  const after = await awaitValue(`${total} datagrams sealed`, async () => {
    const s = await gwStats()
    return s.slot.txPackets - before.slot.txPackets >= total ? s : undefined
  })
  await awaitValue(`${total} datagrams captured`, () => (capturedMessages(cap.file).length >= total ? true : undefined))
  await cap.stop()

  const messages = capturedMessages(cap.file)
  assert.equal(messages.length, after.slot.txPackets - before.slot.txPackets, 'captured = sealed')
  const counters = new Set<bigint>()
  const delivered = new Set<string>()
  for (const m of messages) {
    const { receiverIndex, counter } = readDataHeader(m)
    assert.equal(receiverIndex, PEER.index)
    assert.ok(!counters.has(counter), `counter ${counter} used twice`)
    counters.add(counter)
    const inner = openDataMessage('aes-256-gcm', kGwToPeer, m)
    assert.ok(inner !== undefined, `the datagram with counter ${counter} does not open with the session key`)
    const ip = Buffer.from(inner)
    assert.equal(ip.subarray(12, 16).join('.'), GW.inner)
    assert.equal(ip.subarray(16, 20).join('.'), FLOW_DST)
    const udp = (ip[0]! & 0x0f) * 4
    delivered.add(`${ip.readUInt16BE(udp + 8)}:${ip.readUInt32BE(udp + 10)}`)
  }
  assert.equal(counters.size, messages.length, 'distinct counters = datagrams captured')
  assert.equal(delivered.size, total, 'every datagram of every flow arrived once')
  const perWorker = after.workers.map((w, i) => w.tunPackets - (before.workers[i]?.tunPackets ?? 0))
  assert.equal(perWorker.length, 2)
  for (const [i, n] of perWorker.entries()) assert.ok(n > 0, `worker ${i} sealed nothing: ${perWorker.join('/')}`)
  assert.equal(
    perWorker.reduce((a, b) => a + b, 0),
    total,
  )
})

test('workers deliver packets from the peer prefix to the TUN; a spoofed inner source is rejected', async () => {
  const hex = Buffer.from('workers-rx').toString('hex')
  const before = await gwStats()
  // allowed: gw's kernel answers the echo, so it was written to the TUN; the reply comes back sealed
  await peer.request({ cmd: 'icmp', src: PEER.inner, dst: GW.inner, id: 41, seq: 1, hex })
  const reply = await peer.awaitLine('ICMP echo reply through the workers', (l) => l.event === 'icmp-reply')
  assert.deepEqual(reply, { event: 'icmp-reply', id: 41, seq: 1, src: GW.inner })
  const mid = await gwStats()
  assert.equal(mid.global.tunWritePackets - before.global.tunWritePackets, 1)
  assert.equal(mid.slot.rxDropRejected, before.slot.rxDropRejected)

  // spoofed: a source no route gives to peer 0
  await peer.request({ cmd: 'icmp', src: '10.206.7.7', dst: GW.inner, id: 42, seq: 1, hex })
  const end = await awaitValue('the spoofed packet counted as rejected', async () => {
    const s = await gwStats()
    return s.slot.rxDropRejected > mid.slot.rxDropRejected ? s : undefined
  })
  assert.equal(end.slot.rxDropRejected - mid.slot.rxDropRejected, 1)
  assert.equal(end.slot.rxPackets - mid.slot.rxPackets, 1, 'it was authenticated')
  assert.equal(end.global.tunWritePackets, mid.global.tunWritePackets, 'and not written to the TUN')
})
