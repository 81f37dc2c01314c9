import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bitAt, bitsEqual, commonBits, compareBytes, hasHostBits, maskedCopy } from '../src/bits.js'
import { mulberry32 } from '../src/testing/prng.js'

test('bitAt counts from the most significant bit, at an offset', () => {
  const buf = Uint8Array.from([0xff, 0b1000_0001, 0])
  assert.deepEqual(
    [0, 1, 2, 6, 7].map((i) => bitAt(buf, 1, i)),
    [1, 0, 0, 0, 1],
  )
})

test('maskedCopy and hasHostBits agree at every length', () => {
  const a = Uint8Array.from([0xff, 0xff, 0xff, 0xff])
  for (let bits = 0; bits <= 32; bits++) {
    const m = maskedCopy(a, bits)
    assert.equal(
      m.reduce((n, b) => n + b.toString(2).replaceAll('0', '').length, 0),
      bits,
    )
    assert.equal(hasHostBits(m, bits), false)
    assert.equal(hasHostBits(a, bits), bits < 32)
  }
  assert.deepEqual([...a], [0xff, 0xff, 0xff, 0xff], 'input untouched')
})

test('bitsEqual and commonBits match a bit-by-bit reference on random input', () => {
  const rng = mulberry32(0xc1d2)
  for (let round = 0; round < 5000; round++) {
    const a = Uint8Array.from({ length: 16 }, () => rng.int(256))
    const b = Uint8Array.from(a)
    const flip = rng.int(128)
    if (rng.int(4) !== 0) b[flip >>> 3] = b[flip >>> 3]! ^ (0x80 >>> (flip & 7))
    const off = rng.int(5)
    const shifted = new Uint8Array(16 + off)
    shifted.set(b, off)
    const from = rng.int(129)
    const to = from + rng.int(129 - from)
    let want = true
    for (let i = from; i < to; i++) if (bitAt(a, 0, i) !== bitAt(b, 0, i)) want = false
    assert.equal(bitsEqual(a, shifted, off, from, to), want, `round ${round} from ${from} to ${to}`)
    let common = 0
    while (common < 128 && bitAt(a, 0, common) === bitAt(b, 0, common)) common++
    const limit = rng.int(129)
    assert.equal(commonBits(a, b, limit), Math.min(common, limit), `round ${round} limit ${limit}`)
  }
})

test('compareBytes orders as unsigned big-endian numbers', () => {
  assert.ok(compareBytes(Uint8Array.from([1, 255]), Uint8Array.from([2, 0])) < 0)
  assert.ok(compareBytes(Uint8Array.from([200, 0]), Uint8Array.from([100, 255])) > 0)
  assert.equal(compareBytes(Uint8Array.from([7, 7]), Uint8Array.from([7, 7])), 0)
})
