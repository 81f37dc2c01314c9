// VersionedTx (apps/controller/src/state/redis-tx.ts) on a real redis-server: what a decision commits, and
// that a concurrent commit makes the operation run again on fresh data.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { hasCode } from '@vpcmesh/common'
import { RedisKeys } from '../src/state/redis-keys.js'
import { type TxDecision, type TxView, VersionedTx, unchanged } from '../src/state/redis-tx.js'
import { mustRedis } from './helpers.js'

describe('VersionedTx', () => {
  let redis: Awaited<ReturnType<typeof mustRedis>>
  let txConn: Redis
  let other: Redis
  let n = 0
  /** Fresh keys per test, so tests do not see each other's writes. */
  let keys: RedisKeys

  before(async () => {
    redis = await mustRedis()
    txConn = new Redis(redis.url)
    other = new Redis(redis.url)
  })
  after(async () => {
    txConn.disconnect()
    other.disconnect()
    await redis.stop()
  })

  function mustTx(maxAttempts = 64, changeLogMax = 10): VersionedTx {
    keys = new RedisKeys(`t${n++}:`)
    return new VersionedTx(txConn, keys, changeLogMax, maxAttempts)
  }

  async function version(): Promise<number> {
    return Number((await other.get(keys.version)) ?? 0)
  }

  test('a change commits its writes, sets the version it was given and logs one entry', async () => {
    const tx = mustTx()
    const seen: number[] = []
    const r = await tx.run(async (view: TxView) => {
      seen.push(view.version)
      return { value: 'done', writes: [['set', keys.vpc('a'), 'x']], change: { id: 'a', kind: 'upsert' } }
    })
    assert.deepEqual(r, { value: 'done', version: 1, committed: true })
    assert.deepEqual(seen, [1])
    assert.equal(await version(), 1)
    assert.equal(await other.get(keys.vpc('a')), 'x')
    assert.deepEqual(await other.zrange(keys.changes, 0, -1, 'WITHSCORES'), ['{"v":1,"id":"a","k":"upsert"}', '1'])
  })

  test('an unchanged decision writes nothing and keeps the version', async () => {
    const tx = mustTx()
    const r = await tx.run(async () => unchanged(7))
    assert.deepEqual(r, { value: 7, version: 0, committed: false })
    assert.equal(await other.exists(keys.version, keys.changes), 0)
  })

  test('writes without a change commit but neither bump the version nor log', async () => {
    const tx = mustTx()
    await tx.run(async () => ({ value: undefined, writes: [], change: { id: 'a', kind: 'upsert' } }))
    const r = await tx.run(async () => ({ value: 'token', writes: [['set', keys.join('h'), 'a']] }))
    assert.deepEqual(r, { value: 'token', version: 1, committed: false })
    assert.equal(await other.get(keys.join('h')), 'a')
    assert.equal(await version(), 1)
    assert.equal(await other.zcard(keys.changes), 1)
  })

  test('the change log is trimmed to changeLogMax entries in the same commit', async () => {
    const tx = mustTx(64, 2)
    for (const id of ['a', 'b', 'c'])
      await tx.run(async () => ({ value: id, writes: [], change: { id, kind: 'upsert' } }))
    assert.deepEqual(await other.zrange(keys.changes, 0, -1), [
      '{"v":2,"id":"b","k":"upsert"}',
      '{"v":3,"id":"c","k":"upsert"}',
    ])
  })

  test('a commit elsewhere between read and EXEC makes the operation run again on fresh data', async () => {
    const tx = mustTx()
    const reads: Array<string | null> = []
    const r = await tx.run(async (view: TxView): Promise<TxDecision<string>> => {
      const name = await view.conn.get(keys.vpc('a'))
      reads.push(name)
      // Another replica commits a change after this read, on the first run only.
      if (reads.length === 1) await other.multi().set(keys.version, '1').set(keys.vpc('a'), 'theirs').exec()
      return { value: `saw ${name}`, writes: [['set', keys.vpc('b'), 'mine']], change: { id: 'b', kind: 'upsert' } }
    })
    assert.deepEqual(reads, [null, 'theirs'])
    assert.deepEqual(r, { value: 'saw theirs', version: 2, committed: true })
    assert.equal(await other.get(keys.vpc('b')), 'mine')
  })

  test('a key the operation watches also aborts the commit when it changes', async () => {
    const tx = mustTx()
    let runs = 0
    const r = await tx.run(async (view: TxView) => {
      runs++
      await view.conn.watch(keys.vpcJoin('a'))
      const current = await view.conn.get(keys.vpcJoin('a'))
      if (runs === 1) await other.set(keys.vpcJoin('a'), 'h1')
      return { value: current, writes: [['set', keys.vpcJoin('a'), 'h2']] }
    })
    assert.equal(runs, 2)
    assert.equal(r.value, 'h1')
    assert.equal(await other.get(keys.vpcJoin('a')), 'h2')
  })

  test('gives up with STORE_CONFLICT when every attempt conflicts, having written nothing of its own', async () => {
    const tx = mustTx(3)
    let runs = 0
    await assert.rejects(
      tx.run(async () => {
        runs++
        await other.incr(keys.version)
        return { value: runs, writes: [['set', keys.vpc('a'), 'mine']], change: { id: 'a', kind: 'upsert' } }
      }),
      (e: unknown) => hasCode(e) && e.code === 'VPCMESH_ERR_STORE_CONFLICT',
    )
    assert.equal(runs, 3)
    assert.equal(await other.exists(keys.vpc('a'), keys.changes), 0)
    assert.equal(await version(), 3)
  })

  test("an operation's error is rethrown with nothing written, and the next operation commits", async () => {
    const tx = mustTx()
    await assert.rejects(
      tx.run(async () => {
        throw new Error('refused')
      }),
      /refused/,
    )
    // The failed run's WATCH is gone: a change meanwhile does not abort the next commit.
    await other.set(keys.version, '5')
    let runs = 0
    const r = await tx.run(async () => {
      runs++
      return { value: 'ok', writes: [], change: { id: 'a', kind: 'remove' } }
    })
    assert.deepEqual(r, { value: 'ok', version: 6, committed: true })
    assert.equal(runs, 1)
  })
})
