// Global mode through the REST API on a real redis-server: VPCs with the same CIDRs join in
// global mode, each getting its own global prefixes from the pool; a plain overlap is still
// 409; wished prefixes, exhaustion, routes, mode changes and deletion keep the routed index
// exact; GET /v1/routes answers where an address lands.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import type { RouteListResponse, Vpc } from '@vpcmesh/protocol'
import { auth, mustApp, mustRedis } from './helpers.js'

let redis: Awaited<ReturnType<typeof mustRedis>>
let ctl: Awaited<ReturnType<typeof mustApp>>
let app: FastifyInstance

before(async () => {
  redis = await mustRedis()
  // A small pool (four /24s) so exhaustion is reachable.
  ctl = await mustApp(redis.url, { VPCMESH_GLOBAL_POOL: '242.1.0.0/22' })
  app = ctl.app
})
after(async () => {
  try {
    await ctl?.close()
  } finally {
    await redis?.stop()
  }
})

type Answer = { status: number; body: { code?: string; message?: string; vpc?: Vpc } & Record<string, unknown> }

async function call(method: 'POST' | 'PATCH' | 'GET' | 'DELETE', url: string, payload?: unknown): Promise<Answer> {
  const r = await app.inject({ method, url, payload: payload as object, headers: auth })
  return { status: r.statusCode, body: r.body === '' ? {} : r.json() }
}

function refused(r: Answer, status: number, code: string, message: RegExp): void {
  assert.equal(r.status, status, JSON.stringify(r.body))
  assert.equal(r.body.code, code)
  assert.match(r.body.message ?? '', message)
}

const globals = (r: Answer): Array<[string, string]> =>
  (r.body.vpc?.globalPrefixes ?? []).map((g) => [g.local, g.global])

describe('global mode', () => {
  let a: Vpc
  let b: Vpc

  test('two VPCs with the same CIDR join in global mode, each with its own global prefix', async () => {
    const ra = await call('POST', '/v1/vpcs', {
      name: 'a',
      cidrs: ['10.0.0.0/24'],
      endpoint: '192.0.2.1:51820',
      mode: 'global',
    })
    assert.equal(ra.status, 201, JSON.stringify(ra.body))
    a = ra.body.vpc as Vpc
    assert.equal(a.mode, 'global')
    assert.deepEqual(globals(ra), [['10.0.0.0/24', '242.1.0.0/24']])
    const rb = await call('POST', '/v1/vpcs', {
      name: 'b',
      cidrs: ['10.0.0.0/24'],
      endpoint: '192.0.2.2:51820',
      mode: 'global',
    })
    assert.equal(rb.status, 201, JSON.stringify(rb.body))
    b = rb.body.vpc as Vpc
    assert.deepEqual(globals(rb), [['10.0.0.0/24', '242.1.1.0/24']])
  })

  test('a plain registration that overlaps a routed prefix is still 409, in local or global mode', async () => {
    // Another local-mode VPC with the same CIDR as a and b: their local prefixes are not routed, so it may join…
    const c = await call('POST', '/v1/vpcs', { name: 'c', cidrs: ['10.0.0.0/24'], endpoint: '192.0.2.3:51820' })
    assert.equal(c.status, 201, JSON.stringify(c.body))
    // …but a second one overlaps c's routed prefix.
    refused(
      await call('POST', '/v1/vpcs', { name: 'd', cidrs: ['10.0.0.0/25'], endpoint: '192.0.2.4:51820' }),
      409,
      'VPCMESH_ERR_CIDR_OVERLAP',
      /10\.0\.0\.0\/25 overlaps 10\.0\.0\.0\/24 of VPC "c"/,
    )
    // A local-mode VPC may not take a global prefix either.
    refused(
      await call('POST', '/v1/vpcs', { name: 'd', cidrs: ['242.1.1.0/24'], endpoint: '192.0.2.4:51820' }),
      409,
      'VPCMESH_ERR_CIDR_OVERLAP',
      /overlaps 242\.1\.1\.0\/24 of VPC "b"/,
    )
    // A wished global prefix is checked the same way, and must have the local prefix's length.
    const d = (global: string, mode?: 'global'): Promise<Answer> =>
      call('POST', '/v1/vpcs', {
        name: 'd',
        cidrs: ['10.0.0.0/24'],
        endpoint: '192.0.2.4:51820',
        ...(mode === undefined ? {} : { mode }),
        globalPrefixes: [{ local: '10.0.0.0/24', global }],
      })
    refused(await d('242.1.0.0/24', 'global'), 409, 'VPCMESH_ERR_CIDR_OVERLAP', /overlaps 242\.1\.0\.0\/24 of VPC "a"/)
    refused(await d('242.9.0.0/16', 'global'), 400, 'VPCMESH_ERR_VALIDATION', /same length \/24/)
    refused(await d('242.9.0.0/24'), 400, 'VPCMESH_ERR_VALIDATION', /need mode "global"/)
    assert.equal((await call('DELETE', `/v1/vpcs/${c.body.vpc?.id}`)).status, 204)
  })

  test('a wished global prefix outside the pool is taken as given', async () => {
    const d = await call('POST', '/v1/vpcs', {
      name: 'd',
      cidrs: ['10.0.0.0/24'],
      endpoint: '192.0.2.4:51820',
      mode: 'global',
      globalPrefixes: [{ local: '10.0.0.0/24', global: '100.64.9.0/24' }],
    })
    assert.equal(d.status, 201, JSON.stringify(d.body))
    assert.deepEqual(globals(d), [['10.0.0.0/24', '100.64.9.0/24']])
    assert.equal((await call('DELETE', `/v1/vpcs/${d.body.vpc?.id}`)).status, 204)
  })

  test('routes of a global-mode VPC get global prefixes; removing one frees it', async () => {
    const r = await call('POST', `/v1/vpcs/${b.id}/routes`, { cidr: '10.96.0.0/24' })
    assert.equal(r.status, 201, JSON.stringify(r.body))
    assert.deepEqual(globals(r), [
      ['10.0.0.0/24', '242.1.1.0/24'],
      ['10.96.0.0/24', '242.1.2.0/24'],
    ])
    const gone = await call('DELETE', `/v1/vpcs/${b.id}/routes?cidr=10.96.0.0/24`)
    assert.equal(gone.status, 200)
    assert.deepEqual(globals(gone), [['10.0.0.0/24', '242.1.1.0/24']])
    // The freed block is routable again: a local-mode VPC may register it.
    const e = await call('POST', '/v1/vpcs', { name: 'e', cidrs: ['242.1.2.0/24'], endpoint: '192.0.2.5:51820' })
    assert.equal(e.status, 201, JSON.stringify(e.body))
    assert.equal((await call('DELETE', `/v1/vpcs/${e.body.vpc?.id}`)).status, 204)
  })

  test('the pool runs out with a clear 409 and nothing written', async () => {
    const before = await call('GET', '/v1/vpcs')
    refused(
      await call('POST', '/v1/vpcs', {
        name: 'big',
        cidrs: ['10.8.0.0/23', '10.9.0.0/23'],
        endpoint: '192.0.2.6:51820',
        mode: 'global',
      }),
      409,
      'VPCMESH_ERR_GLOBAL_POOL_EXHAUSTED',
      /242\.1\.0\.0\/22 has no free \/23 left/,
    )
    const after = await call('GET', '/v1/vpcs')
    assert.equal(after.body.version, before.body.version)
  })

  test('GET /v1/routes says which VPC and which real address a global address is', async () => {
    const all = await call('GET', '/v1/routes')
    assert.equal(all.status, 200)
    const list = all.body as unknown as RouteListResponse
    assert.deepEqual(
      list.routes.map((r) => [r.prefix, r.vpcName, r.local, r.mode]),
      [
        ['242.1.0.0/24', 'a', '10.0.0.0/24', 'global'],
        ['242.1.1.0/24', 'b', '10.0.0.0/24', 'global'],
      ],
    )
    const one = (await call('GET', '/v1/routes?address=242.1.1.7')).body as unknown as RouteListResponse
    assert.equal(one.lookup?.route.vpc, b.id)
    assert.equal(one.lookup?.localAddress, '10.0.0.7')
    const none = (await call('GET', '/v1/routes?address=10.0.0.7')).body as unknown as RouteListResponse
    assert.equal(none.lookup, null, 'a local address of global-mode VPCs is routed nowhere')
    refused(await call('GET', '/v1/routes?address=nope'), 400, 'VPCMESH_ERR_VALIDATION', /not an IP address/)
  })

  test('mode changes: local → global allocates and frees the local prefix; global → local needs it free', async () => {
    const f = await call('POST', '/v1/vpcs', { name: 'f', cidrs: ['10.5.0.0/24'], endpoint: '192.0.2.7:51820' })
    assert.equal(f.status, 201)
    const id = f.body.vpc?.id as string
    const g = await call('PATCH', `/v1/vpcs/${id}`, { mode: 'global' })
    assert.equal(g.status, 200, JSON.stringify(g.body))
    assert.deepEqual(globals(g), [['10.5.0.0/24', '242.1.2.0/24']])
    // 10.5.0.0/24 is no longer routed: another local-mode VPC may take it now.
    const h = await call('POST', '/v1/vpcs', { name: 'h', cidrs: ['10.5.0.0/24'], endpoint: '192.0.2.8:51820' })
    assert.equal(h.status, 201, JSON.stringify(h.body))
    refused(
      await call('PATCH', `/v1/vpcs/${id}`, { mode: 'local' }),
      409,
      'VPCMESH_ERR_CIDR_OVERLAP',
      /overlaps 10\.5\.0\.0\/24 of VPC "h"/,
    )
    assert.equal((await call('DELETE', `/v1/vpcs/${h.body.vpc?.id}`)).status, 204)
    const back = await call('PATCH', `/v1/vpcs/${id}`, { mode: 'local' })
    assert.equal(back.status, 200, JSON.stringify(back.body))
    assert.equal(back.body.vpc?.mode, 'local')
    assert.deepEqual(globals(back), [])
    // Deleting a global-mode VPC frees its global prefix for the next allocation.
    assert.equal((await call('DELETE', `/v1/vpcs/${a.id}`)).status, 204)
    const i = await call('POST', '/v1/vpcs', {
      name: 'i',
      cidrs: ['10.0.0.0/24'],
      endpoint: '192.0.2.9:51820',
      mode: 'global',
    })
    assert.deepEqual(globals(i), [['10.0.0.0/24', '242.1.0.0/24']])
  })
})
