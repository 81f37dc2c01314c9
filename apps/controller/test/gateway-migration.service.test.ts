// Agents enrolled before gateways existed (VPC credential `cred:{id}`, no gateway list) on a
// real redis-server: an upgraded agent that names itself becomes the VPC's first gateway with a
// new credential; a new join token replaces such an agent, as it always did.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { parsePrefix } from '@vpcmesh/cidr'
import { RedisKeys } from '../src/state/redis-keys.js'
import { createRedisStore } from '../src/state/redis-store.js'
import type { Store } from '../src/state/store.js'
import { mustRedis } from './helpers.js'

const KEY1 = 'NP1dRnmEgb/2vPxhgi4ldA0MS6sVk6IFvHHW9Z8L1wE='
const KEY2 = '2FNZsHB95hxnpDb85HzlwpMJ09mky2SabFsGuEdCBxY='
const KEY3 = 'q0p8tL4Hj5+kzJ1fWQ9yQw2Vx3mU7nE6bR4cS8dT1aA='

describe('agents enrolled before gateways', () => {
  let redis: Awaited<ReturnType<typeof mustRedis>>
  let store: Store
  let conn: Redis
  const keys = new RedisKeys('mig:')

  /** A VPC as the previous release left it: its key on the record, its credential under cred:{id}. */
  const legacyVpc = async (name: string, cidr: string): Promise<string> => {
    const rec = await store.createVpc(
      { name, cidrs: [parsePrefix(cidr)], endpoint: `192.0.2.${cidr.split('.')[1]}:51820`, masquerade: true },
      `join-${name}`,
      60,
    )
    await store.setPublicKey(rec.id, name === 'old-a' ? KEY1 : KEY2)
    await conn.set(keys.credential(rec.id), 'legacy-hash')
    return rec.id
  }

  before(async () => {
    redis = await mustRedis()
    store = await createRedisStore({}, { url: redis.url, prefix: 'mig:' })
    conn = new Redis(redis.url)
  })
  after(async () => {
    conn.disconnect()
    await store.close()
    await redis.stop()
  })

  test('an upgraded agent becomes the first gateway; its old credential stops working; only once', async () => {
    const id = await legacyVpc('old-a', '10.11.0.0/16')
    assert.equal(await store.checkCredential(id, 'legacy-hash'), true)
    const m = await store.migrateLegacy(id, KEY1, 'new-hash', { name: 'gw-1', endpoint: '192.0.2.11:51820' })
    assert.ok(m !== undefined)
    assert.deepEqual(
      m.vpc.gateways?.map((g) => [g.id, g.name, g.publicKey, g.endpoint]),
      [[m.gatewayId, 'gw-1', KEY1, '192.0.2.11:51820']],
    )
    assert.equal(m.vpc.publicKey, KEY1)
    assert.equal(await store.checkCredential(id, 'legacy-hash'), false, 'the VPC credential is gone')
    assert.equal(await store.checkCredential(id, 'new-hash', m.gatewayId), true)
    assert.equal(await store.migrateLegacy(id, KEY1, 'other', { name: 'gw-2' }), undefined, 'a second migration')
  })

  test('a new join token replaces an agent enrolled before gateways, and its credential', async () => {
    const id = await legacyVpc('old-b', '10.12.0.0/16')
    await store.issueJoinToken(id, 'join-2', 60)
    const e = await store.enroll('join-2', KEY3, 'enrolled-hash', { name: 'gw-b' })
    assert.ok(e !== undefined)
    assert.equal(e.vpc.publicKey, KEY3, 'the VPC key moved to the new gateway')
    assert.equal(await store.checkCredential(id, 'legacy-hash'), false)
    assert.equal(await conn.hget(keys.publicKeys, KEY2), null, 'the old key is free again')
  })

  test('a gateway endpoint another gateway of the VPC receives on is refused; nothing is written', async () => {
    const rec = await store.createVpc(
      { name: 'ha-ep', cidrs: [parsePrefix('10.13.0.0/16')], endpoint: '192.0.2.13:51820', masquerade: false },
      'join-ep-1',
      60,
    )
    await store.enroll('join-ep-1', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', 'h1', { name: 'gw-1' })
    await store.issueJoinToken(rec.id, 'join-ep-2', 60)
    const before = await store.currentVersion()
    await assert.rejects(
      store.enroll('join-ep-2', 'AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=', 'h2', {
        name: 'gw-2',
        endpoint: '192.0.2.13:51820',
      }),
      { code: 'VPCMESH_ERR_ENDPOINT_TAKEN' },
    )
    assert.equal(await store.currentVersion(), before, 'nothing committed')
    assert.equal((await store.getVpc(rec.id))?.gateways?.length, 1)
    const e = await store.enroll('join-ep-2', 'AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=', 'h2', {
      name: 'gw-2',
      endpoint: '192.0.2.14:51820',
    })
    assert.ok(e !== undefined, 'its own endpoint is accepted, and the token was not used up by the refusal')
  })
})
