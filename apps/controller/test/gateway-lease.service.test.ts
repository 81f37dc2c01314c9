// The active-gateway lease (apps/controller/src/session/lease-keeper.ts and the store's
// electGateway/renewLease/releaseLease/drainGateway) on a real redis-server, with two
// replicas' keepers sharing it: exactly one active gateway, a fencing epoch that only grows,
// a partitioned gateway that is deposed and cannot renew, and a controller that dies in the
// middle of a failover.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { noopLogger, pollUntil } from '@vpcmesh/common'
import { FakeClock } from '@vpcmesh/common/testing'
import { parsePrefix } from '@vpcmesh/cidr'
import { MapCache } from '../src/mesh/map-cache.js'
import { type GatewaySession, LeaseKeeper } from '../src/session/lease-keeper.js'
import { createRedisStore } from '../src/state/redis-store.js'
import type { Store } from '../src/state/store.js'
import { mustRedis } from './helpers.js'

const KEY1 = 'NP1dRnmEgb/2vPxhgi4ldA0MS6sVk6IFvHHW9Z8L1wE='
const KEY2 = '2FNZsHB95hxnpDb85HzlwpMJ09mky2SabFsGuEdCBxY='
const TTL = 400

describe('gateway lease', () => {
  let redis: Awaited<ReturnType<typeof mustRedis>>
  let store: Store
  let conn: Redis
  let vpcId = ''
  const gw: string[] = []

  /** One replica: its keeper over the sessions it holds, with a fake clock for the start-up grace. */
  const replica = (sessions: GatewaySession[], clock = new FakeClock()) => {
    const elected: string[] = []
    const maps = new MapCache({ store })
    const keeper = new LeaseKeeper(
      {
        store,
        maps,
        clock,
        logger: noopLogger,
        sessions: () => sessions,
        onElected: (_v, reason) => elected.push(reason),
      },
      { ttlMs: TTL },
    )
    // A replica's notifier reads every change as it is announced, which keeps the view the
    // keeper holds current; here each pass is preceded by that read.
    const pass = async (): Promise<void> => {
      await maps.latest()
      await keeper.pass()
    }
    return { keeper, pass, sessions, clock, elected }
  }
  const session = (gateway: string): GatewaySession => ({
    vpcId,
    gatewayId: gateway,
    ready: true,
    get lastHeard() {
      return Date.now()
    },
  })
  const active = async () => (await store.getVpc(vpcId))?.active ?? null

  before(async () => {
    redis = await mustRedis()
    store = await createRedisStore({}, { url: redis.url, prefix: 'lease:' })
    conn = new Redis(redis.url)
    const rec = await store.createVpc(
      { name: 'ha', cidrs: [parsePrefix('10.1.0.0/24')], endpoint: '192.0.2.1:51820', masquerade: false },
      'join-1',
      60,
    )
    vpcId = rec.id
    const e1 = await store.enroll('join-1', KEY1, 'cred-1', { name: 'gw-1' })
    await store.issueJoinToken(vpcId, 'join-2', 60)
    const e2 = await store.enroll('join-2', KEY2, 'cred-2', { name: 'gw-2', endpoint: '192.0.2.9:51820' })
    assert.ok(e1 !== undefined && e2 !== undefined)
    gw.push(e1.gatewayId, e2.gatewayId)
  })
  after(async () => {
    conn.disconnect()
    await store.close()
    await redis.stop()
  })

  test("enrolment: each gateway gets its own id and credential; the VPC key is the first gateway's", async () => {
    const rec = await store.getVpc(vpcId)
    assert.deepEqual(
      rec?.gateways?.map((g) => [g.name, g.publicKey, g.endpoint]),
      [
        ['gw-1', KEY1, null],
        ['gw-2', KEY2, '192.0.2.9:51820'],
      ],
    )
    assert.equal(rec?.publicKey, KEY1)
    assert.equal(await store.checkCredential(vpcId, 'cred-2', gw[1]), true)
    assert.equal(await store.checkCredential(vpcId, 'cred-2', gw[0]), false, 'a credential is per gateway')
  })

  test('two replicas electing at once: exactly one active gateway, epoch 1', async () => {
    const r1 = replica([session(gw[0] as string)])
    const r2 = replica([session(gw[1] as string)])
    await Promise.all([r1.pass(), r2.pass(), r1.pass(), r2.pass()])
    const a = await active()
    assert.equal(a?.epoch, 1)
    assert.equal(r1.elected.length + r2.elected.length, 1, 'one election committed')
    assert.equal(await conn.get(`lease:lease:${vpcId}`), `${a?.gateway}:1`)
  })

  test('partition: the active gateway stops renewing; the other is elected with a newer epoch, never two at once', async () => {
    const a = await active()
    assert.ok(a !== null)
    const activeIdx = gw.indexOf(a.gateway)
    const other = gw[1 - activeIdx] as string
    // The replica of the active gateway lost it (silent, not yet closed): no renewals, no release.
    const cut = replica([])
    const peer = replica([session(other)])
    peer.clock.advance(2 * TTL) // a replica that has been up for a while (past its start-up grace)
    const seen = new Set<string>()
    const deadline = Date.now() + 10 * TTL
    while ((await active())?.gateway !== other) {
      assert.ok(Date.now() < deadline, 'the lease lapsed and the other gateway was elected')
      await Promise.all([cut.pass(), peer.pass()])
      const lease = await conn.get(`lease:lease:${vpcId}`)
      if (lease !== null) seen.add(lease)
      const rec = await active()
      assert.ok(lease === null || lease === `${rec?.gateway}:${rec?.epoch}`, `lease ${lease} matches the record`)
    }
    const now = await active()
    assert.equal(now?.epoch, a.epoch + 1)
    assert.equal(now?.reason, 'failover')
    assert.deepEqual(
      [...seen].filter((s) => !s.endsWith(`:${a.epoch}`) && !s.endsWith(`:${a.epoch + 1}`)),
      [],
      'only the two epochs were ever held',
    )
    // The deposed gateway's replica cannot renew or release what it no longer holds, nor re-elect it.
    assert.equal(await store.renewLease(vpcId, a.gateway, a.epoch, TTL), false)
    await store.releaseLease(vpcId, a.gateway, a.epoch)
    assert.equal(await conn.get(`lease:lease:${vpcId}`), `${other}:${a.epoch + 1}`)
    assert.equal(await store.electGateway(vpcId, a.gateway, TTL), undefined)
  })

  test('controller killed during a failover: nobody is elected while none runs; the election resumes when one returns', async () => {
    const a = await active()
    assert.ok(a !== null)
    const standby = gw.find((g) => g !== a.gateway) as string
    // The active gateway's session closed, its replica released the lease, then every controller died.
    await store.releaseLease(vpcId, a.gateway, a.epoch)
    await pollUntil('lease free', async () => (await conn.get(`lease:lease:${vpcId}`)) === null, {
      timeoutMs: 2000,
      intervalMs: 20,
    })
    assert.equal((await active())?.gateway, a.gateway, 'agents keep the last map: the old active still forwards')
    // A controller comes back with only the standby connected: in its first two lease periods it
    // re-elects only the previously active gateway, so a restart alone never moves the role.
    const back = replica([session(standby)])
    await back.pass()
    assert.equal((await active())?.epoch, a.epoch, 'no failover on controller start alone')
    back.clock.advance(2 * TTL)
    await back.pass()
    const now = await active()
    assert.equal(now?.gateway, standby)
    assert.equal(now?.epoch, a.epoch + 1)
  })

  test('drain moves the role to the chosen gateway with a new epoch and marks the old one drained', async () => {
    const a = await active()
    assert.ok(a !== null)
    const to = gw.find((g) => g !== a.gateway) as string
    const rec = await store.drainGateway(vpcId, a.gateway, to, TTL)
    assert.deepEqual([rec.active?.gateway, rec.active?.epoch, rec.active?.reason], [to, a.epoch + 1, 'drain'])
    assert.equal(rec.gateways?.find((g) => g.id === a.gateway)?.drained, true)
    await assert.rejects(store.drainGateway(vpcId, a.gateway, to, TTL), { code: 'VPCMESH_ERR_GATEWAY_NOT_ACTIVE' })
    await assert.rejects(store.drainGateway(vpcId, to, a.gateway, TTL), { code: 'VPCMESH_ERR_GATEWAY_NO_STANDBY' })
    // A drained gateway is not elected, even with the lease free.
    await store.releaseLease(vpcId, to, a.epoch + 1)
    assert.equal(await store.electGateway(vpcId, a.gateway, TTL), undefined)
    // Its agent reconnecting (same key) makes it eligible again.
    await store.setPublicKey(vpcId, rec.gateways?.find((g) => g.id === a.gateway)?.publicKey as string, a.gateway)
    assert.equal((await store.getVpc(vpcId))?.gateways?.find((g) => g.id === a.gateway)?.drained, false)
  })

  test('an active gateway gone silent (not heard for half a lease) loses the role in one pass, not after its TTL', async () => {
    const clock = new FakeClock()
    const heard = new Map(gw.map((g) => [g, clock.now()]))
    const live = (g: string): GatewaySession => ({
      vpcId,
      gatewayId: g,
      ready: true,
      get lastHeard() {
        return heard.get(g) as number
      },
    })
    const r = replica(gw.map(live), clock)
    clock.advance(2 * TTL)
    for (const g of gw) heard.set(g, clock.now())
    await r.pass()
    const a = await active()
    assert.ok(
      a !== null && (await conn.get(`lease:lease:${vpcId}`)) === `${a.gateway}:${a.epoch}`,
      'one holds the lease',
    )
    const other = gw.find((g) => g !== a.gateway) as string
    heard.set(a.gateway, clock.now() - TTL) // silent for a whole lease: pings stopped
    heard.set(other, clock.now())
    await r.pass()
    const now = await active()
    assert.deepEqual([now?.gateway, now?.epoch, now?.reason], [other, a.epoch + 1, 'failover'])
  })

  test('deleting the VPC removes every gateway credential and the lease', async () => {
    await store.deleteVpc(vpcId)
    const left = await conn.keys('lease:*')
    assert.deepEqual(
      left.filter((k) => k.includes(vpcId)),
      [],
    )
  })
})
