// RegistryOps (apps/controller/src/state/registry-ops.ts) decisions on a real redis-server: each operation
// returns its writes, value and change explicitly; join tokens are swapped without a version bump.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { parsePrefix } from '@vpcmesh/cidr'
import { hasCode } from '@vpcmesh/common'
import { RedisKeys } from '../src/state/redis-keys.js'
import { RegistryOps } from '../src/state/registry-ops.js'
import { VersionedTx } from '../src/state/redis-tx.js'
import { mustRedis } from './helpers.js'

describe('RegistryOps', () => {
  let redis: Awaited<ReturnType<typeof mustRedis>>
  let conn: Redis
  const keys = new RedisKeys('ops:')
  const ops = new RegistryOps(keys, () => 1_000)
  let tx: VersionedTx

  before(async () => {
    redis = await mustRedis()
    conn = new Redis(redis.url)
    tx = new VersionedTx(conn, keys, 100)
  })
  after(async () => {
    conn.disconnect()
    await redis.stop()
  })

  const input = { name: 'a', cidrs: [parsePrefix('10.1.0.0/16')], endpoint: '192.0.2.1:51820', masquerade: false }

  test('addVpc decides the record stamped with the new version, its index writes and one upsert', async () => {
    const d = await ops.addVpc({ conn, version: 7 }, input, 'h0', 60)
    const id = d.value.id
    assert.deepEqual(d.value, {
      id,
      name: 'a',
      cidrs: ['10.1.0.0/16'],
      routes: [],
      endpoint: '192.0.2.1:51820',
      masquerade: false,
      publicKey: null,
      createdAt: 1_000,
      updatedAt: 1_000,
      version: 7,
    })
    assert.deepEqual(d.change, { id, kind: 'upsert' })
    assert.deepEqual(d.writes, [
      ['set', keys.vpc(id), JSON.stringify(d.value)],
      ['sadd', keys.vpcs, id],
      ['hset', keys.names, 'a', id],
      ['hset', keys.prefixes, '10.1.0.0/16', id],
      ['hset', keys.endpoints, '192.0.2.1:51820', id],
      ['set', keys.join('h0'), id, 'EX', 60],
      ['set', keys.vpcJoin(id), 'h0', 'EX', 60],
    ])
    assert.equal(await conn.exists(keys.vpc(id)), 0, 'deciding writes nothing')
  })

  test('issueJoinToken replaces the previous token without bumping the version', async () => {
    const created = await tx.run(async (t) => await ops.addVpc(t, { ...input, name: 'b' }, 'h1', 60))
    const id = created.value.id
    const r = await tx.run(async (t) => await ops.issueJoinToken(t, id, 'h2', 60))
    assert.deepEqual(r, { value: undefined, version: created.version, committed: false })
    assert.equal(await conn.exists(keys.join('h1')), 0, 'the previous token is void')
    assert.equal(await conn.get(keys.join('h2')), id)
    assert.equal(await conn.get(keys.vpcJoin(id)), 'h2')
    assert.ok((await conn.ttl(keys.join('h2'))) > 0)
    assert.equal(await conn.zcard(keys.changes), created.version)
  })

  test('issueJoinToken for an unknown VPC is VPC_NOT_FOUND and writes nothing', async () => {
    await assert.rejects(
      tx.run(async (t) => await ops.issueJoinToken(t, 'vpc_missing', 'h3', 60)),
      (e: unknown) => hasCode(e) && e.code === 'VPCMESH_ERR_VPC_NOT_FOUND',
    )
    assert.equal(await conn.exists(keys.join('h3'), keys.vpcJoin('vpc_missing')), 0)
  })

  test('removeVpc deletes the current join token with the VPC and logs one remove', async () => {
    const created = await tx.run(
      async (t) =>
        await ops.addVpc(
          t,
          { name: 'c', cidrs: [parsePrefix('10.3.0.0/16')], endpoint: '192.0.2.3:1', masquerade: false },
          'h4',
          60,
        ),
    )
    const id = created.value.id
    await tx.run(async (t) => await ops.issueJoinToken(t, id, 'h5', 60))
    const r = await tx.run(async (t) => await ops.removeVpc(t, id))
    assert.equal(r.version, created.version + 1)
    assert.equal(r.value.name, 'c')
    assert.equal(await conn.exists(keys.vpc(id), keys.join('h5'), keys.vpcJoin(id)), 0)
    assert.equal(await conn.hget(keys.names, 'c'), null)
    const last = await conn.zrange(keys.changes, -1, -1)
    assert.deepEqual(last, [JSON.stringify({ v: r.version, id, k: 'remove' })])
  })

  test('an identical PATCH is unchanged: no writes, no change', async () => {
    const created = await tx.run(
      async (t) =>
        await ops.addVpc(
          t,
          { name: 'd', cidrs: [parsePrefix('10.4.0.0/16')], endpoint: '192.0.2.4:1', masquerade: false },
          'h6',
          60,
        ),
    )
    const d = await ops.updateVpc({ conn, version: 99 }, created.value.id, { name: 'd', masquerade: false })
    assert.deepEqual(d, { value: created.value, writes: [] })
  })
})
