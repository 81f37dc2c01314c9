import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { FrameReader, frame } from '../src/dns/tcp-framing.js'

describe('dns tcp framing', () => {
  test('splits several messages in one chunk and one message over many chunks', () => {
    const a = Buffer.from('hello')
    const b = Buffer.alloc(300, 7)
    const stream = Buffer.concat([frame(a), frame(b), frame(a)])
    const r = new FrameReader()
    assert.deepEqual(r.push(stream.subarray(0, 8)), [a])
    assert.equal(r.buffered, 1)
    const rest: Buffer[] = []
    for (let i = 8; i < stream.length; i += 3) rest.push(...r.push(stream.subarray(i, i + 3)))
    assert.deepEqual(rest, [b, a])
    assert.equal(r.buffered, 0)
  })

  test('refuses a message longer than 65535 bytes', () => {
    assert.throws(() => frame(Buffer.alloc(65_536)), RangeError)
    assert.equal(frame(Buffer.alloc(65_535)).readUInt16BE(0), 65_535)
  })
})
