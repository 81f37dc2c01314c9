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
 * The data messages of `run`, split at the size of the first: the second message starts at
 * the first later offset with the same type + receiver index (8 bytes; the chance that
 * ciphertext repeats them is negligible). Nothing is checked but the type of the first.
 */
export function splitSealedRun(run: Buffer): Buffer[] {
  assert.equal(run.readUInt32LE(0), DATA_TYPE, 'a data message')
  const next = run.indexOf(run.subarray(0, 8), HEADER + TAG)
  const size = next > 0 ? next : run.length
  const out: Buffer[] = []
  for (let off = 0; off < run.length; off += size) out.push(run.subarray(off, Math.min(off + size, run.length)))
  return out
}

/**
 * Splits `run` into data messages (each starts with type 4 and the receiver index of the
 * first, counters counting up by one) and asserts each carries at most `mtu` inner bytes.
 * Returns how many there were.
 */
export function checkSealedRun(run: Buffer, mtu: number): { datagrams: number } {
  const messages = splitSealedRun(run)
  const prefix = run.subarray(0, 8)
  const size = messages[0]?.length ?? 0
  assert.ok(size - HEADER - TAG <= mtu, `a data message of ${size - HEADER - TAG} inner bytes exceeds the MTU ${mtu}`)
  let counter = run.readBigUInt64LE(8)
  for (const [n, m] of messages.entries()) {
    assert.ok(m.length >= HEADER + TAG, 'a message shorter than header + tag')
    assert.ok(m.subarray(0, 8).equals(prefix), `message ${n} of the run has another header`)
    assert.equal(m.readBigUInt64LE(8), counter, `message ${n}: counters count up by one`)
    counter++
  }
  return { datagrams: messages.length }
}
