// The engine's TCP offload helpers (native/tcp_offload.cc, through the addon's test hooks)
// against hand-built TCP/IP packets: TSO segmentation, partial checksum completion and
// receive coalescing. Every checksum is verified by the independent RFC 1071 code below.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { nativeTestHooks, type VnetHeaderFields } from '../src/testing/index.js'

const hooks = nativeTestHooks()
const GSO_TCPV4 = 1
const GSO_TCPV6 = 4
const NEEDS_CSUM = 1
const F = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 }
const SEG_MALFORMED = -1
const SEG_TOO_BIG = -2

/** RFC 1071 one's-complement sum of 16-bit big-endian words, folded, not complemented. */
function sum16(b: Uint8Array, acc = 0): number {
  for (let i = 0; i < b.length; i += 2) acc += ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0)
  while (acc > 0xffff) acc = (acc & 0xffff) + (acc >>> 16)
  return acc
}

interface Tcp {
  v6?: boolean
  src?: number[]
  dst?: number[]
  sport?: number
  dport?: number
  seq: number
  ack?: number
  flags?: number
  window?: number
  options?: number[]
  payload: Buffer
  id?: number
  ttl?: number
  tos?: number
}

const V4 = { src: [10, 0, 0, 1], dst: [10, 0, 0, 2] }
const V6 = { src: [0xfd, 0, ...Array(13).fill(0), 1], dst: [0xfd, 0, ...Array(13).fill(0), 2] }

/** Pseudo-header sum (RFC 9293 §3.1 / RFC 8200 §8.1) for a TCP segment of `len` bytes in `pkt`. */
function pseudo(pkt: Buffer, len: number): number {
  const v6 = (pkt[0] ?? 0) >> 4 === 6
  const addrs = v6 ? pkt.subarray(8, 40) : pkt.subarray(12, 20)
  return sum16(Buffer.from([0, 6, (len >>> 8) & 0xff, len & 0xff]), sum16(addrs))
}

function ipLen(pkt: Buffer): number {
  return (pkt[0] ?? 0) >> 4 === 6 ? 40 : ((pkt[0] ?? 0) & 0x0f) * 4
}
function tcpOf(pkt: Buffer): Buffer {
  return pkt.subarray(ipLen(pkt))
}
function payloadOf(pkt: Buffer): Buffer {
  const t = tcpOf(pkt)
  return t.subarray(((t[12] ?? 0) >> 4) * 4)
}

/** True if the TCP checksum of `pkt` verifies. */
function tcpChecksumOk(pkt: Buffer): boolean {
  const t = tcpOf(pkt)
  return sum16(t, pseudo(pkt, t.length)) === 0xffff
}

function ipv4ChecksumOk(pkt: Buffer): boolean {
  return sum16(pkt.subarray(0, 20)) === 0xffff
}

/** A TCP/IPv4 or TCP/IPv6 packet with correct lengths and checksums. */
function tcpPacket(p: Tcp): Buffer {
  const opts = Buffer.from(p.options ?? [])
  const tcp = Buffer.alloc(20 + opts.length + p.payload.length)
  tcp.writeUInt16BE(p.sport ?? 40000, 0)
  tcp.writeUInt16BE(p.dport ?? 5001, 2)
  tcp.writeUInt32BE(p.seq >>> 0, 4)
  tcp.writeUInt32BE(p.ack ?? 777, 8)
  tcp[12] = ((20 + opts.length) / 4) << 4
  tcp[13] = p.flags ?? F.ACK
  tcp.writeUInt16BE(p.window ?? 500, 14)
  opts.copy(tcp, 20)
  p.payload.copy(tcp, 20 + opts.length)
  let ip: Buffer
  if (p.v6 === true) {
    ip = Buffer.alloc(40)
    ip.writeUInt32BE((6 << 28) | ((p.tos ?? 0) << 20), 0)
    ip.writeUInt16BE(tcp.length, 4)
    ip[6] = 6
    ip[7] = p.ttl ?? 64
    Buffer.from(p.src ?? V6.src).copy(ip, 8)
    Buffer.from(p.dst ?? V6.dst).copy(ip, 24)
  } else {
    ip = Buffer.alloc(20)
    ip[0] = 0x45
    ip[1] = p.tos ?? 0
    ip.writeUInt16BE(20 + tcp.length, 2)
    ip.writeUInt16BE(p.id ?? 100, 4)
    ip.writeUInt16BE(0x4000, 6)
    ip[8] = p.ttl ?? 64
    ip[9] = 6
    Buffer.from(p.src ?? V4.src).copy(ip, 12)
    Buffer.from(p.dst ?? V4.dst).copy(ip, 16)
    ip.writeUInt16BE(~sum16(ip) & 0xffff, 10)
  }
  const pkt = Buffer.concat([ip, tcp])
  tcpOf(pkt).writeUInt16BE(~sum16(tcpOf(pkt), pseudo(pkt, tcp.length)) & 0xffff, 16)
  return pkt
}

function pattern(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n)
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7) & 0xff
  return b
}

/** `count` consecutive segments of one flow, `size` payload bytes each (IPv4 IDs count up). */
function flow(count: number, size: number, base: Partial<Tcp> = {}): Buffer[] {
  return Array.from({ length: count }, (_, k) =>
    tcpPacket({
      seq: 1000 + k * size,
      id: 100 + k,
      ...base,
      payload: pattern(size, k),
    }),
  )
}

function segment(pkt: Buffer, gsoType: number, gsoSize: number, mtu = 1420): Buffer[] {
  const r = hooks.tcpSegment(pkt, { gsoType, gsoSize }, mtu)
  assert.ok(typeof r !== 'number', `segmentation failed with ${String(r)}`)
  return r.map((s) => Buffer.from(s))
}

/** Asserts that `segs` are the correct segmentation of `superPkt` (gsoSize payload each). */
function assertSegments(superPkt: Buffer, segs: Buffer[], gsoSize: number): void {
  const v6 = (superPkt[0] ?? 0) >> 4 === 6
  const payload = payloadOf(superPkt)
  assert.equal(segs.length, Math.ceil(payload.length / gsoSize))
  const flags = tcpOf(superPkt)[13] ?? 0
  const seq0 = tcpOf(superPkt).readUInt32BE(4)
  segs.forEach((s, k) => {
    const last = k === segs.length - 1
    const want = payload.subarray(k * gsoSize, (k + 1) * gsoSize)
    assert.ok(payloadOf(s).equals(want), `segment ${k}: payload`)
    assert.equal(tcpOf(s).readUInt32BE(4), (seq0 + k * gsoSize) >>> 0, `segment ${k}: sequence number`)
    let f = flags
    if (!last) f &= ~(F.FIN | F.PSH)
    if (k !== 0) f &= ~F.CWR
    assert.equal(tcpOf(s)[13], f, `segment ${k}: flags`)
    assert.ok(tcpChecksumOk(s), `segment ${k}: TCP checksum`)
    assert.ok(tcpOf(s).subarray(0, 4).equals(tcpOf(superPkt).subarray(0, 4)), 'ports')
    assert.equal(tcpOf(s).readUInt32BE(8), tcpOf(superPkt).readUInt32BE(8), 'ack')
    if (v6) {
      assert.equal(s.readUInt16BE(4), s.length - 40, `segment ${k}: IPv6 payload length`)
    } else {
      assert.equal(s.readUInt16BE(2), s.length, `segment ${k}: IPv4 total length`)
      assert.equal(s.readUInt16BE(4), (superPkt.readUInt16BE(4) + k) & 0xffff, `segment ${k}: IPv4 ID`)
      assert.ok(ipv4ChecksumOk(s), `segment ${k}: IPv4 header checksum`)
    }
  })
}

test('TSO segmentation of an IPv4 super-packet: boundaries, sequence numbers, flags, IDs, checksums', () => {
  const pkt = tcpPacket({
    seq: 0xfffff000,
    id: 0xfffe,
    flags: F.ACK | F.PSH | F.FIN | F.CWR | F.ECE,
    payload: pattern(5000),
  })
  pkt.writeUInt16BE(0x1234, 20 + 16) // TSO hands over a partial checksum: it must be recomputed
  const segs = segment(pkt, GSO_TCPV4, 1380)
  assert.deepEqual(
    segs.map((s) => s.length),
    [1420, 1420, 1420, 40 + 860],
  )
  assertSegments(pkt, segs, 1380)
})

test('TSO segmentation of an IPv6 super-packet with TCP options', () => {
  const ts = [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2] // NOP NOP timestamps
  const pkt = tcpPacket({ v6: true, seq: 5, options: ts, flags: F.ACK | F.PSH, payload: pattern(4 * 1348 + 1) })
  const segs = segment(pkt, GSO_TCPV6 | 0x80, 1348)
  assert.equal(segs.length, 5)
  assert.ok(segs.every((s) => s.length <= 1420))
  assertSegments(pkt, segs, 1348)
  assert.ok(
    tcpOf(segs[0] ?? Buffer.alloc(0))
      .subarray(20, 32)
      .equals(Buffer.from(ts)),
    'options copied',
  )
})

test('TSO segmentation refuses what it cannot segment safely', () => {
  const v4 = tcpPacket({ seq: 1, payload: pattern(3000) })
  assert.equal(hooks.tcpSegment(v4, { gsoType: GSO_TCPV4, gsoSize: 1400 }, 1420), SEG_TOO_BIG, 'segments above the MTU')
  assert.equal(
    hooks.tcpSegment(v4, { gsoType: GSO_TCPV6, gsoSize: 1000 }, 1420),
    SEG_MALFORMED,
    'GSO type of the other family',
  )
  assert.equal(hooks.tcpSegment(v4, { gsoType: GSO_TCPV4, gsoSize: 0 }, 1420), SEG_MALFORMED, 'gso_size 0')
  const udp = Buffer.from(v4)
  udp[9] = 17
  assert.equal(hooks.tcpSegment(udp, { gsoType: GSO_TCPV4, gsoSize: 1000 }, 1420), SEG_MALFORMED, 'not TCP')
  assert.equal(
    hooks.tcpSegment(v4.subarray(0, 30), { gsoType: GSO_TCPV4, gsoSize: 1000 }, 1420),
    SEG_MALFORMED,
    'cut header',
  )
})

test('a NEEDS_CSUM partial checksum is completed (TCP and UDP)', () => {
  const pkt = tcpPacket({ seq: 9, payload: pattern(333) })
  const partial = Buffer.from(pkt)
  tcpOf(partial).writeUInt16BE(pseudo(partial, tcpOf(partial).length), 16) // as the kernel leaves it
  const done = hooks.completeChecksum(partial, 20, 16)
  assert.ok(done !== null && tcpChecksumOk(Buffer.from(done)))
  assert.ok(Buffer.from(done).equals(pkt))
  assert.equal(hooks.completeChecksum(partial, 20, partial.length), null, 'offset out of bounds')
  const udp = Buffer.alloc(20 + 8 + 11)
  udp[0] = 0x45
  udp.writeUInt16BE(udp.length, 2)
  udp[9] = 17
  Buffer.from(V4.src).copy(udp, 12)
  Buffer.from(V4.dst).copy(udp, 16)
  udp.writeUInt16BE(19, 24)
  pattern(11).copy(udp, 28)
  udp.writeUInt16BE(sum16(Buffer.from([0, 17, 0, 19]), sum16(udp.subarray(12, 20))), 26)
  const u = hooks.completeChecksum(udp, 20, 6)
  assert.ok(u !== null)
  assert.equal(
    sum16(Buffer.from(u).subarray(20), sum16(Buffer.from([0, 17, 0, 19]), sum16(udp.subarray(12, 20)))),
    0xffff,
  )
})

/** Asserts `r` is the coalescing of `segs` and returns its packet. */
function assertCoalesced(
  r: { packet: Uint8Array; segments: number; vnet: VnetHeaderFields } | undefined,
  segs: Buffer[],
): Buffer {
  assert.ok(r !== undefined)
  const p = Buffer.from(r.packet)
  const v6 = (p[0] ?? 0) >> 4 === 6
  const first = segs[0] ?? Buffer.alloc(0)
  const hdr = first.length - payloadOf(first).length
  assert.equal(r.segments, segs.length)
  assert.ok(payloadOf(p).equals(Buffer.concat(segs.map(payloadOf))), 'payloads in order')
  if (v6) assert.equal(p.readUInt16BE(4), p.length - 40)
  else {
    assert.equal(p.readUInt16BE(2), p.length, 'IPv4 total length')
    assert.ok(ipv4ChecksumOk(p), 'IPv4 header checksum')
  }
  assert.deepEqual(r.vnet, {
    flags: NEEDS_CSUM,
    gsoType: v6 ? GSO_TCPV6 : GSO_TCPV4,
    hdrLen: hdr,
    gsoSize: payloadOf(first).length,
    csumStart: ipLen(p),
    csumOffset: 16,
  })
  // The field holds the pseudo-header sum; finishing it as the kernel does must verify.
  const t = tcpOf(p)
  assert.equal(t.readUInt16BE(16), pseudo(p, t.length), 'partial checksum = pseudo-header sum')
  const done = Buffer.from(p)
  tcpOf(done).writeUInt16BE(~sum16(tcpOf(done)) & 0xffff, 16)
  assert.ok(tcpChecksumOk(done))
  return p
}

test('coalescing joins in-order segments of one flow into a GSO super-packet', () => {
  const segs = flow(5, 1380)
  const out = hooks.tcpCoalesce(segs)
  assert.equal(out.length, 1)
  const p = assertCoalesced(out[0], segs)
  assert.equal(tcpOf(p)[13], F.ACK)
  assert.equal(tcpOf(p).readUInt32BE(4), 1000)

  const ts = [1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 8]
  const v6 = flow(3, 1000, { v6: true, options: ts })
  const last = tcpPacket({ v6: true, options: ts, seq: 4000, flags: F.ACK | F.PSH, payload: pattern(10) })
  const out6 = hooks.tcpCoalesce([...v6, last])
  assert.equal(out6.length, 1)
  const p6 = assertCoalesced(out6[0], [...v6, last])
  assert.equal(tcpOf(p6)[13], F.ACK | F.PSH, 'PSH of the last segment is kept')
})

test('coalescing stops after a short or PSH segment and never exceeds 65535 bytes', () => {
  const segs = flow(4, 1000)
  const short = tcpPacket({ seq: 5000, id: 104, payload: pattern(10) })
  const after = tcpPacket({ seq: 5010, id: 105, payload: pattern(10) })
  const out = hooks.tcpCoalesce([...segs, short, after])
  assert.deepEqual(
    out.map((r) => r.segments),
    [5, 1],
  )
  assertCoalesced(out[0], [...segs, short])

  const psh = flow(3, 1000).map((s, k) =>
    k === 1 ? tcpPacket({ seq: 2000, id: 101, flags: F.ACK | F.PSH, payload: pattern(1000, 1) }) : s,
  )
  assert.deepEqual(
    hooks.tcpCoalesce(psh).map((r) => r.segments),
    [2, 1],
  )

  const many = flow(60, 1380)
  const big = hooks.tcpCoalesce(many)
  assert.ok(big.length > 1)
  assert.equal(
    big.reduce((n, r) => n + r.segments, 0),
    60,
  )
  for (const r of big) assert.ok(r.packet.length <= 65535)
})

test('coalescing refuses gaps, other flows and incompatible headers or flags', () => {
  const [a, b] = flow(2, 1000)
  const seg = (over: Partial<Tcp>): Buffer => tcpPacket({ seq: 2000, id: 101, payload: pattern(1000, 1), ...over })
  const cases: Array<[string, Buffer]> = [
    ['a gap in the sequence', seg({ seq: 2001 })],
    ['a repeated segment', seg({ seq: 1000 })],
    ['another destination port', seg({ dport: 5002 })],
    ['another source port', seg({ sport: 40001 })],
    ['another source address', seg({ src: [10, 0, 0, 9] })],
    ['another ACK', seg({ ack: 778 })],
    ['another TTL', seg({ ttl: 63 })],
    ['another TOS', seg({ tos: 4 })],
    ['IPv4 ID not counting up', seg({ id: 150 })],
    ['other TCP options', seg({ options: [1, 1, 1, 1] })],
    ['a larger payload than the first', seg({ payload: pattern(1001) })],
    ['an empty payload', seg({ payload: Buffer.alloc(0) })],
    ...(['SYN', 'FIN', 'RST', 'URG', 'CWR', 'ECE'] as const).map((f): [string, Buffer] => [
      `flag ${f}`,
      seg({ flags: F.ACK | F[f] }),
    ]),
  ]
  for (const [what, second] of cases) {
    const out = hooks.tcpCoalesce([a ?? Buffer.alloc(0), second])
    assert.deepEqual(
      out.map((r) => r.segments),
      [1, 1],
      what,
    )
    assert.ok(Buffer.from(out[0]?.packet ?? []).equals(a ?? Buffer.alloc(0)), `${what}: the first packet is untouched`)
    assert.deepEqual(
      out[0]?.vnet,
      { flags: 0, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 0, csumOffset: 0 },
      `${what}: no GSO header`,
    )
  }
  const corrupt = Buffer.from(b ?? Buffer.alloc(0))
  corrupt[corrupt.length - 1] = (corrupt[corrupt.length - 1] ?? 0) ^ 0xff
  assert.deepEqual(
    hooks.tcpCoalesce([a ?? Buffer.alloc(0), corrupt]).map((r) => r.segments),
    [1, 1],
    'a bad TCP checksum',
  )
  for (const f of ['SYN', 'FIN', 'RST', 'URG', 'CWR', 'PSH'] as const) {
    const head = tcpPacket({ seq: 1000, id: 100, flags: F.ACK | F[f], payload: pattern(1000) })
    assert.deepEqual(
      hooks.tcpCoalesce([head, b ?? Buffer.alloc(0)]).map((r) => r.segments),
      [1, 1],
      `head with ${f}`,
    )
  }
  const v6 = flow(1, 1000, { v6: true })[0] ?? Buffer.alloc(0)
  assert.deepEqual(
    hooks.tcpCoalesce([a ?? Buffer.alloc(0), v6]).map((r) => r.segments),
    [1, 1],
    'another IP version',
  )
})

test('segmenting then coalescing gives back the super-packet', () => {
  const pkt = tcpPacket({ seq: 77, id: 9, flags: F.ACK | F.PSH, payload: pattern(20000, 3) })
  const segs = segment(pkt, GSO_TCPV4, 1380)
  const out = hooks.tcpCoalesce(segs)
  assert.equal(out.length, 1)
  const p = assertCoalesced(out[0], segs)
  assert.ok(payloadOf(p).equals(payloadOf(pkt)))
  assert.equal(tcpOf(p)[13], F.ACK | F.PSH)
})
