// The native engine's end-to-end suite between two network namespaces (not a test file
// itself: netns.test.ts runs it with offload off and ChaCha20-Poly1305, netns-offload.test.ts
// with offload on and AES-256-GCM (the default);
// root only, CI runs as root, so it never skips). Topology, all inside our namespaces:
//
//   ns a: vmtun0 10.202.1.1/24 ─ edge A ─ veth 10.201.0.1/30 ══ veth 10.201.0.2/30 ─ edge B ─ vmtun0 10.202.2.1/24 :ns b
//
// Each edge is test/fixtures/static-edge.ts: one peer in slot 0, static keys made here.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { awaitValue, Capture, EdgeProcess, nsRun, readPcapFrames, Topology, udpPayloads } from './netns.js'
import { checkSealedRun } from './sealed-run.js'

const PORT = 51820
const A = { underlay: '10.201.0.1', inner: '10.202.1.1', index: 0x1111 }
const B = { underlay: '10.201.0.2', inner: '10.202.2.1', index: 0x2222 }
const SECRET = Buffer.from('vmtun-secret-plaintext-marker-'.repeat(8))
const WORKER_SCRIPT = fileURLToPath(new URL('./fixtures/worker-exit.js', import.meta.url))
const MTU = 1420
/** Bytes moved in each direction by the TCP transfer test. */
const TRANSFER_BYTES = 24 << 20

/** Defines the suite in the calling test file. `tag` keeps namespace names apart. */
export function engineSuite(opts: {
  offload: boolean
  tag: string
  cipher?: 'aes-256-gcm' | 'chacha20-poly1305'
}): void {
  const topo = new Topology(opts.tag)
  const pcapDir = join(tmpdir(), topo.prefix)
  let nsA = ''
  let nsB = ''
  let vethB = ''
  let edgeA: EdgeProcess
  let edgeB: EdgeProcess
  /** A data message A→B captured on the veth and delivered (so B has seen its counter). */
  let captured: Buffer

  before(async () => {
    assert.equal(process.getuid?.(), 0, 'the netns tests need root (CI runs them as root)')
    nsA = topo.addNamespace('a')
    nsB = topo.addNamespace('b')
    ;[, vethB] = topo.link(nsA, `${A.underlay}/30`, nsB, `${B.underlay}/30`)
    nsRun(nsA, ['mkdir', '-p', pcapDir])
    const kAB = randomBytes(32).toString('hex')
    const kBA = randomBytes(32).toString('hex')
    const common = { tunName: 'vmtun0', bindPort: PORT, mtu: MTU, offload: opts.offload, cipher: opts.cipher }
    edgeA = new EdgeProcess(topo, nsA, {
      ...common,
      tunAddress: `${A.inner}/24`,
      routes: ['10.202.2.0/24'],
      bindHost: A.underlay,
      peer: { address: B.underlay, port: PORT },
      sendKey: kAB,
      recvKey: kBA,
      localIndex: A.index,
      remoteIndex: B.index,
      peerPrefix: '10.202.2.0/24',
    })
    edgeB = new EdgeProcess(topo, nsB, {
      ...common,
      tunAddress: `${B.inner}/24`,
      routes: ['10.202.1.0/24'],
      bindHost: B.underlay,
      peer: { address: A.underlay, port: PORT },
      sendKey: kBA,
      recvKey: kAB,
      localIndex: B.index,
      remoteIndex: A.index,
      peerPrefix: '10.202.1.0/24',
    })
    await edgeA.awaitLine('edge A ready', (l) => l.event === 'ready')
    await edgeB.awaitLine('edge B ready', (l) => l.event === 'ready')
    await edgeB.request({ cmd: 'echo-server', address: B.inner, port: 7 })
  })

  after(async () => {
    // each step runs whatever the others did: quit() SIGKILLs an edge that does not exit
    await Promise.allSettled([edgeA?.quit(), edgeB?.quit()])
    try {
      topo.destroy()
    } finally {
      rmSync(pcapDir, { recursive: true, force: true })
    }
  })

  /** Polls B's counters until `field` grew by `by` from `before`. */
  async function awaitStat(
    edge: EdgeProcess,
    scope: 'slot' | 'global',
    field: string,
    from: number,
    by = 1,
  ): Promise<void> {
    await awaitValue(`${scope}.${field} to reach ${from + by}`, async () => {
      const v = (await edge.stats())[scope][field] ?? 0
      assert.ok(v <= from + by, `${field} = ${v}, expected ${from + by}`)
      return v === from + by ? true : undefined
    })
  }

  /** The receiver index of `msg` replaced by `index` (a copy). */
  function withReceiver(msg: Buffer, index: number): Buffer {
    const m = Buffer.from(msg)
    m.writeUInt32LE(index, 4)
    return m
  }

  test('UDP and ICMP echo cross the tunnel; the veth carries only ciphertext', async () => {
    const veth = new Capture(topo, nsB, vethB, join(pcapDir, 'veth.pcap'), ['udp', 'port', String(PORT)])
    const tun = new Capture(topo, nsB, 'vmtun0', join(pcapDir, 'tun.pcap'), [])
    await Promise.all([veth.ready(), tun.ready()])
    const udp = await edgeA.request({ cmd: 'udp', from: A.inner, to: B.inner, port: 7, hex: SECRET.toString('hex') })
    assert.deepEqual(udp, { reply: 'udp', ok: true, hex: SECRET.toString('hex') })
    await edgeA.request({ cmd: 'icmp', src: A.inner, dst: B.inner, id: 77, seq: 1, hex: SECRET.toString('hex') })
    const reply = await edgeA.awaitLine('ICMP echo reply', (l) => l.event === 'icmp-reply')
    assert.deepEqual(reply, { event: 'icmp-reply', id: 77, seq: 1, src: B.inner })
    await Promise.all([veth.awaitFrames(4), tun.awaitFrames(4)])
    await Promise.all([veth.stop(), tun.stop()])

    const datagrams = udpPayloads(readPcapFrames(veth.file).frames)
    assert.ok(datagrams.length >= 4, `expected >= 4 tunnel datagrams on the veth, got ${datagrams.length}`)
    for (const d of datagrams) assert.equal(d.readUInt32LE(0), 4, 'only data messages were sent')
    const marker = SECRET.subarray(0, 29)
    for (const d of datagrams) assert.equal(d.indexOf(marker), -1, 'plaintext marker visible on the veth')
    assert.ok(
      readPcapFrames(tun.file).frames.some((f) => f.indexOf(marker) >= 0),
      'sanity: the marker is visible on the TUN',
    )
    const toB = datagrams.find((d) => d.readUInt32LE(4) === B.index)
    assert.ok(toB !== undefined)
    captured = toB
  })

  test('a large TCP transfer arrives intact in both directions', async () => {
    const wire = new Capture(topo, nsB, vethB, join(pcapDir, 'bulk.pcap'), [
      '-c',
      '300',
      '-s',
      '0',
      'udp',
      'port',
      String(PORT),
    ])
    await wire.ready()
    const before = { a: await edgeA.stats(), b: await edgeB.stats() }
    for (const [from, to, port] of [
      [edgeA, edgeB, 5001],
      [edgeB, edgeA, 5002],
    ] as const) {
      const src = from === edgeA ? A.inner : B.inner
      const dst = to === edgeA ? A.inner : B.inner
      await to.request({ cmd: 'tcp-sink', address: dst, port })
      const sent = await from.request({ cmd: 'tcp-send', from: src, to: dst, port, bytes: TRANSFER_BYTES })
      const got = await to.awaitLine(
        `tcp-received on ${port}`,
        (l) => l.event === 'tcp-received' && l.port === port,
        60000,
      )
      assert.equal(sent.ok, true)
      assert.deepEqual({ bytes: got.bytes, sha256: got.sha256 }, { bytes: TRANSFER_BYTES, sha256: sent.sha256 })
    }
    await wire.stop()
    // Every datagram on the wire (a GSO capture holds a run of them) is one data message of
    // at most MTU inner bytes, and counters never repeat.
    const runs = udpPayloads(readPcapFrames(wire.file).frames)
    assert.ok(runs.length > 0)
    const checked = runs.map((r) => checkSealedRun(r, MTU))
    assert.ok(checked.reduce((n, c) => n + c.datagrams, 0) >= runs.length)
    const after = { a: await edgeA.stats(), b: await edgeB.stats() }
    for (const e of ['a', 'b'] as const) {
      assert.equal(after[e].global.tunWriteErrors, before[e].global.tunWriteErrors, `${e}: TUN write errors`)
      assert.equal(after[e].global.tunDropBadOffload, 0, `${e}: bad offload packets`)
      const gso = (after[e].global.tunGsoPackets ?? 0) - (before[e].global.tunGsoPackets ?? 0)
      const coalesced = (after[e].global.udpCoalesced ?? 0) - (before[e].global.udpCoalesced ?? 0)
      if (opts.offload) {
        assert.ok(gso > 0, `${e}: TCP super-packets were segmented`)
        assert.ok(coalesced > 0, `${e}: received segments were coalesced`)
      } else {
        assert.deepEqual([gso, coalesced], [0, 0], `${e}: no offload work without offload`)
      }
    }
  })

  test('a replayed datagram is dropped and counted as replay', async () => {
    const before = (await edgeB.stats()).slot.rxDropReplay ?? 0
    await edgeA.request({ cmd: 'raw', hex: captured.toString('hex'), address: B.underlay, port: PORT })
    await awaitStat(edgeB, 'slot', 'rxDropReplay', before)
  })

  test('a garbage datagram with a valid receiver index is counted as an authentication failure', async () => {
    const before = (await edgeB.stats()).slot.rxDropAuth ?? 0
    const garbage = Buffer.concat([Buffer.from([4, 0, 0, 0]), Buffer.alloc(4), Buffer.alloc(8), randomBytes(100)])
    garbage.writeUInt32LE(B.index, 4)
    garbage.writeBigUInt64LE(1n << 40n, 8)
    await edgeA.request({ cmd: 'raw', hex: garbage.toString('hex'), address: B.underlay, port: PORT })
    await awaitStat(edgeB, 'slot', 'rxDropAuth', before)
  })

  test('a tampered ciphertext is dropped; the untampered original is then accepted', async () => {
    // Capture a fresh message that B never sees: nftables in ns B drops it after tcpdump saw it.
    nsRun(nsB, [
      'nft',
      'add table inet vmtuntest; add chain inet vmtuntest in { type filter hook input priority 0; }; add rule inet vmtuntest in udp dport 51820 drop',
    ])
    const cap = new Capture(topo, nsB, vethB, join(pcapDir, 'fresh.pcap'), ['udp', 'port', String(PORT)])
    await cap.ready()
    await edgeA.request({ cmd: 'one', hex: '00c0ffee' })
    await cap.awaitFrames(1)
    await cap.stop()
    nsRun(nsB, ['nft', 'delete table inet vmtuntest'])
    const fresh = udpPayloads(readPcapFrames(cap.file).frames)[0]
    assert.ok(fresh !== undefined)

    const s0 = (await edgeB.stats()).slot
    const tampered = Buffer.from(fresh)
    tampered[20] = (tampered[20] ?? 0) ^ 0x01
    await edgeA.request({ cmd: 'raw', hex: tampered.toString('hex'), address: B.underlay, port: PORT })
    await awaitStat(edgeB, 'slot', 'rxDropAuth', s0.rxDropAuth ?? 0)
    await edgeA.request({ cmd: 'raw', hex: fresh.toString('hex'), address: B.underlay, port: PORT })
    const ev = await edgeB.awaitLine('the control payload', (l) => l.event === 'control')
    assert.equal(ev.hex, '00c0ffee')
  })

  test('a header moved to a far-future counter fails authentication and does not advance the window', async () => {
    const before = (await edgeB.stats()).slot
    const forged = Buffer.from(captured)
    forged.writeBigUInt64LE(1n << 41n, 8)
    await edgeA.request({ cmd: 'raw', hex: forged.toString('hex'), address: B.underlay, port: PORT })
    await awaitStat(edgeB, 'slot', 'rxDropAuth', before.rxDropAuth ?? 0)
    assert.equal((await edgeB.stats()).slot.recvNewest, before.recvNewest)
    const udp = await edgeA.request({ cmd: 'udp', from: A.inner, to: B.inner, port: 7, hex: 'abcd' })
    assert.equal(udp.ok, true, 'traffic still flows after the forged counter')
  })

  test('a data message for an unknown receiver index is dropped and counted', async () => {
    const before = (await edgeB.stats()).global.udpDropUnknownIndex ?? 0
    await edgeA.request({
      cmd: 'raw',
      hex: withReceiver(captured, 0x9999).toString('hex'),
      address: B.underlay,
      port: PORT,
    })
    await awaitStat(edgeB, 'global', 'udpDropUnknownIndex', before)
  })

  test('keepalives and control payloads reach JS and never the TUN', async () => {
    const before = await edgeB.stats()
    await edgeA.request({ cmd: 'one', hex: '' })
    const ka = await edgeB.awaitLine('keepalive', (l) => l.event === 'keepalive')
    assert.deepEqual(ka.source, { address: A.underlay, port: PORT })
    await edgeA.request({ cmd: 'one', hex: '0001020304' })
    assert.equal((await edgeB.awaitLine('control', (l) => l.event === 'control')).hex, '0001020304')
    const after = await edgeB.stats()
    assert.equal(after.global.tunWritePackets, before.global.tunWritePackets)
    assert.equal(after.slot.rxKeepalives, (before.slot.rxKeepalives ?? 0) + 1)
    assert.equal(after.slot.rxControl, (before.slot.rxControl ?? 0) + 1)
  })

  test('non-data datagrams are handed to JS raw with their source', async () => {
    const handshake = Buffer.concat([Buffer.from([1, 0, 0, 0]), randomBytes(144)])
    await edgeA.request({ cmd: 'raw', hex: handshake.toString('hex'), address: B.underlay, port: PORT })
    const ev = await edgeB.awaitLine('raw datagram', (l) => l.event === 'raw')
    assert.deepEqual(ev, { event: 'raw', hex: handshake.toString('hex'), source: { address: A.underlay, port: PORT } })
  })

  test('anti-spoofing: an inner source outside the peer prefix is rejected by the verdict', async () => {
    const before = (await edgeB.stats()).slot.rxDropRejected ?? 0
    await edgeA.request({ cmd: 'icmp', src: '10.99.99.99', dst: B.inner, id: 78, seq: 1, hex: 'aa' })
    await awaitStat(edgeB, 'slot', 'rxDropRejected', before)
  })

  test('an engine in a worker thread that ends without close() does not abort the process', () => {
    const out = nsRun(nsA, [process.execPath, WORKER_SCRIPT, 'vmtunw0'])
    assert.match(out, /worker-exit ok \d+/)
  })

  test('close() removes the TUN device', async () => {
    await edgeA.quit()
    assert.equal(edgeA.child.exitCode, 0)
    assert.throws(() => nsRun(nsA, ['ip', 'link', 'show', 'vmtun0']))
  })
}
