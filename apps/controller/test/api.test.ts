import { after, before, describe, test } from 'node:test'
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

async function post(url: string, payload: unknown, headers: Record<string, string> = auth) {
  const r = await app.inject({ method: 'POST', url, payload: payload as object, headers })
  return { status: r.statusCode, body: r.body === '' ? undefined : r.json() }
}

/** Each VPC gets its own endpoint unless the test gives one: endpoints are unique per mesh. */
let nextPort = 51820
async function create(name: string, cidrs: string[], endpoint = `198.51.100.1:${nextPort++}`) {
  return await post('/v1/vpcs', { name, cidrs, endpoint })
}

function assertError(r: { status: number; body: unknown }, status: number, code: string, message?: RegExp): void {
  assert.equal(r.status, status, JSON.stringify(r.body))
  const b = r.body as { code: string; message: string; retryable: boolean }
  assert.equal(b.code, code)
  assert.equal(typeof b.retryable, 'boolean')
  if (message !== undefined) assert.match(b.message, message)
}

describe('VPC registration', () => {
  test('creates a VPC, shows the join token once, lists and shows it', async () => {
    const r = await create('alpha', ['10.1.0.0/16', 'fd00:1::/48'])
    assert.equal(r.status, 201)
    const b = r.body as {
      vpc: {
        id: string
        name: string
        cidrs: string[]
        routes: string[]
        masquerade: boolean
        publicKey: null
        version: number
      }
      joinToken: string
    }
    assert.match(b.vpc.id, /^vpc_[0-9a-f]{12}$/)
    assert.deepEqual(
      [b.vpc.name, b.vpc.cidrs, b.vpc.routes, b.vpc.masquerade, b.vpc.publicKey],
      ['alpha', ['10.1.0.0/16', 'fd00:1::/48'], [], true, null],
    )
    assert.match(b.joinToken, /^vmj_/)
    const list = await app.inject({ url: '/v1/vpcs', headers: auth })
    assert.equal(list.statusCode, 200)
    const listed = list.json() as { version: number; vpcs: Array<{ id: string }> }
    assert.ok(listed.vpcs.some((v) => v.id === b.vpc.id))
    assert.ok(!list.body.includes(b.joinToken), 'join token is never shown again')
    const show = await app.inject({ url: `/v1/vpcs/${b.vpc.id}`, headers: auth })
    assert.equal((show.json() as { vpc: { name: string } }).vpc.name, 'alpha')
  })

  test('invalid CIDR → 400 VPCMESH_ERR_CIDR_INVALID quoting the input', async () => {
    assertError(await create('bad1', ['10.0.0.300/16']), 400, 'VPCMESH_ERR_CIDR_INVALID', /10\.0\.0\.300\/16/)
    assertError(await create('bad2', ['banana']), 400, 'VPCMESH_ERR_CIDR_INVALID', /banana/)
  })

  test('host bits set → 400 VPCMESH_ERR_CIDR_HOST_BITS with the canonical form', async () => {
    assertError(await create('bad3', ['10.9.0.1/16']), 400, 'VPCMESH_ERR_CIDR_HOST_BITS', /10\.9\.0\.0\/16/)
  })

  test('overlap with another VPC, IPv4 and IPv6 → 409 naming the other VPC and CIDR', async () => {
    assertError(
      await create('beta', ['10.1.5.0/24']),
      409,
      'VPCMESH_ERR_CIDR_OVERLAP',
      /10\.1\.5\.0\/24 overlaps 10\.1\.0\.0\/16 of VPC "alpha"/,
    )
    assertError(
      await create('beta', ['10.0.0.0/8']),
      409,
      'VPCMESH_ERR_CIDR_OVERLAP',
      /10\.0\.0\.0\/8 overlaps 10\.1\.0\.0\/16 of VPC "alpha"/,
    )
    assertError(
      await create('beta', ['fd00:1:0:5::/64']),
      409,
      'VPCMESH_ERR_CIDR_OVERLAP',
      /fd00:1:0:5::\/64 overlaps fd00:1::\/48 of VPC "alpha"/,
    )
    assertError(await create('beta', ['10.2.0.0/16', '10.2.1.0/24']), 409, 'VPCMESH_ERR_CIDR_OVERLAP', /same request/)
  })

  test('overlap with a route of another VPC, and a route overlapping a VPC CIDR → 409', async () => {
    const g = await create('gamma', ['10.3.0.0/16'])
    const id = (g.body as { vpc: { id: string } }).vpc.id
    const r = await post(`/v1/vpcs/${id}/routes`, { cidr: '172.20.0.0/14' })
    assert.equal(r.status, 201)
    assert.deepEqual((r.body as { vpc: { routes: string[] } }).vpc.routes, ['172.20.0.0/14'])
    assertError(
      await create('delta', ['172.21.0.0/16']),
      409,
      'VPCMESH_ERR_CIDR_OVERLAP',
      /172\.20\.0\.0\/14 of VPC "gamma"/,
    )
    assertError(
      await post(`/v1/vpcs/${id}/routes`, { cidr: '10.1.128.0/17' }),
      409,
      'VPCMESH_ERR_CIDR_OVERLAP',
      /of VPC "alpha"/,
    )
    assertError(
      await post(`/v1/vpcs/${id}/routes`, { cidr: 'fd00::/16' }),
      409,
      'VPCMESH_ERR_CIDR_OVERLAP',
      /fd00:1::\/48 of VPC "alpha"/,
    )
    const del = await app.inject({
      method: 'DELETE',
      url: `/v1/vpcs/${id}/routes?cidr=${encodeURIComponent('172.20.0.0/14')}`,
      headers: auth,
    })
    assert.equal(del.statusCode, 200)
    assert.equal((await create('delta', ['172.21.0.0/16'])).status, 201)
    const missing = await app.inject({
      method: 'DELETE',
      url: `/v1/vpcs/${id}/routes?cidr=${encodeURIComponent('172.20.0.0/14')}`,
      headers: auth,
    })
    assertError({ status: missing.statusCode, body: missing.json() }, 404, 'VPCMESH_ERR_ROUTE_NOT_FOUND')
  })

  test('duplicate name → 409 VPCMESH_ERR_VPC_NAME_TAKEN', async () => {
    assertError(await create('alpha', ['10.50.0.0/16']), 409, 'VPCMESH_ERR_VPC_NAME_TAKEN', /"alpha" already exists/)
  })

  test('bad endpoint → 400 VPCMESH_ERR_ENDPOINT_INVALID', async () => {
    assertError(await create('eps', ['10.60.0.0/16'], 'nohost'), 400, 'VPCMESH_ERR_ENDPOINT_INVALID', /host:port/)
    assertError(await create('eps', ['10.60.0.0/16'], '1.2.3.4:99999'), 400, 'VPCMESH_ERR_ENDPOINT_INVALID', /1-65535/)
  })

  test('unknown id → 404; malformed id, unknown field, bad name → 400 VPCMESH_ERR_VALIDATION', async () => {
    const r = await app.inject({ url: '/v1/vpcs/vpc_000000000000', headers: auth })
    assertError({ status: r.statusCode, body: r.json() }, 404, 'VPCMESH_ERR_VPC_NOT_FOUND', /vpc_000000000000/)
    const d = await app.inject({ method: 'DELETE', url: '/v1/vpcs/vpc_000000000000', headers: auth })
    assertError({ status: d.statusCode, body: d.json() }, 404, 'VPCMESH_ERR_VPC_NOT_FOUND')
    const m = await app.inject({ url: '/v1/vpcs/nope', headers: auth })
    assertError({ status: m.statusCode, body: m.json() }, 400, 'VPCMESH_ERR_VALIDATION', /params\.id/)
    assertError(
      await post('/v1/vpcs', { name: 'x', cidrs: ['10.70.0.0/16'], endpoint: '1.2.3.4:5', cidr: 'typo' }),
      400,
      'VPCMESH_ERR_VALIDATION',
      /cidr/,
    )
    assertError(
      await post('/v1/vpcs', { name: 'Bad Name', cidrs: ['10.70.0.0/16'], endpoint: '1.2.3.4:5' }),
      400,
      'VPCMESH_ERR_VALIDATION',
      /body\.name/,
    )
    assertError(
      await post('/v1/vpcs', { name: 'x', cidrs: [], endpoint: '1.2.3.4:5' }),
      400,
      'VPCMESH_ERR_VALIDATION',
      /body\.cidrs/,
    )
  })

  test('malformed JSON → 400 VPCMESH_ERR_BAD_JSON; oversize body → 413', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/vpcs',
      payload: '{"name":',
      headers: { ...auth, 'content-type': 'application/json' },
    })
    assertError({ status: bad.statusCode, body: bad.json() }, 400, 'VPCMESH_ERR_BAD_JSON')
    const big = await app.inject({
      method: 'POST',
      url: '/v1/vpcs',
      payload: JSON.stringify({ name: 'big', cidrs: ['10.80.0.0/16'], endpoint: 'x'.repeat(70_000) }),
      headers: { ...auth, 'content-type': 'application/json' },
    })
    assertError({ status: big.statusCode, body: big.json() }, 413, 'VPCMESH_ERR_BODY_TOO_LARGE')
  })

  test('missing or wrong token → 401, and nothing is created', async () => {
    assertError(
      await post('/v1/vpcs', { name: 'sneaky', cidrs: ['10.90.0.0/16'], endpoint: '1.2.3.4:5' }, {}),
      401,
      'VPCMESH_ERR_AUTH_MISSING',
    )
    assertError(
      await post(
        '/v1/vpcs',
        { name: 'sneaky', cidrs: ['10.90.0.0/16'], endpoint: '1.2.3.4:5' },
        { authorization: 'Bearer wrong-token-xxxxxxxxxx' },
      ),
      401,
      'VPCMESH_ERR_AUTH_INVALID',
    )
    for (const url of ['/v1/vpcs', '/v1/status']) {
      const r = await app.inject({ url })
      assertError({ status: r.statusCode, body: r.json() }, 401, 'VPCMESH_ERR_AUTH_MISSING')
    }
    const list = await app.inject({ url: '/v1/vpcs', headers: auth })
    assert.ok(!list.body.includes('sneaky'))
  })

  test('PATCH changes fields, refuses overlap, and an identical PATCH does not bump the version', async () => {
    const e = await create('epsilon', ['10.100.0.0/16'])
    const id = (e.body as { vpc: { id: string } }).vpc.id
    const p = await app.inject({
      method: 'PATCH',
      url: `/v1/vpcs/${id}`,
      payload: { endpoint: '198.51.100.9:4000', masquerade: false },
      headers: auth,
    })
    assert.equal(p.statusCode, 200)
    const v1 = (p.json() as { vpc: { version: number; endpoint: string; masquerade: boolean } }).vpc
    assert.deepEqual([v1.endpoint, v1.masquerade], ['198.51.100.9:4000', false])
    const same = await app.inject({
      method: 'PATCH',
      url: `/v1/vpcs/${id}`,
      payload: { masquerade: false },
      headers: auth,
    })
    assert.equal((same.json() as { vpc: { version: number } }).vpc.version, v1.version)
    const o = await app.inject({
      method: 'PATCH',
      url: `/v1/vpcs/${id}`,
      payload: { cidrs: ['10.1.0.0/24'] },
      headers: auth,
    })
    assertError({ status: o.statusCode, body: o.json() }, 409, 'VPCMESH_ERR_CIDR_OVERLAP', /"alpha"/)
    const own = await app.inject({
      method: 'PATCH',
      url: `/v1/vpcs/${id}`,
      payload: { cidrs: ['10.100.0.0/15'] },
      headers: auth,
    })
    assert.equal(own.statusCode, 200, 'may grow over its own old CIDR')
    const empty = await app.inject({ method: 'PATCH', url: `/v1/vpcs/${id}`, payload: {}, headers: auth })
    assertError({ status: empty.statusCode, body: empty.json() }, 400, 'VPCMESH_ERR_VALIDATION', /at least one/)
  })

  test('unknown route → 404 VPCMESH_ERR_NOT_FOUND; health, readiness, metrics, OpenAPI are open', async () => {
    const r = await app.inject({ url: '/v1/nothing', headers: auth })
    assertError({ status: r.statusCode, body: r.json() }, 404, 'VPCMESH_ERR_NOT_FOUND')
    assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200)
    assert.deepEqual((await app.inject({ url: '/readyz' })).json(), { status: 'ready' })
    const m = await app.inject({ url: '/metrics' })
    assert.match(m.body, /vpcmesh_controller_http_requests_total\{route="\/v1\/vpcs",method="POST",status="201"\} \d+/)
    const docs = (await app.inject({ url: '/docs' })).json() as { openapi: string; paths: Record<string, unknown> }
    assert.match(docs.openapi, /^3\./)
    assert.ok(docs.paths['/v1/vpcs'] !== undefined && docs.paths['/v1/vpcs/{id}/routes'] !== undefined)
  })
})
