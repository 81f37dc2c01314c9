import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { auth, mustApp, mustRedis } from './helpers.js'

let redis: Awaited<ReturnType<typeof mustRedis>>
let ctl: Awaited<ReturnType<typeof mustApp>>
let app: FastifyInstance

before(async () => {
  redis = await mustRedis()
  // The controller listens on 192.0.2.7 and agents reach it through 203.0.113.200 as well.
  ctl = await mustApp(redis.url, {
    VPCMESH_LISTEN: '192.0.2.7:7700',
    VPCMESH_ADVERTISE_ADDRESSES: '203.0.113.200, 2001:db8:c::1',
  })
  app = ctl.app
})
after(async () => {
  try {
    await ctl?.close()
  } finally {
    await redis?.stop()
  }
})

type Answer = { status: number; body: { code?: string; message?: string; vpc?: { id: string; routes: string[] } } }

async function call(method: 'POST' | 'PATCH' | 'GET', url: string, payload?: unknown): Promise<Answer> {
  const r = await app.inject({ method, url, payload: payload as object, headers: auth })
  return { status: r.statusCode, body: r.body === '' ? {} : r.json() }
}

const create = async (name: string, cidrs: string[], endpoint: string): Promise<Answer> =>
  await call('POST', '/v1/vpcs', { name, cidrs, endpoint })

function assertError(r: Answer, status: number, code: string, message: RegExp): void {
  assert.equal(r.status, status, JSON.stringify(r.body))
  assert.equal(r.body.code, code)
  assert.match(r.body.message ?? '', message)
}

/** The registry as listed: name → [cidrs, routes, endpoint]. */
async function registry(): Promise<Record<string, unknown>> {
  const r = await call('GET', '/v1/vpcs')
  const vpcs = (
    r.body as unknown as { vpcs: Array<{ name: string; cidrs: string[]; routes: string[]; endpoint: string }> }
  ).vpcs
  return Object.fromEntries(vpcs.map((v) => [v.name, [v.cidrs, v.routes, v.endpoint]]))
}

describe('registrations that would cut agents off are refused', () => {
  let aId = ''
  before(async () => {
    const a = await create('a', ['10.1.0.0/16'], '198.51.100.1:51820')
    assert.equal(a.status, 201)
    aId = a.body.vpc?.id ?? ''
    assert.equal((await create('b', ['10.2.0.0/16'], '[2001:db8:b::1]:51820')).status, 201)
  })

  test('default routes, loopback, link-local, multicast and IPv4-mapped prefixes → 400 VPCMESH_ERR_PREFIX_RESERVED', async () => {
    const before = await registry()
    assertError(
      await create('x1', ['0.0.0.0/0'], '198.51.100.9:1'),
      400,
      'VPCMESH_ERR_PREFIX_RESERVED',
      /default route/,
    )
    assertError(await create('x2', ['::/0'], '198.51.100.9:1'), 400, 'VPCMESH_ERR_PREFIX_RESERVED', /default route/)
    assertError(
      await create('x3', ['169.254.0.0/16'], '198.51.100.9:1'),
      400,
      'VPCMESH_ERR_PREFIX_RESERVED',
      /link-local \(cloud metadata\)/,
    )
    assertError(await create('x4', ['127.0.0.0/8'], '198.51.100.9:1'), 400, 'VPCMESH_ERR_PREFIX_RESERVED', /loopback/)
    assertError(await create('x5', ['224.0.0.0/4'], '198.51.100.9:1'), 400, 'VPCMESH_ERR_PREFIX_RESERVED', /multicast/)
    assertError(await create('x6', ['fe80::/10'], '198.51.100.9:1'), 400, 'VPCMESH_ERR_PREFIX_RESERVED', /link-local/)
    assertError(
      await create('x7', ['::ffff:10.1.0.0/120'], '198.51.100.9:1'),
      400,
      'VPCMESH_ERR_PREFIX_RESERVED',
      /IPv4-mapped.*IPv4 form/,
    )
    assertError(
      await call('POST', `/v1/vpcs/${aId}/routes`, { cidr: '169.254.169.254/32' }),
      400,
      'VPCMESH_ERR_PREFIX_RESERVED',
      /cloud metadata/,
    )
    assertError(
      await call('PATCH', `/v1/vpcs/${aId}`, { cidrs: ['10.1.0.0/16', '224.0.0.0/8'] }),
      400,
      'VPCMESH_ERR_PREFIX_RESERVED',
      /multicast/,
    )
    assert.deepEqual(await registry(), before, 'nothing was written')
  })

  test('a prefix containing a registered endpoint → 409 VPCMESH_ERR_PREFIX_COVERS_UNDERLAY naming the VPC', async () => {
    const before = await registry()
    assertError(
      await create('x8', ['198.51.100.0/24'], '198.51.100.9:1'),
      409,
      'VPCMESH_ERR_PREFIX_COVERS_UNDERLAY',
      /198\.51\.100\.1:51820, the tunnel endpoint of VPC "a"/,
    )
    assertError(
      await create('x9', ['2001:db8:b::/48'], '198.51.100.9:1'),
      409,
      'VPCMESH_ERR_PREFIX_COVERS_UNDERLAY',
      /VPC "b"/,
    )
    assertError(
      await call('POST', `/v1/vpcs/${aId}/routes`, { cidr: '198.51.100.0/25' }),
      409,
      'VPCMESH_ERR_PREFIX_COVERS_UNDERLAY',
      /VPC "a"/,
    )
    assertError(
      await call('PATCH', `/v1/vpcs/${aId}`, { cidrs: ['10.1.0.0/16', '198.51.0.0/16'] }),
      409,
      'VPCMESH_ERR_PREFIX_COVERS_UNDERLAY',
      /VPC "a"/,
    )
    // its own endpoint inside its own CIDR: every other agent would route its tunnel into the mesh
    assertError(
      await create('x10', ['10.9.0.0/16'], '10.9.0.5:51820'),
      409,
      'VPCMESH_ERR_PREFIX_COVERS_UNDERLAY',
      /VPC "x10"/,
    )
    assert.deepEqual(await registry(), before, 'nothing was written')
  })

  test("a prefix containing the controller's listen or advertised address → 409 VPCMESH_ERR_PREFIX_COVERS_UNDERLAY", async () => {
    assertError(
      await create('x11', ['192.0.2.0/24'], '198.51.100.9:1'),
      409,
      'VPCMESH_ERR_PREFIX_COVERS_UNDERLAY',
      /controller's address 192\.0\.2\.7/,
    )
    assertError(
      await create('x12', ['203.0.113.0/24'], '198.51.100.9:1'),
      409,
      'VPCMESH_ERR_PREFIX_COVERS_UNDERLAY',
      /203\.0\.113\.200/,
    )
    assertError(
      await call('POST', `/v1/vpcs/${aId}/routes`, { cidr: '2001:db8:c::/48' }),
      409,
      'VPCMESH_ERR_PREFIX_COVERS_UNDERLAY',
      /2001:db8:c::1/,
    )
  })

  test('an endpoint already used by another VPC (any spelling) → 409 VPCMESH_ERR_ENDPOINT_TAKEN', async () => {
    assertError(
      await create('x13', ['10.13.0.0/16'], '198.51.100.1:51820'),
      409,
      'VPCMESH_ERR_ENDPOINT_TAKEN',
      /VPC "a"/,
    )
    assertError(
      await create('x14', ['10.14.0.0/16'], '[2001:db8:b:0::1]:51820'),
      409,
      'VPCMESH_ERR_ENDPOINT_TAKEN',
      /VPC "b"/,
    )
    assertError(
      await call('PATCH', `/v1/vpcs/${aId}`, { endpoint: '[2001:DB8:B::1]:51820' }),
      409,
      'VPCMESH_ERR_ENDPOINT_TAKEN',
      /VPC "b"/,
    )
    // the same host on another port is another socket
    assert.equal((await create('c', ['10.3.0.0/16'], '198.51.100.1:51821')).status, 201)
  })

  test('an endpoint inside a registered prefix → 409 VPCMESH_ERR_PREFIX_COVERS_UNDERLAY', async () => {
    assertError(
      await create('x15', ['10.15.0.0/16'], '10.2.3.4:51820'),
      409,
      'VPCMESH_ERR_PREFIX_COVERS_UNDERLAY',
      /inside 10\.2\.0\.0\/16 of VPC "b"/,
    )
    assertError(
      await call('PATCH', `/v1/vpcs/${aId}`, { endpoint: '10.2.0.9:51820' }),
      409,
      'VPCMESH_ERR_PREFIX_COVERS_UNDERLAY',
      /VPC "b"/,
    )
  })

  test('a deleted VPC frees its endpoint, and moving an endpoint frees the old one', async () => {
    const d = await create('d', ['10.4.0.0/16'], '198.51.100.4:51820')
    assert.equal(d.status, 201)
    const id = d.body.vpc?.id ?? ''
    assert.equal((await call('PATCH', `/v1/vpcs/${id}`, { endpoint: '198.51.100.44:51820' })).status, 200)
    assert.equal((await create('e', ['10.5.0.0/16'], '198.51.100.4:51820')).status, 201, 'old endpoint is free again')
    assert.equal((await app.inject({ method: 'DELETE', url: `/v1/vpcs/${id}`, headers: auth })).statusCode, 204)
    assert.equal(
      (await create('f', ['10.6.0.0/16'], '198.51.100.44:51820')).status,
      201,
      'deleted VPC freed its endpoint',
    )
  })
})
