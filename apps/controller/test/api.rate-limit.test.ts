import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { noopLogger, systemClock } from '@vpcmesh/common'
import { prometheusMetrics } from '@vpcmesh/metrics'
import { buildApp } from '../src/app.js'
import { parseConfig } from '../src/config.js'
import { createRedisStore } from '../src/state/redis-store.js'
import { RateLimitRedis } from '../src/state/rate-limit-redis.js'
import type { Store } from '../src/state/store.js'
import { TOKEN, auth, mustRedis } from './helpers.js'

const LIMIT = 3

/** A controller app whose Store uses `storeUrl` and whose rate limit counts in `limitUrl`. */
async function mustLimitedApp(
  storeUrl: string,
  limitUrl: string | undefined,
  perMinute = LIMIT,
): Promise<{ app: FastifyInstance; close: () => Promise<void> }> {
  const config = parseConfig({
    VPCMESH_ADMIN_TOKEN: TOKEN,
    REDIS_URL: storeUrl,
    VPCMESH_RATE_LIMIT_PER_MIN: String(perMinute),
  })
  const store: Store = await createRedisStore({}, { url: storeUrl, prefix: config.redisPrefix })
  const rateLimitRedis = limitUrl === undefined ? undefined : new RateLimitRedis({}, { target: { url: limitUrl } })
  await rateLimitRedis?.connect()
  const app = await buildApp({
    config,
    store,
    metrics: prometheusMetrics(),
    logger: noopLogger,
    clock: systemClock,
    rateLimitRedis,
  })
  await app.ready()
  return {
    app,
    close: async () => {
      await app.close()
      await rateLimitRedis?.close()
      await store.close()
    },
  }
}

describe('REST rate limit (counted in Redis)', () => {
  let redis: Awaited<ReturnType<typeof mustRedis>>
  let ctl: Awaited<ReturnType<typeof mustLimitedApp>>
  const get = async (url: string, from: string, headers: Record<string, string> = auth) =>
    await ctl.app.inject({ method: 'GET', url, remoteAddress: from, headers })

  before(async () => {
    redis = await mustRedis()
    ctl = await mustLimitedApp(redis.url, redis.url)
  })
  after(async () => {
    try {
      await ctl?.close()
    } finally {
      await redis?.stop()
    }
  })

  test('over the limit: 429 VPCMESH_ERR_RATE_LIMITED with the error body and Retry-After; other addresses and probes are not limited', async () => {
    for (let i = 0; i < LIMIT; i++) assert.equal((await get('/v1/vpcs', '198.51.100.1')).statusCode, 200)
    const r = await get('/v1/vpcs', '198.51.100.1')
    assert.equal(r.statusCode, 429)
    assert.deepEqual(r.json(), {
      code: 'VPCMESH_ERR_RATE_LIMITED',
      message: `more than ${LIMIT} requests a minute from 198.51.100.1; slow down`,
      retryable: true,
    })
    const retryAfter = Number(r.headers['retry-after'])
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`)
    assert.equal((await get('/v1/vpcs', '198.51.100.2')).statusCode, 200)
    for (const probe of ['/healthz', '/readyz', '/metrics'])
      assert.equal((await get(probe, '198.51.100.1')).statusCode, 200, probe)
  })

  test('requests are counted before authentication: a token guesser is limited too', async () => {
    const bad = { authorization: 'Bearer not-the-token-0123456789' }
    for (let i = 0; i < LIMIT; i++) assert.equal((await get('/v1/vpcs', '198.51.100.3', bad)).statusCode, 401)
    const r = await get('/v1/vpcs', '198.51.100.3', bad)
    assert.equal(r.statusCode, 429)
    assert.equal(r.json().code, 'VPCMESH_ERR_RATE_LIMITED')
  })

  test('the agent WebSocket upgrade path spends the same per-address budget', async () => {
    for (let i = 0; i < LIMIT; i++) assert.equal((await get('/v1/vpcs', '198.51.100.4')).statusCode, 200)
    const r = await get('/v1/agents/connect', '198.51.100.4', {})
    assert.equal(r.statusCode, 429)
    assert.equal(r.json().code, 'VPCMESH_ERR_RATE_LIMITED')
    assert.ok(Number(r.headers['retry-after']) >= 1)
  })

  test('the count lives in Redis under the controller prefix', async () => {
    await get('/v1/vpcs', '198.51.100.5')
    const c = new Redis(redis.url)
    try {
      assert.equal(await c.get('vpcmesh:ratelimit:198.51.100.5'), '1')
    } finally {
      c.disconnect()
    }
  })
})

describe('REST rate limit when its Redis is down', () => {
  let storeRedis: Awaited<ReturnType<typeof mustRedis>>
  let limitRedis: Awaited<ReturnType<typeof mustRedis>>
  let ctl: Awaited<ReturnType<typeof mustLimitedApp>>

  before(async () => {
    storeRedis = await mustRedis()
    limitRedis = await mustRedis()
    ctl = await mustLimitedApp(storeRedis.url, limitRedis.url)
  })
  after(async () => {
    try {
      await ctl?.close()
    } finally {
      await storeRedis?.stop()
      await limitRedis?.stop()
    }
  })

  test('fail-open: requests over the limit are served, never answered 5xx, while the counters are unreachable', async () => {
    const get = async () =>
      await ctl.app.inject({ method: 'GET', url: '/v1/vpcs', remoteAddress: '198.51.100.9', headers: auth })
    for (let i = 0; i < LIMIT; i++) assert.equal((await get()).statusCode, 200)
    assert.equal((await get()).statusCode, 429, 'the limit holds while its Redis is up')
    await limitRedis.stop()
    for (let i = 0; i < LIMIT * 3; i++) {
      const r = await get()
      assert.equal(r.statusCode, 200, r.body)
    }
  })
})

describe('REST rate limit 0', () => {
  let redis: Awaited<ReturnType<typeof mustRedis>>
  let ctl: Awaited<ReturnType<typeof mustLimitedApp>>

  before(async () => {
    redis = await mustRedis()
    ctl = await mustLimitedApp(redis.url, redis.url, 0)
  })
  after(async () => {
    try {
      await ctl?.close()
    } finally {
      await redis?.stop()
    }
  })

  test('VPCMESH_RATE_LIMIT_PER_MIN=0 disables the limit', async () => {
    for (let i = 0; i < 20; i++) {
      const r = await ctl.app.inject({ method: 'GET', url: '/v1/vpcs', remoteAddress: '198.51.100.10', headers: auth })
      assert.equal(r.statusCode, 200, r.body)
    }
  })
})
