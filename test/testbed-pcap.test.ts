// The pcap reader of @vpcmesh/testbed (libs/testbed/src/pcap.ts) on synthetic captures: both
// byte orders, non-UDP frames skipped, the UDP length honoured over Ethernet padding.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { firstUdpPayload, pcapFrames, udpPayloads } from '@vpcmesh/testbed'

/** An Ethernet frame carrying IPv4 with `proto` and `payload` (a UDP payload when proto is 17), padded to `padTo`. */
function frame(payload: Buffer, proto = 17, padTo = 0): Buffer {
  const udp = Buffer.alloc(8)
  udp.writeUInt16BE(8 + payload.length, 4)
  const ip = Buffer.alloc(20)
  ip[0] = 0x45
  ip[9] = proto
  const eth = Buffer.alloc(14)
  eth.writeUInt16BE(0x0800, 12)
  const f = Buffer.concat([eth, ip, udp, payload])
  return f.length >= padTo ? f : Buffer.concat([f, Buffer.alloc(padTo - f.length)])
}

function pcap(frames: Buffer[], littleEndian = true): Buffer {
  const u32 = (v: number): Buffer => {
    const b = Buffer.alloc(4)
    if (littleEndian) b.writeUInt32LE(v)
    else b.writeUInt32BE(v)
    return b
  }
  const header = Buffer.concat([u32(0xa1b2c3d4), Buffer.alloc(16), u32(1)])
  const records = frames.map((f) => Buffer.concat([u32(0), u32(0), u32(f.length), u32(f.length), f]))
  return Buffer.concat([header, ...records])
}

test('pcapFrames reads the frames and link type in either byte order', () => {
  const frames = [frame(Buffer.from('one')), frame(Buffer.from('two'))]
  for (const le of [true, false]) {
    const r = pcapFrames(pcap(frames, le))
    assert.equal(r.linkType, 1)
    assert.deepEqual(r.frames, frames)
  }
})

test('udpPayloads skips frames that are not IPv4 UDP and cuts Ethernet padding', () => {
  const tcp = frame(Buffer.from('tcp'), 6)
  const padded = frame(Buffer.from('hi'), 17, 60)
  assert.deepEqual(
    udpPayloads([tcp, padded, frame(Buffer.from('x'))]).map((b) => b.toString()),
    ['hi', 'x'],
  )
})

test('firstUdpPayload returns the first UDP payload and fails on a capture without one', () => {
  assert.equal(firstUdpPayload(pcap([frame(Buffer.from('tcp'), 6), frame(Buffer.from('wg'))])).toString(), 'wg')
  assert.throws(() => firstUdpPayload(pcap([])), /no IPv4 UDP packet/)
})
