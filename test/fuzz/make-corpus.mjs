#!/usr/bin/env node
// Writes the seed corpus of the packet engine's fuzz targets (libs/tun/native/fuzz/) to
// test/fuzz/corpus/<target>/: a few valid inputs per target in the format its source file
// describes. Deterministic; run it again after changing an input format:
//   node test/fuzz/make-corpus.mjs
import { createCipheriv } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const corpus = join(dirname(fileURLToPath(import.meta.url)), 'corpus')

function write(target, name, bytes) {
  mkdirSync(join(corpus, target), { recursive: true })
  writeFileSync(join(corpus, target, name), bytes)
}

// --- packets --------------------------------------------------------------------------

function sum16(buf, acc = 0) {
  for (let i = 0; i < buf.length; i += 2) acc += (buf[i] << 8) | (i + 1 < buf.length ? buf[i + 1] : 0)
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 0x10000)
  return acc
}

// A TCP/IP packet with valid IP and TCP checksums. v: 4 or 6.
function tcpPacket({ v = 4, payload = 100, seq = 1000, id = 7, flags = 0x10, options = false, fill = 0 }) {
  const tcpHdr = options ? 32 : 20
  const ipHdr = v === 4 ? 20 : 40
  const p = Buffer.alloc(ipHdr + tcpHdr + payload)
  if (v === 4) {
    p.writeUInt8(0x45, 0)
    p.writeUInt16BE(p.length, 2)
    p.writeUInt16BE(id, 4)
    p.writeUInt16BE(0x4000, 6) // DF
    p.writeUInt8(64, 8)
    p.writeUInt8(6, 9)
    Buffer.from([10, 0, 0, 1, 10, 0, 0, 2]).copy(p, 12)
    p.writeUInt16BE(~sum16(p.subarray(0, 20)) & 0xffff, 10)
  } else {
    p.writeUInt32BE(0x60000000, 0)
    p.writeUInt16BE(p.length - 40, 4)
    p.writeUInt8(6, 6)
    p.writeUInt8(64, 7)
    Buffer.from('fd000000000000000000000000000001fd000000000000000000000000000002', 'hex').copy(p, 8)
  }
  const t = p.subarray(ipHdr)
  t.writeUInt16BE(40000, 0)
  t.writeUInt16BE(5201, 2)
  t.writeUInt32BE(seq >>> 0, 4)
  t.writeUInt32BE(555, 8)
  t.writeUInt8((tcpHdr / 4) << 4, 12)
  t.writeUInt8(flags, 13)
  t.writeUInt16BE(502, 14)
  if (options) Buffer.from([1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]).copy(t, 20) // NOP NOP timestamps
  for (let i = 0; i < payload; i++) t[tcpHdr + i] = (i * 7 + fill) & 0xff
  const pseudo = v === 4 ? p.subarray(12, 20) : p.subarray(8, 40)
  const acc = sum16(pseudo, 6 + t.length)
  t.writeUInt16BE(~sum16(t, acc) & 0xffff, 16)
  return p
}

function vnet({ flags = 0, gso = 0, hdrLen = 0, gsoSize = 0, csumStart = 0, csumOffset = 0 }) {
  const h = Buffer.alloc(10)
  h.writeUInt8(flags, 0)
  h.writeUInt8(gso, 1)
  h.writeUInt16LE(hdrLen, 2) // host order (little-endian on the machines CI runs on)
  h.writeUInt16LE(gsoSize, 4)
  h.writeUInt16LE(csumStart, 6)
  h.writeUInt16LE(csumOffset, 8)
  return h
}

// --- datagram: sealed data messages under the targets' fixed receive key --------------

const recvKey = Buffer.from(Array.from({ length: 32 }, (_, i) => i + 1))

function dataMessage(cipher, receiver, counter, payload) {
  const header = Buffer.alloc(16)
  header.writeUInt32LE(4, 0)
  header.writeUInt32LE(receiver, 4)
  header.writeBigUInt64LE(BigInt(counter), 8)
  const nonce = Buffer.alloc(12)
  nonce.writeBigUInt64LE(BigInt(counter), 4)
  const c = createCipheriv(cipher, recvKey, nonce, { authTagLength: 16 })
  c.setAAD(header)
  const body = Buffer.concat([c.update(payload), c.final()])
  return Buffer.concat([header, body, c.getAuthTag()])
}

const payloads = {
  keepalive: Buffer.alloc(0),
  ipv4: tcpPacket({ payload: 40 }),
  ipv6: tcpPacket({ v: 6, payload: 40 }),
  control: Buffer.from([0, 1, 2, 3]),
  malformed: Buffer.from([0x10, 0x20]),
}
for (const [cipher, tag] of [
  ['aes-256-gcm', 'aes'],
  ['chacha20-poly1305', 'chacha'],
]) {
  for (const [name, p] of Object.entries(payloads)) write('datagram', `${tag}-${name}`, dataMessage(cipher, 1, 5, p))
  write('datagram', `${tag}-far-counter`, dataMessage(cipher, 0x01020304, 4100, payloads.ipv4))
}
const handshake = Buffer.alloc(148, 0x5a)
handshake.writeUInt32LE(1, 0)
write('datagram', 'raw-handshake', handshake)
write('datagram', 'short', Buffer.from([4, 0, 0]))

// --- tun_packet: virtio_net_hdr + packet ----------------------------------------------

const v4 = tcpPacket({ payload: 64 })
write('tun_packet', 'plain-v4', Buffer.concat([vnet({}), v4]))
write('tun_packet', 'plain-v6-options', Buffer.concat([vnet({}), tcpPacket({ v: 6, payload: 9, options: true })]))
write('tun_packet', 'needs-csum-tcp', Buffer.concat([vnet({ flags: 1, csumStart: 20, csumOffset: 16 }), v4]))
write('tun_packet', 'needs-csum-udp', Buffer.concat([vnet({ flags: 1, csumStart: 20, csumOffset: 6 }), v4]))
write('tun_packet', 'gso-v4', Buffer.concat([vnet({ flags: 1, gso: 1, hdrLen: 40, gsoSize: 16 }), v4]))

// --- tso: [MTU selector u16 BE][virtio_net_hdr][super-packet] -------------------------

const mtu1420 = Buffer.from([3, 76]) // 576 + 844 = 1420, segment limit 13
const mtu9000 = Buffer.from([0x20, 0xe8]) // 576 + 8424 = 9000, segment limit 41
write(
  'tso',
  'v4-3000',
  Buffer.concat([mtu1420, vnet({ gso: 1, hdrLen: 40, gsoSize: 500 }), tcpPacket({ payload: 3000 })]),
)
write(
  'tso',
  'v6-options-psh-fin',
  Buffer.concat([
    mtu1420,
    vnet({ gso: 4, hdrLen: 72, gsoSize: 1348 }),
    tcpPacket({ v: 6, payload: 4000, options: true, flags: 0x19 }),
  ]),
)
write(
  'tso',
  'v4-ecn-cwr',
  Buffer.concat([mtu9000, vnet({ gso: 0x81, hdrLen: 40, gsoSize: 8000 }), tcpPacket({ payload: 12000, flags: 0x90 })]),
)

// Found by fuzz_tso: an IPv6 packet with gso_type ECN alone (no TCPV6) was segmented.
write(
  'tso',
  'regress-ecn-only-v6',
  Buffer.concat([
    mtu1420,
    vnet({ gso: 0x80, hdrLen: 72, gsoSize: 1348 }),
    tcpPacket({ v: 6, payload: 4000, options: true, flags: 0x19 }),
  ]),
)

// --- gro: records [ctl][u16 LE length][bytes] -----------------------------------------

function record(ctl, bytes) {
  const h = Buffer.alloc(3)
  h.writeUInt8(ctl, 0)
  h.writeUInt16LE(bytes.length, 1)
  return Buffer.concat([h, bytes])
}
const body = (n, fill) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 13 + fill) & 0xff))
for (const [name, first] of [
  ['v4', tcpPacket({ payload: 200 })],
  ['v6-options', tcpPacket({ v: 6, payload: 200, options: true })],
]) {
  write(
    'gro',
    `${name}-run`,
    Buffer.concat([record(0, first), record(3, body(200, 1)), record(3, body(200, 2)), record(3, body(120, 3))]),
  )
  write(
    'gro',
    `${name}-psh`,
    Buffer.concat([record(0, first), record(3, body(200, 1)), record(0x13, body(200, 2)), record(3, body(200, 4))]),
  )
}
write(
  'gro',
  'v4-window-then-new-flow',
  Buffer.concat([
    record(0, tcpPacket({ payload: 300, seq: 0xffffff00 })),
    record(0x43, body(300, 5)),
    record(0, tcpPacket({ payload: 300, seq: 9, id: 100 })),
    record(3, body(300, 6)),
  ]),
)

// --- replay: records [op][u16 LE value] (op 3: then an absolute u64 LE counter) ---------

const ops = (...rs) => Buffer.from(rs.flat())
write('replay', 'in-order', ops([0, 1, 0], [0, 1, 0], [0, 1, 0], [1, 1, 0], [1, 2, 0]))
write(
  'replay',
  'reorder-edge',
  ops([0, 0xc0, 0x0f], [1, 0xbf, 0x0f], [1, 0xc0, 0x0f], [1, 0xc1, 0x0f], [5, 3, 0], [1, 3, 0]),
)
write('replay', 'ring-wrap', ops([2, 63, 0], [1, 1, 0], [2, 64, 0], [1, 64, 0], [2, 65, 0], [1, 0xff, 0xff]))
const far = Buffer.alloc(8)
far.writeBigUInt64LE(0xffffffffffffdfffn)
write('replay', 'far-future', Buffer.concat([ops([0, 9, 0], [3, 0, 0]), far, ops([1, 1, 0], [0, 1, 0])]))
