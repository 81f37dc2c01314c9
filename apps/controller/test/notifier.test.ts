import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FakeClock } from '@vpcmesh/common/testing'
import { noopLogger } from '@vpcmesh/common'
import { MapCache } from '../src/mesh/map-cache.js'
import { Notifier, type MapTarget } from '../src/mesh/notifier.js'
import type { Update } from '../src/mesh/planner.js'
import type { RegistrySnapshot, Store } from '../src/state/store.js'

const rec = {
  id: 'vpc_000000000001',
  name: 'v1',
  cidrs: ['10.1.0.0/16'],
  routes: [],
  endpoint: '192.0.2.1:51820',
  masquerade: true,
  publicKey: null,
  createdAt: 1,
  updatedAt: 1,
  version: 1,
}

/**
 * A notifier over a store whose first registry read waits until `finish()`: the test moves the
 * fake clock meanwhile, which is how long that push takes. Later reads answer at once.
 */
function setup(): { clock: FakeClock; notifier: Notifier; reads: number[]; change: () => void; finish: () => void } {
  const clock = new FakeClock()
  let version = 1
  let release: (() => void) | undefined
  let stalled = false
  const reads: number[] = []
  const store = {
    snapshot: async (): Promise<RegistrySnapshot> => {
      reads.push(clock.monotonic())
      if (!stalled) {
        stalled = true
        await new Promise<void>((resolve) => {
          release = resolve
        })
      }
      return { version, vpcs: [rec] }
    },
    changesSince: async () => ({ version, changes: [] }),
    registrySince: async () => undefined,
  } as unknown as Store
  const target: MapTarget & { sentVersion: number } = {
    vpcId: rec.id,
    sentVersion: 0,
    sendUpdate(u: Update) {
      if (u.type !== 'removed') this.sentVersion = u.version
    },
  }
  const notifier = new Notifier({
    store,
    maps: new MapCache({ store }),
    clock,
    logger: noopLogger,
    targets: () => [target],
  })
  return {
    clock,
    notifier,
    reads,
    change: () => {
      version++
    },
    finish: () => {
      release?.()
    },
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
}

test("while changes keep coming, the next push waits ten times the last push's cost", async () => {
  const { clock, notifier, reads, change, finish } = setup()
  const t0 = clock.monotonic()
  notifier.kick()
  clock.advance(20)
  assert.deepEqual(reads, [t0 + 20])
  clock.advance(50)
  change()
  notifier.kick()
  finish()
  await settle()
  clock.advance(499)
  await settle()
  assert.equal(reads.length, 1, 'still in the busy gap of 10 × 50 ms')
  clock.advance(1)
  await settle()
  assert.deepEqual(reads, [t0 + 20, t0 + 570])
})

test('a session that becomes ready behind the newest version gets a catch-up of its own, not a mesh-wide push', async () => {
  const clock = new FakeClock()
  let reads = 0
  let announce: ((v: number) => void) | undefined
  const store = {
    snapshot: async (): Promise<RegistrySnapshot> => {
      reads++
      return { version: 2, vpcs: [rec] }
    },
    changesSince: async () => ({ version: 2, changes: [] }),
    registrySince: async () => undefined,
    currentVersion: async () => 2,
    onVersion: (fn: (v: number) => void) => {
      announce = fn
      return () => undefined
    },
  } as unknown as Store
  const sent: Array<[string, number]> = []
  const target = (name: string, sentVersion: number): MapTarget & { sentVersion: number } => ({
    vpcId: rec.id,
    sentVersion,
    sendUpdate(u: Update) {
      if (u.type === 'removed') return
      this.sentVersion = u.version
      sent.push([name, u.version])
    },
  })
  // `behind` is ready in the hub too (a mesh-wide push would reach it): the catch-up must not.
  const other = target('other', 1)
  const behind = target('behind', 1)
  const notifier = new Notifier({
    store,
    maps: new MapCache({ store }),
    clock,
    logger: noopLogger,
    targets: () => [other, behind],
  })
  notifier.start()
  const upToDate = target('up-to-date', 0)
  notifier.catchUp(upToDate)
  clock.advance(20)
  await settle()
  assert.equal(reads, 0, 'nothing newer is known: no read, no push')
  announce?.(2)
  notifier.stop()
  clock.advance(20)
  await settle()
  assert.deepEqual(sent, [
    ['other', 2],
    ['behind', 2],
  ])
  sent.length = 0
  other.sentVersion = 1
  const late = target('late', 1)
  notifier.catchUp(late)
  notifier.catchUp(target('late-too', 1))
  clock.advance(19)
  await settle()
  assert.deepEqual(sent, [], 'served after the batch window')
  clock.advance(1)
  await settle()
  assert.deepEqual(
    sent,
    [
      ['late', 2],
      ['late-too', 2],
    ],
    'one run serves both sessions and only them',
  )
  assert.equal(other.sentVersion, 1, 'the other ready session got no push')
})
