/**
 * Checks what one captured UDP payload carries: with UDP GSO a capture on the veth holds a
 * whole run of datagrams back to back (equal sizes, the last maybe shorter); without it,
 * one. Not a test itself.
 */
import assert from 'node:assert/strict'

const DATA_TYPE = 4
const HEADER = 16
const TAG = 16

/**
 * Splits `run` into data messages (each starts with type 4 and the receiver index of the
 * first, counters counting up by one) and asserts each carries at most `mtu` inner bytes.
 * Returns how many there were.
 */
export function checkSealedRun(run: Buffer, mtu: number): { datagrams: number } {
  assert.equal(run.readUInt32LE(0), DATA_TYPE, 'a data message')
  const prefix = run.subarray(0, 8)
  let size = run.length
  // The second message starts at the first later offset with the same type + receiver
  // index (8 bytes; the chance that ciphertext repeats them is negligible).
  const next = run.indexOf(prefix, HEADER + TAG)
  if (next > 0) size = next
  assert.ok(size - HEADER - TAG <= mtu, `a data message of ${size - HEADER - TAG} inner bytes exceeds the MTU ${mtu}`)
  let counter = run.readBigUInt64LE(8)
  let n = 0
  for (let off = 0; off < run.length; off += size, n++) {
    const len = Math.min(size, run.length - off)
    assert.ok(len >= HEADER + TAG, 'a message shorter than header + tag')
    assert.ok(run.subarray(off, off + 8).equals(prefix), `message ${n} of the run has another header`)
    assert.equal(run.readBigUInt64LE(off + 8), counter, `message ${n}: counters count up by one`)
    counter++
  }
  return { datagrams: n }
}
