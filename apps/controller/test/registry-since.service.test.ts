// RedisStore.registrySince (apps/controller/src/state/redis-store.ts) on a real redis-server:
// the records the change log names since a version, matching a full snapshot, and undefined
// when the log no longer reaches back or the store is behind.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { parsePrefix } from '@vpcmesh/cidr'
import { applyDiff } from '../src/mesh/map-cache.js'
import { createRedisStore } from '../src/state/redis-store.js'
import type { Store } from '../src/state/store.js'
import { mustRedis } from './helpers.js'

describe('RedisStore.registrySince', () => {
  let redis: Awaited<ReturnType<typeof mustRedis>>
  let store: Store
  let short: Store

  before(async () => {
    redis = await mustRedis()
    store = await createRedisStore({}, { url: redis.url, prefix: 'since:' })
    short = await createRedisStore({}, { url: redis.url, prefix: 'short:', changeLogMax: 2 })
  })
  after(async () => {
    await store.close()
    await short.close()
    await redis.stop()
  })

  const input = (n: number) => ({
    name: `v${n}`,
    cidrs: [parsePrefix(`10.${n}.0.0/16`)],
    endpoint: `192.0.2.${n}:51820`,
    masquerade: false,
  })

  test('names each VPC changed since the version once, with its current record or as removed', async () => {
    const epoch = await store.epoch()
    const a = await store.createVpc(input(1), 'ha', 60)
    const b = await store.createVpc(input(2), 'hb', 60)
    const base = await store.snapshot()
    assert.equal(base.epoch, epoch, 'a full read carries the epoch')
    const c = await store.createVpc(input(3), 'hc', 60)
    await store.updateVpc(a.id, { name: 'a-renamed' })
    await store.updateVpc(a.id, { name: 'a-again' })
    await store.deleteVpc(b.id)
    const d = await store.registrySince(base.version)
    assert.ok(d !== undefined)
    assert.equal(d.epoch, epoch)
    assert.equal(d.version, base.version + 4)
    assert.deepEqual(d.removed, [b.id])
    assert.deepEqual(
      d.upserted.map((r) => [r.id, r.name]),
      [
        [c.id, 'v3'],
        [a.id, 'a-again'],
      ],
      'a VPC changed twice appears once, with its newest record',
    )
    assert.deepEqual(applyDiff(base, d), await store.snapshot(), 'base + diff equals a full read')
    const none = await store.registrySince(d.version)
    assert.deepEqual(none, { epoch, version: d.version, upserted: [], removed: [] })
  })

  test('is undefined when the store is behind the version asked for', async () => {
    const v = await store.currentVersion()
    assert.equal(await store.registrySince(v + 5), undefined)
  })

  test('is undefined when the change log was trimmed past the version', async () => {
    await short.createVpc(input(1), 's1', 60)
    const v1 = await short.currentVersion()
    for (const n of [2, 3, 4]) await short.createVpc(input(n), `s${n}`, 60)
    assert.equal(await short.registrySince(v1), undefined, 'log keeps 2 entries: it no longer reaches v1')
    const recent = await short.registrySince(v1 + 2)
    assert.ok(recent !== undefined, 'the last two changes are still in the log')
    assert.equal(recent.upserted.length, 1)
  })
})
