/**
 * Inputs the API fuzzer (test/integration/api-fuzz.test.ts) found answered without a stable
 * code, kept as regular regression tests (docs/testing.md, "Property and protocol fuzzing").
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { auth, mustApp, mustRedis } from './helpers.js'

let redis: Awaited<ReturnType<typeof mustRedis>>
let ctl: Awaited<ReturnType<typeof mustApp>>
let app: FastifyInstance

before(async () => {
  redis = await mustRedis()
  ctl = await mustApp(redis.url)
  app = ctl.app
})
after(async () => {
  try {
    await ctl?.close()
  } finally {
    await redis?.stop()
  }
})

test('a path parameter over 100 characters is a 400 with the validation code, not 414 FST_ERR_MAX_PARAM_LENGTH', async () => {
  for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
    const r = await app.inject({ method, url: `/v1/vpcs/${'x'.repeat(600)}`, headers: auth, payload: {} })
    assert.equal(r.statusCode, 400, r.body)
    assert.deepEqual(r.json(), {
      code: 'VPCMESH_ERR_VALIDATION',
      message: 'a path parameter is longer than 100 characters',
      retryable: false,
    })
  }
})

test('a path with bad percent-encoding is a 400 with the validation code, not FST_ERR_BAD_URL', async () => {
  const r = await app.inject({ method: 'GET', url: '/v1/vpcs/%E0%A4%A', headers: auth })
  assert.equal(r.statusCode, 400, r.body)
  assert.equal(r.json().code, 'VPCMESH_ERR_VALIDATION')
})
