// Seeded randomized test of the replay window against a naive reference (a set of seen
// counters + the newest), for both the native window (through the addon's test hook)
// and the TypeScript port used by the fake engine.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { nativeTestHooks, ReplayWindow } from '../src/testing/index.js'

const WINDOW = BigInt(ReplayWindow.SIZE)

/** mulberry32: a tiny seeded PRNG, [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Naive reference: accept iff unseen and (newer than newest or less than WINDOW behind). */
function naive(counters: bigint[]): number[] {
  const seen = new Set<bigint>()
  let newest = 0n
  return counters.map((c) => {
    const ok = !seen.has(c) && (c > newest || newest - c < WINDOW)
    if (ok) {
      seen.add(c)
      if (c > newest) newest = c
    }
    return ok ? 1 : 0
  })
}

/** Mostly in-order traffic with reordering, duplicates, jumps and probes at the window edge. */
function sequence(seed: number, n: number): bigint[] {
  const rnd = prng(seed)
  const out: bigint[] = []
  let next = 0n
  for (let i = 0; i < n; i++) {
    const r = rnd()
    let c: bigint
    if (r < 0.6) c = next++
    else if (r < 0.75)
      c = next - BigInt(Math.floor(rnd() * 300)) // reordered
    else if (r < 0.85)
      c = out[Math.floor(rnd() * out.length)] ?? 0n // duplicate
    else if (r < 0.9)
      c = next - WINDOW + BigInt(Math.floor(rnd() * 5) - 2) // window edge
    else if (r < 0.95) {
      next += BigInt(Math.floor(rnd() * 9000))
      c = next
    } // jump
    else c = next - BigInt(Math.floor(rnd() * 20000)) // old
    out.push(c < 0n ? 0n : c)
  }
  return out
}

test('replay window: native and TS port agree with the naive reference on seeded random sequences', () => {
  const hooks = nativeTestHooks()
  assert.equal(hooks.constants.replayWindowSize, ReplayWindow.SIZE)
  assert.ok(ReplayWindow.SIZE >= 2048)
  for (let seed = 1; seed <= 20; seed++) {
    const counters = sequence(seed, 20000)
    const want = naive(counters)
    const native = Array.from(hooks.replayWindowRun(BigUint64Array.from(counters)))
    assert.deepEqual(native, want, `native, seed ${seed}`)
    const w = new ReplayWindow()
    const port = counters.map((c) => {
      const ok = w.check(c)
      if (ok) w.mark(c)
      return ok ? 1 : 0
    })
    assert.deepEqual(port, want, `TS port, seed ${seed}`)
  }
})

test('replay window: edge cases', () => {
  const run = (cs: bigint[]): number[] => Array.from(nativeTestHooks().replayWindowRun(BigUint64Array.from(cs)))
  assert.deepEqual(run([0n, 0n, 1n, 1n]), [1, 0, 1, 0], 'counter 0 is valid once')
  assert.deepEqual(run([20000n, 20000n - WINDOW, 20001n - WINDOW]), [1, 0, 1], 'exactly at the window edge')
  assert.deepEqual(run([10n, 3n, 7n, 3n, 100000n, 99999n, 10n]), [1, 1, 1, 0, 1, 1, 0], 'out of order, then far jump')
  assert.deepEqual(
    run([2n ** 64n - 1n, 2n ** 64n - 8192n - 1n, 2n ** 64n - 8192n - 2n]),
    [0, 0, 1],
    'REJECT_AFTER_MESSAGES',
  )
})
