import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { WebSocket } from 'ws'
import { auth, mustApp, mustRedis } from './helpers.js'

/** What the controller sent on one injected agent connection, and how it closed. */
interface Outcome {
  code: number
  frames: Array<{ type: string; code?: string }>
}

/** Opens an agent connection through app.injectWS (no socket), sends `hello` (if given), and waits for the close. */
async function hello(app: FastifyInstance, frame?: unknown): Promise<Outcome> {
  const ws = await (app as unknown as { injectWS: (path: string) => Promise<WebSocket> }).injectWS('/v1/agents/connect')
  const frames: Outcome['frames'] = []
  ws.on('message', (d) => {
    frames.push(JSON.parse(d.toString()) as Outcome['frames'][number])
  })
  const closed = new Promise<number>((resolve) => {
    ws.once('close', (code: number) => {
      resolve(code)
    })
  })
  if (frame !== undefined) ws.send(JSON.stringify(frame))
  const code = await closed
  return { code, frames }
}

function helloFrame(token: string, publicKey = randomBytes(32).toString('base64')): unknown {
  return { type: 'hello', protocol: 1, agentVersion: 'test', auth: { kind: 'join', token }, publicKey, lastVersion: 0 }
}

/** Registers VPC `name` through the API and returns its join token. */
async function joinToken(app: FastifyInstance, name: string, cidr: string, endpoint: string): Promise<string> {
  const r = await app.inject({
    method: 'POST',
    url: '/v1/vpcs',
    headers: auth,
    payload: { name, cidrs: [cidr], endpoint },
  })
  assert.equal(r.statusCode, 201, r.body)
  return r.json().joinToken as string
}

const LOW_ORDER = Buffer.alloc(32).toString('base64')
const WELL_FORMED = `vmj_${randomBytes(32).toString('base64url')}`

describe('agent hello through buildApp (injected WebSocket)', () => {
  let redis: Awaited<ReturnType<typeof mustRedis>>
  let ctl: Awaited<ReturnType<typeof mustApp>>

  before(async () => {
    redis = await mustRedis()
    ctl = await mustApp(redis.url, { VPCMESH_HELLO_TIMEOUT_MS: '300' })
  })
  after(async () => {
    try {
      await ctl?.close()
    } finally {
      await redis?.stop()
    }
  })

  test('a low-order key → 4422 VPCMESH_ERR_WS_KEY_INVALID, and the join token stays usable', async () => {
    const token = await joinToken(ctl.app, 'svc-a', '10.1.0.0/16', '192.0.2.1:1')
    const bad = await hello(ctl.app, helloFrame(token, LOW_ORDER))
    assert.equal(bad.code, 4422)
    assert.equal(bad.frames[0]?.code, 'VPCMESH_ERR_WS_KEY_INVALID')
    const ws = await (ctl.app as unknown as { injectWS: (path: string) => Promise<WebSocket> }).injectWS(
      '/v1/agents/connect',
    )
    const welcome = new Promise<{ type: string }>((resolve) => {
      ws.once('message', (d) => {
        resolve(JSON.parse(d.toString()) as { type: string })
      })
    })
    ws.send(JSON.stringify(helloFrame(token)))
    assert.equal((await welcome).type, 'welcome')
    ws.terminate()
  })

  test('an agent silent after hello gets pings 1, 2, … then 4408 VPCMESH_ERR_WS_HEARTBEAT_TIMEOUT (3 heartbeats of 1 s)', async () => {
    const o = await hello(ctl.app, helloFrame(await joinToken(ctl.app, 'svc-silent', '10.9.0.0/16', '192.0.2.9:1')))
    assert.equal(o.code, 4408)
    assert.deepEqual(
      o.frames.slice(0, 2).map((f) => f.type),
      ['welcome', 'snapshot'],
    )
    const pings = o.frames.slice(2, -1) as Array<{ type: string; id?: number }>
    assert.ok(pings.length >= 2, `pings before the timeout: ${JSON.stringify(pings)}`)
    assert.deepEqual(
      pings,
      pings.map((_, i) => ({ type: 'ping', id: i + 1 })),
    )
    assert.deepEqual(o.frames.at(-1), {
      type: 'error',
      code: 'VPCMESH_ERR_WS_HEARTBEAT_TIMEOUT',
      message: 'heartbeat timeout',
    })
  })

  test('no hello → 4407 VPCMESH_ERR_WS_HELLO_TIMEOUT after VPCMESH_HELLO_TIMEOUT_MS', async () => {
    const o = await hello(ctl.app)
    assert.deepEqual([o.code, o.frames[0]?.code], [4407, 'VPCMESH_ERR_WS_HELLO_TIMEOUT'])
  })

  test('with Redis stopped: a bad token (4401) or key (4422) is refused without the store; a good token needs it (1011)', async () => {
    await redis.stop()
    assert.deepEqual((await hello(ctl.app, helloFrame('vmj_made-up-token-000000'))).code, 4401)
    assert.deepEqual((await hello(ctl.app, helloFrame(WELL_FORMED, LOW_ORDER))).code, 4422)
    const o = await hello(ctl.app, helloFrame(WELL_FORMED))
    assert.deepEqual([o.code, o.frames[0]?.code], [1011, 'VPCMESH_ERR_STORE_UNAVAILABLE'])
  })
})
