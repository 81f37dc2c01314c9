import { test } from 'node:test'
import assert from 'node:assert/strict'
import { noopLogger } from '@vpcmesh/common'
import { FakeClock } from '@vpcmesh/common/testing'
import type { NetMap } from '@vpcmesh/protocol'
import { Reconciler } from '../src/runtime/reconciler.js'

const map = (version: number): NetMap => ({
  version,
  self: {
    id: 'vpc_000000000001',
    name: 'a',
    cidrs: [],
    routes: [],
    endpoint: 'x:1',
    publicKey: null,
    masquerade: true,
  },
  peers: [],
})
const tick = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve()
}

test('maps submitted while one applies are coalesced to the newest', async () => {
  const clock = new FakeClock(0)
  const applied: number[] = []
  let release: () => void = () => {}
  const r = new Reconciler({
    clock,
    logger: noopLogger,
    apply: async (m) => {
      applied.push(m.version)
      if (m.version === 1)
        await new Promise<void>((resolve) => {
          release = resolve
        })
    },
    onApplied: () => {},
    onError: () => {},
  })
  r.submit(map(1))
  r.submit(map(2))
  r.submit(map(3))
  r.submit(map(4))
  release()
  await tick()
  assert.deepEqual(applied, [1, 4])
  assert.equal(r.applied?.version, 4)
})

test('a failed apply is retried after the retry delay, unless a newer map came', async () => {
  const clock = new FakeClock(0)
  let fail = true
  const errors: unknown[] = []
  const ok: number[] = []
  const r = new Reconciler(
    {
      clock,
      logger: noopLogger,
      apply: async () => {
        if (fail) throw new Error('nft exploded')
      },
      onApplied: (m) => {
        ok.push(m.version)
      },
      onError: (e) => {
        errors.push(e)
      },
    },
    2000,
  )
  r.submit(map(1))
  await tick()
  assert.equal(errors.length, 1)
  assert.equal(r.lastError, 'nft exploded')
  fail = false
  clock.advance(1999)
  await tick()
  assert.deepEqual(ok, [])
  clock.advance(1)
  await tick()
  assert.deepEqual(ok, [1])
  assert.equal(r.lastError, undefined)
  r.refresh()
  await tick()
  assert.deepEqual(ok, [1, 1], 'refresh re-applies the applied map')
})
