// POST /v1/explain through buildApp on a real redis-server, without agents: bad input answers
// 400 with the whole error body; a flow whose agents are not connected answers 200 with locate
// broken and the agents' hops unknown (probing agents runs in test/e2e/explain.test.ts).
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { ExplainResponse } from '@vpcmesh/protocol'
import { auth, mustApp, mustRedis } from './helpers.js'

describe('POST /v1/explain', () => {
  let redis: Awaited<ReturnType<typeof mustRedis>>
  let ctl: Awaited<ReturnType<typeof mustApp>>

  const explain = async (payload: object) => {
    const r = await ctl.app.inject({ method: 'POST', url: '/v1/explain', payload, headers: auth })
    return { status: r.statusCode, body: r.json() }
  }

  before(async () => {
    redis = await mustRedis()
    ctl = await mustApp(redis.url)
    for (const [name, cidr, ep] of [
      ['a', '10.1.0.0/24', '198.51.100.1:51820'],
      ['b', '10.2.0.0/24', '198.51.100.2:51820'],
    ] as const) {
      const r = await ctl.app.inject({
        method: 'POST',
        url: '/v1/vpcs',
        payload: { name, cidrs: [cidr], endpoint: ep },
        headers: auth,
      })
      assert.equal(r.statusCode, 201, r.body)
    }
  })
  after(async () => {
    try {
      await ctl?.close()
    } finally {
      await redis?.stop()
    }
  })

  test('SRC that is not an address, or DST that is neither address nor name: 400 with the whole body', async () => {
    assert.deepEqual(await explain({ src: 'host-a', dst: '10.2.0.7' }), {
      status: 400,
      body: { code: 'VPCMESH_ERR_VALIDATION', message: 'src "host-a" is not an IP address', retryable: false },
    })
    assert.deepEqual(await explain({ src: '10.1.0.5', dst: 'bad name!' }), {
      status: 400,
      body: {
        code: 'VPCMESH_ERR_VALIDATION',
        message: 'dst "bad name!" is neither an IP address nor a DNS name',
        retryable: false,
      },
    })
    assert.equal((await explain({ src: '10.1.0.5', dst: '10.2.0.7', port: 0 })).status, 400)
    assert.equal((await explain({ src: '10.1.0.5', dst: '10.2.0.7', extra: 1 })).status, 400)
  })

  test('agents not connected: locate broken with the fix, every agent hop unknown', async () => {
    const r = await explain({ src: '10.1.0.5', dst: '10.2.0.7', proto: 'tcp', port: 5432 })
    assert.equal(r.status, 200)
    const body = ExplainResponse.parse(r.body)
    assert.deepEqual(
      body.hops.map((h) => [h.hop, h.verdict]),
      [
        ['locate', 'broken'],
        ['route', 'unknown'],
        ['tunnel', 'unknown'],
        ['mtu', 'unknown'],
        ['route-back', 'unknown'],
        ['forward', 'unknown'],
      ],
    )
    assert.deepEqual([body.verdict, body.firstBroken, body.proto, body.port], ['broken', 'locate', 'tcp', 5432])
    assert.match(body.hops[0]?.fix ?? '', /start the agent of a and b/)
    assert.deepEqual(body.hops[1]?.evidence, ['no evidence from the agent of a: agent not connected'])
  })

  test('DST outside the mesh: only the locate hop, broken', async () => {
    const r = await explain({ src: '10.1.0.5', dst: '172.16.0.1' })
    assert.deepEqual(
      r.body.hops.map((h: { hop: string }) => h.hop),
      ['locate'],
    )
    assert.equal(r.body.firstBroken, 'locate')
  })

  test('DST a name with the source agent not connected: locate broken, dns unknown', async () => {
    const r = await explain({ src: '10.1.0.5', dst: 'db.corp.internal' })
    const body = ExplainResponse.parse(r.body)
    assert.deepEqual(
      body.hops.map((h) => [h.hop, h.verdict]),
      [
        ['locate', 'broken'],
        ['dns', 'unknown'],
      ],
    )
    assert.equal(body.firstBroken, 'locate')
  })
})
