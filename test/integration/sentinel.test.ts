import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import {
  freePort,
  startRedisReplica,
  startRedisSentinel,
  startRedisServer,
  type RedisServer,
} from '@vpcmesh/controller/testing'
import { ADMIN_TOKEN, Harness, type ApiAnswer } from './harness.js'
import { ControllerProc } from './controller-proc.js'
import { SimAgent } from './sim-agent.js'
import { awaitValue } from '@vpcmesh/testbed'

const GROUP = 'mymaster'
const EVENTS = 'vpcmesh:events'

/**
 * A controller that finds Redis through Sentinel: a primary, one replica of it and one
 * sentinel (quorum 1, primary down after 1 s), all on 127.0.0.1 in a temp dir.
 */
class SentinelHarness extends Harness {
  master!: RedisServer
  replica!: RedisServer
  sentinel!: RedisServer
  private root = ''

  static async startSentinel(): Promise<SentinelHarness> {
    const h = new SentinelHarness()
    h.root = mkdtempSync(join(tmpdir(), 'vpcmesh-sentinel-'))
    try {
      await h.startAll()
    } catch (e) {
      await h.stop()
      throw e
    }
    return h
  }

  private async startAll(): Promise<void> {
    this.master = await startRedisServer({ dir: join(this.root, 'master') })
    this.redis = this.master
    const replica = await startRedisReplica({
      dir: join(this.root, 'replica'),
      replicaOf: this.master.port,
    })
    this.replica = replica
    await awaitValue('replica linked to the primary', async () =>
      /master_link_status:up/.test(await info(replica, 'replication')),
    )
    this.sentinel = await startRedisSentinel({
      dir: join(this.root, 'sentinel'),
      masterPort: this.master.port,
      name: GROUP,
    })
    await awaitValue(
      'sentinel knows the replica',
      async () =>
        await withRedis(this.sentinel, async (r) => {
          const replicas = ((await r.call('SENTINEL', 'REPLICAS', GROUP)) as string[][]).map(pairs)
          return replicas.some(
            (x) => x.port === String(replica.port) && x.flags === 'slave' && x['master-link-status'] === 'ok',
          )
        }),
      20_000,
      100,
    )
    const c = new ControllerProc(await freePort(), {
      VPCMESH_ADMIN_TOKEN: ADMIN_TOKEN,
      VPCMESH_REDIS_SENTINELS: `127.0.0.1:${this.sentinel.port}`,
      VPCMESH_REDIS_SENTINEL_NAME: GROUP,
      VPCMESH_REPLICA_ID: 'replica-1',
      VPCMESH_HEARTBEAT_MS: '1000',
      VPCMESH_LOG_LEVEL: 'warn',
    })
    this.controllers.push(c)
    await c.start()
  }

  override async stop(): Promise<void> {
    for (const c of this.controllers) await c.stop()
    for (const s of [this.sentinel, this.replica, this.master] as Array<RedisServer | undefined>) await s?.stop()
    if (this.root !== '') rmSync(this.root, { recursive: true, force: true })
  }
}

/** Runs `fn` on a short-lived connection to `s` that never retries. */
async function withRedis<T>(s: RedisServer, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(s.url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  })
  r.on('error', () => {})
  try {
    await r.connect()
    return await fn(r)
  } finally {
    r.disconnect()
  }
}

async function info(s: RedisServer, section: string): Promise<string> {
  return await withRedis(s, async (r) => await r.info(section))
}

/** A field of INFO text as a number. */
function infoNumber(text: string, field: string): number {
  const m = new RegExp(`^${field}:(\\d+)`, 'm').exec(text)
  if (m === null) throw new Error(`no ${field} in INFO`)
  return Number(m[1])
}

/** A flat [k1, v1, k2, v2, …] reply as an object. */
function pairs(flat: string[]): Record<string, string> {
  const o: Record<string, string> = {}
  for (let i = 0; i + 1 < flat.length; i += 2) o[flat[i] as string] = flat[i + 1] as string
  return o
}

describe('Redis Sentinel: the controller follows a failover to the replica', () => {
  let h: SentinelHarness
  const agent = new SimAgent()
  let alpha: { id: string; joinToken: string }
  let beforeFailover: ApiAnswer

  before(async () => {
    h = await SentinelHarness.startSentinel()
  })
  after(async () => {
    agent.terminate()
    await h?.stop()
  })

  test('the controller works on the primary the sentinel names', async () => {
    alpha = await h.mustCreateVpc('alpha', ['10.10.0.0/16'])
    const beta = await h.mustCreateVpc('beta', ['10.20.0.0/16'])
    const gamma = await h.mustCreateVpc('gamma', ['10.30.0.0/16'])
    await agent.connect(h.controllers[0]!.wsUrl, alpha.joinToken)
    await awaitValue('alpha snapshot', () => agent.self !== undefined)
    assert.deepEqual([...agent.peers.keys()].sort(), [beta.id, gamma.id].sort())
    await awaitValue('agent status recorded', async () => {
      const r = await h.api('GET', '/v1/status')
      return r.body.agents.some((a: { id: string; connected: boolean }) => a.id === alpha.id && a.connected)
    })
    beforeFailover = await h.api('GET', '/v1/vpcs')
    assert.equal(beforeFailover.status, 200)
    assert.equal(beforeFailover.body.vpcs.length, 3)
    assert.equal(
      await withRedis(h.master, async (r) => (await r.pubsub('NUMSUB', EVENTS))[1]),
      1,
      'the controller listens on the primary',
    )
    // Replication is asynchronous: the failover is deterministic only once the replica holds
    // everything the primary has acknowledged so far.
    const offset = infoNumber(await info(h.master, 'replication'), 'master_repl_offset')
    await awaitValue(
      `replica at offset ${offset}`,
      async () => infoNumber(await info(h.replica, 'replication'), 'slave_repl_offset') >= offset,
    )
  })

  test('primary killed: 503 or success, never 500, nothing half-applied; then writes, pushes and /readyz on the new primary', async (t) => {
    const killedAt = performance.now()
    process.kill(h.master.pid, 'SIGKILL')
    await h.master.stop()
    const attempts: Array<{ body: { name: string; cidrs: string[]; endpoint: string }; answer: ApiAnswer }> = []
    const others: Array<[string, number]> = []
    const created = await awaitValue(
      'a registration succeeds on the promoted replica',
      async () => {
        const i = attempts.length
        const body = { name: `failover-${i}`, cidrs: [`10.200.${i}.0/24`], endpoint: `192.0.2.9:${51820 + i}` }
        const answer = await h.api('POST', '/v1/vpcs', body)
        attempts.push({ body, answer })
        others.push(['GET /v1/vpcs', (await h.api('GET', '/v1/vpcs')).status])
        others.push(['GET /readyz', (await fetch(`${h.controllers[0]!.url}/readyz`)).status])
        return answer.status === 201 ? answer : undefined
      },
      30_000,
      100,
    )
    t.diagnostic(
      `first registration after the kill succeeded after ${Math.round(performance.now() - killedAt)} ms; ${attempts.length - 1} attempts refused before`,
    )

    const bad = attempts.filter(
      (a) =>
        !(
          a.answer.status === 201 ||
          (a.answer.status === 503 && a.answer.body?.code === 'VPCMESH_ERR_STORE_UNAVAILABLE')
        ),
    )
    assert.deepEqual(
      bad.map((a) => [a.answer.status, a.answer.body]),
      [],
      'during failover: 201 or 503 VPCMESH_ERR_STORE_UNAVAILABLE only',
    )
    assert.deepEqual(
      others.filter(([, s]) => s !== 200 && s !== 503),
      [],
      'reads and /readyz: 200 or 503 only',
    )
    assert.ok(attempts.length > 1, 'the first attempt after the kill should not have found a primary')
    assert.deepEqual(
      await withRedis(h.sentinel, async (r) => await r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', GROUP)),
      ['127.0.0.1', String(h.replica.port)],
    )

    // Everything registered before the failover survived, unchanged.
    const list = await h.api('GET', '/v1/vpcs')
    assert.equal(list.status, 200)
    const byId = new Map<string, unknown>(list.body.vpcs.map((v: { id: string }) => [v.id, v]))
    for (const v of beforeFailover.body.vpcs as Array<{ id: string }>) assert.deepEqual(byId.get(v.id), v)
    assert.ok(byId.has(created.body.vpc.id))

    // Nothing half-applied: a refused registration is either fully there or leaves its name
    // and CIDR free for a retry.
    const byName = new Map<string, { cidrs: string[] }>(
      list.body.vpcs.map((v: { name: string; cidrs: string[] }) => [v.name, v]),
    )
    for (const a of attempts.filter((x) => x.answer.status === 503)) {
      const listed = byName.get(a.body.name)
      if (listed !== undefined) {
        assert.deepEqual(listed.cidrs, a.body.cidrs)
        continue
      }
      const retry = await h.api('POST', '/v1/vpcs', a.body)
      assert.equal(
        retry.status,
        201,
        `${a.body.name} was refused, yet its retry got ${retry.status} ${JSON.stringify(retry.body)}`,
      )
    }

    // The agent gets the new VPC, and the controller listens on the new primary again.
    await awaitValue('agent has the VPC created after the failover', () => agent.peers.has(created.body.vpc.id), 15_000)
    await awaitValue(
      'controller resubscribed on the new primary',
      async () => await withRedis(h.replica, async (r) => (await r.pubsub('NUMSUB', EVENTS))[1] === 1),
      10_000,
      100,
    )
    assert.equal((await fetch(`${h.controllers[0]!.url}/readyz`)).status, 200)
    const next = await h.mustCreateVpc('after-failover', ['10.210.0.0/16'])
    await awaitValue('a pushed change after the failover', () => agent.peers.has(next.id))
    assert.equal(agent.closeCode, undefined, 'the agent kept its WebSocket through the failover')
  })
})
