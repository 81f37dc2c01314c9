// ProbeRelay (apps/controller/src/session/probe-relay.ts) between two "replicas" over a real
// redis-server: a probe asked on one replica reaches the session held by the other and its
// outcome comes back; no holder or a silent agent end as {ok: false} after the timeout.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { noopLogger, systemClock } from '@vpcmesh/common'
import type { ProbeOutcome, ProbeRequest, ProbeResult } from '@vpcmesh/protocol'
import type { ProbeBus } from '../src/session/probe-bus.js'
import { ProbeRelay, type ProbeTargets, probeChannels } from '../src/session/probe-relay.js'
import { createRedisProbeBus } from '../src/session/redis-probe-bus.js'
import { mustRedis } from './helpers.js'

const REQUEST: ProbeRequest = { routes: ['10.2.0.0/24'], peers: [] }
const RESULT = {
  vpcId: 'vpc_0000000000a1',
  tun: { name: 'vpcmesh0', mtu: 1420 },
  table: 52,
  routes: [{ prefix: '10.2.0.0/24', dev: 'vpcmesh0', type: 'unicast' }],
  skippedRoutes: [],
  peers: [],
  nft: null,
  forwarding: { ipv4: true, ipv6: null },
  dns: null,
  errors: ['nftables: not installed'],
} satisfies ProbeResult

/** Sessions by status key that answer with `answer` and record what they were asked. */
function sessions(
  answers: Record<string, (r: ProbeRequest) => Promise<ProbeOutcome>>,
): ProbeTargets & { asked: string[] } {
  const asked: string[] = []
  return {
    asked,
    sessionFor: (key) => {
      const answer = answers[key]
      return answer === undefined
        ? undefined
        : {
            probe: async (r: ProbeRequest) => {
              asked.push(key)
              return await answer(r)
            },
          }
    },
  }
}

describe('ProbeRelay over Redis pub/sub', () => {
  let redis: Awaited<ReturnType<typeof mustRedis>>
  const buses: ProbeBus[] = []
  const relays: ProbeRelay[] = []

  const replica = async (targets: ProbeTargets, timeoutMs = 500): Promise<ProbeRelay> => {
    const bus = await createRedisProbeBus({}, { target: { url: redis.url } })
    buses.push(bus)
    const r = new ProbeRelay(
      { sessions: targets, bus, clock: systemClock, logger: noopLogger },
      { prefix: 't:', timeoutMs },
    )
    await r.start()
    relays.push(r)
    return r
  }

  before(async () => {
    redis = await mustRedis()
  })
  after(async () => {
    for (const r of relays) await r.stop()
    for (const b of buses) await b.close()
    await redis.stop()
  })

  test('a probe for a session on another replica is answered through it', async () => {
    const holder = sessions({ vpc_0000000000a1: async () => ({ ok: true, result: RESULT }) })
    await replica(holder)
    const asker = await replica(sessions({}))
    assert.deepEqual(await asker.probe('vpc_0000000000a1', REQUEST), { ok: true, result: RESULT })
    assert.deepEqual(holder.asked, ['vpc_0000000000a1'])
  })

  test("the holder's own failure travels back as the reason", async () => {
    await replica(
      sessions({ vpc_0000000000b2: async () => ({ ok: false, reason: 'agent did not answer within 500 ms' }) }),
    )
    const asker = await replica(sessions({}))
    assert.deepEqual(await asker.probe('vpc_0000000000b2', REQUEST), {
      ok: false,
      reason: 'agent did not answer within 500 ms',
    })
  })

  test('a session held here is probed directly', async () => {
    const local = sessions({ vpc_0000000000c3: async () => ({ ok: true, result: RESULT }) })
    const r = new ProbeRelay({ sessions: local, clock: systemClock, logger: noopLogger }, { prefix: 't:' })
    assert.deepEqual(await r.probe('vpc_0000000000c3', REQUEST), { ok: true, result: RESULT })
    assert.deepEqual(await r.probe('vpc_0000000000d4', REQUEST), {
      ok: false,
      reason: 'agent not connected to this controller',
    })
  })

  test('no replica holds the session: not answered within the timeout', async () => {
    const asker = await replica(sessions({}), 200)
    const t0 = Date.now()
    const o = await asker.probe('vpc_0000000000e5', REQUEST)
    assert.deepEqual(o, { ok: false, reason: 'agent did not answer within 200 ms' })
    assert.ok(Date.now() - t0 >= 200)
  })

  test('a malformed relayed request or reply is no answer, and nothing breaks', async () => {
    const holder = sessions({ vpc_0000000000f6: async () => ({ ok: true, result: RESULT }) })
    await replica(holder)
    const raw = new Redis(redis.url)
    try {
      await raw.publish(probeChannels('t:').requests, 'not json')
      await raw.publish(probeChannels('t:').requests, JSON.stringify({ id: 'x', agent: 'vpc_0000000000f6' }))
      const asker = await replica(sessions({}))
      assert.deepEqual(await asker.probe('vpc_0000000000f6', REQUEST), { ok: true, result: RESULT })
      assert.deepEqual(holder.asked, ['vpc_0000000000f6'])
    } finally {
      raw.disconnect()
    }
  })

  test('no subscriptions are left behind by finished probes', async () => {
    const raw = new Redis(redis.url)
    try {
      const replies = (await raw.pubsub('CHANNELS', 't:explain:reply:*')) as string[]
      assert.deepEqual(replies, [])
    } finally {
      raw.disconnect()
    }
  })
})
