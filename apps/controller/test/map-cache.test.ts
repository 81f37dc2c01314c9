import { test } from 'node:test'
import assert from 'node:assert/strict'
import { encodeMessage, type Snapshot } from '@vpcmesh/protocol'
import { MapCache } from '../src/mesh/map-cache.js'
import { PlanIndex, planSnapshot, planUpdate } from '../src/mesh/planner.js'
import type { Change, RegistryDiff, RegistrySnapshot, VpcRecord } from '../src/state/store.js'

function vpc(n: number): VpcRecord {
  return {
    id: `vpc_${String(n).padStart(12, '0')}`,
    name: `v${n}`,
    cidrs: [`10.${n}.0.0/16`],
    routes: n === 2 ? ['172.16.0.0/24'] : [],
    endpoint: `192.0.2.${n}:51820`,
    masquerade: n % 2 === 0,
    publicKey: n === 3 ? 'not a key' : Buffer.alloc(32, n).toString('base64'),
    createdAt: n,
    updatedAt: n,
    version: n,
  }
}

/** No change log: every read falls back to a full snapshot. */
const noLog = async (): Promise<undefined> => undefined

/** A store whose snapshot() answers when released, counting reads. */
function slowStore(snap: () => RegistrySnapshot): {
  store: { snapshot: () => Promise<RegistrySnapshot>; registrySince: typeof noLog }
  reads: () => number
  release: () => void
} {
  let reads = 0
  let waiting: Array<() => void> = []
  return {
    store: {
      snapshot: async () => {
        reads++
        await new Promise<void>((resolve) => {
          waiting.push(resolve)
        })
        return snap()
      },
      registrySince: noLog,
    },
    reads: () => reads,
    release: () => {
      const w = waiting
      waiting = []
      for (const r of w) r()
    },
  }
}

test('callers during a registry read share the one read queued after it, and a version is built once', async () => {
  let version = 5
  const s = slowStore(() => ({ version, vpcs: [1, 2, 3].map(vpc) }))
  const cache = new MapCache({ store: s.store })
  const first = cache.latest()
  const later = Array.from({ length: 50 }, async () => await cache.latest())
  assert.equal(s.reads(), 1, 'the 50 later callers wait for a read that starts after theirs')
  s.release()
  const v1 = await first
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(s.reads(), 2, 'one queued read serves all 50')
  s.release()
  const views = await Promise.all(later)
  assert.ok(
    views.every((v) => v === v1),
    'same version: the same view is reused, not rebuilt',
  )
  version = 6
  const again = cache.latest()
  s.release()
  await new Promise((resolve) => setImmediate(resolve))
  s.release()
  const v2 = await again
  assert.notEqual(v2, v1)
  assert.equal(v2.version, 6)
  assert.equal(s.reads(), 3)
})

test('a failed read rejects its callers and the next call reads again', async () => {
  let fail = true
  const cache = new MapCache({
    store: {
      snapshot: async () => {
        if (fail) throw new Error('down')
        return { version: 1, vpcs: [vpc(1)] }
      },
      registrySince: noLog,
    },
  })
  await assert.rejects(cache.latest(), /down/)
  fail = false
  assert.equal((await cache.latest()).version, 1)
})

test("shared frames are the same text as encoding each agent's planned update", () => {
  const snap: RegistrySnapshot = { version: 9, vpcs: [1, 2, 3, 4, 5, 6, 7, 8, 9].map(vpc) }
  const changes: Change[] = [
    { version: 7, id: vpc(7).id, kind: 'upsert' },
    { version: 8, id: vpc(8).id, kind: 'upsert' },
    { version: 9, id: 'vpc_000000000099', kind: 'remove' },
  ]
  const index = new PlanIndex(snap, changes)
  for (const from of [0, 6, 7, 8, 9, 12]) {
    for (const v of snap.vpcs) {
      const u = planUpdate(v.id, from, snap, from === 0 ? undefined : changes, index)
      assert.notEqual(u.type, 'removed')
      if (u.type === 'removed') continue
      assert.equal(index.frame(v.id, u).toString(), encodeMessage(u), `${v.name} from ${from}`)
    }
  }
  const one: RegistrySnapshot = { version: 1, vpcs: [vpc(1)] }
  const u = planUpdate(vpc(1).id, 0, one, undefined)
  if (u.type !== 'removed') assert.equal(new PlanIndex(one, undefined).frame(vpc(1).id, u).toString(), encodeMessage(u))
})

test('a new version reuses the nodes of unchanged VPCs and rebuilds changed ones', async () => {
  let snap: RegistrySnapshot = { version: 3, vpcs: [1, 2, 3].map(vpc) }
  const cache = new MapCache({ store: { snapshot: async () => snap, registrySince: noLog } })
  const v3 = await cache.latest()
  const before = [1, 2, 3].map((n) => v3.node(vpc(n).id))
  const frame = v3.snapshotFrame(vpc(1).id)?.toString()
  const changed = { ...vpc(2), name: 'renamed', version: 4, updatedAt: 4 }
  snap = { version: 4, vpcs: [vpc(1), changed, vpc(3)] }
  const v4 = await cache.latest()
  assert.equal(v4.node(vpc(1).id), before[0])
  assert.equal(v4.node(vpc(3).id), before[2])
  assert.notEqual(v4.node(vpc(2).id), before[1])
  assert.equal(v4.node(vpc(2).id)?.name, 'renamed')
  assert.equal(
    v4.snapshotFrame(vpc(1).id)?.toString(),
    (frame as string).replace('"version":3', '"version":4').replace('"name":"v2"', '"name":"renamed"'),
  )
})

test('with a view held, the cache applies the diff since its version instead of reading every record', async () => {
  let full = 0
  const since: number[] = []
  let diff: RegistryDiff | undefined
  const cache = new MapCache({
    store: {
      snapshot: async () => {
        full++
        return { version: 3, vpcs: [1, 2, 3].map(vpc), epoch: 'e1' }
      },
      registrySince: async (from) => {
        since.push(from)
        return diff
      },
    },
  })
  const v3 = await cache.latest()
  const node1 = v3.node(vpc(1).id)
  assert.equal(full, 1, 'the first read is a full snapshot')
  const renamed = { ...vpc(2), name: 'renamed', version: 5, updatedAt: 5 }
  const added = { ...vpc(4), createdAt: 0 }
  diff = { epoch: 'e1', version: 5, upserted: [renamed, added], removed: [vpc(3).id] }
  const v5 = await cache.latest()
  assert.equal(full, 1, 'no second full read')
  assert.deepEqual(since, [3])
  assert.equal(v5.version, 5)
  assert.deepEqual(
    v5.snap.vpcs.map((v) => v.name),
    ['v4', 'v1', 'renamed'],
    'removed dropped, changed replaced in place, new sorted in by creation time like a full read',
  )
  assert.equal(v5.node(vpc(1).id), node1, 'unchanged nodes are carried over')
  for (const v of v5.snap.vpcs)
    assert.equal(
      v5.snapshotFrame(v.id)?.toString(),
      encodeMessage(planSnapshot(v.id, v5.snap) as Snapshot),
      `the view built from the diff frames ${v.name} like a fresh one`,
    )
  assert.equal(v5.snapshotFrame(vpc(3).id), undefined, 'a removed VPC has no frame')
  diff = { epoch: 'e1', version: 5, upserted: [], removed: [] }
  assert.equal(await cache.latest(), v5, 'same version: the held view')
})

test('the cache falls back to a full read when the log does not reach back or the epoch changed', async () => {
  let full = 0
  let snap: RegistrySnapshot = { version: 3, vpcs: [1, 2, 3].map(vpc), epoch: 'e1' }
  let diff: RegistryDiff | undefined
  const cache = new MapCache({
    store: {
      snapshot: async () => {
        full++
        return snap
      },
      registrySince: async () => diff,
    },
  })
  await cache.latest()
  snap = { version: 9, vpcs: [1, 2].map(vpc), epoch: 'e1' }
  diff = undefined
  const trimmed = await cache.latest()
  assert.equal(full, 2, 'log trimmed (or store behind): full read')
  assert.equal(trimmed.version, 9)
  assert.equal(trimmed.snap.vpcs.length, 2)
  snap = { version: 12, vpcs: [vpc(5)], epoch: 'e2' }
  diff = { epoch: 'e2', version: 12, upserted: [vpc(6)], removed: [] }
  const reset = await cache.latest()
  assert.equal(full, 3, 'another epoch: the diff is not applied, a full read is')
  assert.deepEqual(
    reset.snap.vpcs.map((v) => v.id),
    [vpc(5).id],
  )
  assert.equal(reset.snap.epoch, 'e2')
})
