import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, test } from 'node:test'
import { ROUTE_TABLE_ERROR_CODES, type RouteTableProvider } from '../src/route-table/provider.js'
import { createTencentRouteTable } from '../src/route-table/tencent.js'
import { TencentApiServer } from './cloud/tencent-api-server.js'

// The official SDK (signing, serialisation, HTTP) runs unmodified against a local fake of the VPC API.

const REGION = 'ap-guangzhou'
const TABLE = 'rtb-a1'
const VPC = 'vpc_0123456789ab'
const GW_A = { ip: '10.0.1.10', secretId: 'AKIDgatewayA', secretKey: 'secret-key-A' }
const GW_B = { ip: '10.0.2.20', secretId: 'AKIDgatewayB', secretKey: 'secret-key-B' }
const V4_1 = '10.20.0.0/16'
const V4_2 = '10.30.0.0/16'
const V6 = 'fd20::/48'

let server: TencentApiServer

beforeEach(async () => {
  server = await TencentApiServer.start(REGION, { [GW_A.secretId]: GW_A.secretKey, [GW_B.secretId]: GW_B.secretKey })
  server.addTable(TABLE)
})

afterEach(async () => {
  await server.close()
})

function provider(gw: { ip: string; secretId: string; secretKey: string }, tables = [TABLE]): RouteTableProvider {
  return createTencentRouteTable(
    { region: REGION, routeTableIds: tables, instanceId: gw.ip, endpoint: server.endpoint, vpcId: VPC },
    { credential: { secretId: gw.secretId, secretKey: gw.secretKey }, agent: server.agent(), timeoutSeconds: 5 },
  )
}

const mark = (epoch: number) => `[vpcmesh ${VPC} epoch ${epoch}]`
const via = (gw: { ip: string }) => `via NORMAL_CVM ${gw.ip}`
const DESCRIBE = `DescribeRouteTables ${TABLE}`

/** Asserts the promise rejects with this route-table code (and cloud code), and returns the error. */
async function mustReject(p: Promise<unknown>, code: string, cloudCode?: string): Promise<any> {
  let caught: any
  await assert.rejects(p, (e: any) => {
    caught = e
    return true
  })
  assert.equal(caught.code, code, caught.message)
  if (cloudCode !== undefined) assert.equal(caught.cloudCode, cloudCode)
  return caught
}

async function mustCreate(): Promise<void> {
  await provider(GW_A).apply({ epoch: 1, prefixes: [V4_1, V4_2, V6] })
  server.clearCalls()
}

describe('tencent route table: apply', () => {
  test('1. create: a fresh table gets one CreateRoutes; IPv6 is a conflict', async () => {
    const report = await provider(GW_A).apply({ epoch: 1, prefixes: [V4_1, V4_2, V6] })
    assert.deepEqual(server.log(), [
      DESCRIBE,
      `CreateRoutes ${TABLE} ${V4_1} ${via(GW_A)} ${mark(1)}, ${V4_2} ${via(GW_A)} ${mark(1)}`,
    ])
    assert.deepEqual(report, { created: [V4_1, V4_2], replaced: [], deleted: [], conflicts: [V6] })
    const routes = server.routes(TABLE)
    assert.deepEqual(
      routes.map((r) => [r.DestinationCidrBlock, r.GatewayType, r.GatewayId]),
      [
        [V4_1, 'NORMAL_CVM', GW_A.ip],
        [V4_2, 'NORMAL_CVM', GW_A.ip],
      ],
    )
    assert.ok(server.calls.every((c) => c.secretId === GW_A.secretId))
  })

  test('2. idempotent: the same apply again only reads', async () => {
    await mustCreate()
    const report = await provider(GW_A).apply({ epoch: 1, prefixes: [V4_1, V4_2, V6] })
    assert.deepEqual(server.log(), [DESCRIBE])
    assert.deepEqual(report, { created: [], replaced: [], deleted: [], conflicts: [V6] })
  })

  test('3. failover: epoch 2 replaces the routes; the deposed epoch 1 is fenced with no write', async () => {
    await mustCreate()
    const b = await provider(GW_B).apply({ epoch: 2, prefixes: [V4_1, V4_2] })
    assert.deepEqual(server.log(), [
      DESCRIBE,
      `ReplaceRoutes ${TABLE} #1 ${V4_1} ${via(GW_B)} ${mark(2)}, #2 ${V4_2} ${via(GW_B)} ${mark(2)}`,
    ])
    assert.deepEqual(b, { created: [], replaced: [V4_1, V4_2], deleted: [], conflicts: [] })

    server.clearCalls()
    const e = await mustReject(
      provider(GW_A).apply({ epoch: 1, prefixes: [V4_1, V4_2] }),
      ROUTE_TABLE_ERROR_CODES.fenced,
    )
    assert.equal(e.retryable, false)
    await mustReject(provider(GW_A).removeAll(1), ROUTE_TABLE_ERROR_CODES.fenced)
    assert.deepEqual(server.log(), [DESCRIBE, DESCRIBE])
    assert.deepEqual(
      server.routes(TABLE).map((r) => r.GatewayId),
      [GW_B.ip, GW_B.ip],
    )
  })

  test('3b. a new epoch for the same gateway re-marks its routes (ReplaceRoutes), reporting no change', async () => {
    await mustCreate()
    const report = await provider(GW_A).apply({ epoch: 3, prefixes: [V4_1, V4_2] })
    assert.deepEqual(server.log(), [
      DESCRIBE,
      `ReplaceRoutes ${TABLE} #1 ${V4_1} ${via(GW_A)} ${mark(3)}, #2 ${V4_2} ${via(GW_A)} ${mark(3)}`,
    ])
    assert.deepEqual(report, { created: [], replaced: [], deleted: [], conflicts: [] })
    await mustReject(provider(GW_B).apply({ epoch: 2, prefixes: [V4_1] }), ROUTE_TABLE_ERROR_CODES.fenced)
  })

  test('4. prefix change: only our route for the dropped prefix is deleted', async () => {
    await mustCreate()
    const report = await provider(GW_A).apply({ epoch: 1, prefixes: [V4_1] })
    assert.deepEqual(server.log(), [DESCRIBE, `DeleteRoutes ${TABLE} #2`])
    assert.deepEqual(report, { created: [], replaced: [], deleted: [V4_2], conflicts: [] })
    assert.deepEqual(
      server.routes(TABLE).map((r) => r.DestinationCidrBlock),
      [V4_1],
    )
  })

  test("5. foreign route: the operator's route and another VPC's are untouched and listed as conflicts", async () => {
    server.addRoute(TABLE, { dest: V4_2, type: 'NORMAL_CVM', gateway: '10.0.9.9', description: 'office link' })
    server.addRoute(TABLE, {
      dest: '10.40.0.0/16',
      type: 'VPN',
      gateway: 'vpngw-1',
      description: 'vpcmesh vpc_other epoch 9',
    })
    const before = server.routes(TABLE)
    const report = await provider(GW_A).apply({ epoch: 1, prefixes: [V4_1, V4_2, '10.40.0.0/16'] })
    assert.deepEqual(server.log(), [DESCRIBE, `CreateRoutes ${TABLE} ${V4_1} ${via(GW_A)} ${mark(1)}`])
    assert.deepEqual(report, { created: [V4_1], replaced: [], deleted: [], conflicts: [V4_2, '10.40.0.0/16'] })
    assert.deepEqual(server.routes(TABLE).slice(0, 2), before)
  })
})

describe('tencent route table: several tables and the default credential chain', () => {
  test('the fence is read from every table before any write', async () => {
    server.addTable('rtb-b2')
    await provider(GW_A, [TABLE, 'rtb-b2']).apply({ epoch: 1, prefixes: [V4_1] })
    await provider(GW_B, ['rtb-b2']).apply({ epoch: 2, prefixes: [V4_1] })
    server.clearCalls()
    await mustReject(
      provider(GW_A, [TABLE, 'rtb-b2']).apply({ epoch: 1, prefixes: [V4_1, V4_2] }),
      ROUTE_TABLE_ERROR_CODES.fenced,
    )
    assert.deepEqual(server.log(), [`DescribeRouteTables ${TABLE},rtb-b2`])
    const report = await provider(GW_B, [TABLE, 'rtb-b2']).apply({ epoch: 2, prefixes: [V4_1] })
    assert.deepEqual(report, { created: [], replaced: [V4_1], deleted: [], conflicts: [] })
    assert.deepEqual(server.log().slice(1), [
      `DescribeRouteTables ${TABLE},rtb-b2`,
      `ReplaceRoutes ${TABLE} #1 ${V4_1} ${via(GW_B)} ${mark(2)}`,
    ])
  })

  test('without a credential option, the SDK chain takes the keys from the environment', async () => {
    const saved = { id: process.env.TENCENTCLOUD_SECRET_ID, key: process.env.TENCENTCLOUD_SECRET_KEY }
    process.env.TENCENTCLOUD_SECRET_ID = GW_B.secretId
    process.env.TENCENTCLOUD_SECRET_KEY = GW_B.secretKey
    try {
      const p = createTencentRouteTable(
        { region: REGION, routeTableIds: [TABLE], instanceId: GW_B.ip, endpoint: server.endpoint, vpcId: VPC },
        { agent: server.agent() },
      )
      assert.deepEqual((await p.apply({ epoch: 1, prefixes: [V4_1] })).created, [V4_1])
      assert.deepEqual(
        server.calls.map((c) => c.secretId),
        [GW_B.secretId, GW_B.secretId],
      )
    } finally {
      for (const [name, value] of [
        ['TENCENTCLOUD_SECRET_ID', saved.id],
        ['TENCENTCLOUD_SECRET_KEY', saved.key],
      ] as const) {
        if (value === undefined) delete process.env[name]
        else process.env[name] = value
      }
    }
  })
})

describe('tencent route table: removeAll', () => {
  test('6. VPC delete: our routes deleted, the foreign one kept, no mark left; again → only a read', async () => {
    server.addRoute(TABLE, { dest: '10.50.0.0/16', type: 'NORMAL_CVM', gateway: '10.0.9.9', description: 'operator' })
    await provider(GW_A).apply({ epoch: 1, prefixes: [V4_1, V4_2] })
    server.clearCalls()
    const report = await provider(GW_A).removeAll(1)
    assert.deepEqual(server.log(), [DESCRIBE, `DeleteRoutes ${TABLE} #2, #3`])
    assert.deepEqual(report, { created: [], replaced: [], deleted: [V4_1, V4_2], conflicts: [] })
    assert.deepEqual(
      server.routes(TABLE).map((r) => [r.DestinationCidrBlock, r.RouteDescription]),
      [['10.50.0.0/16', 'operator']],
    )
    server.clearCalls()
    assert.deepEqual(await provider(GW_A).removeAll(1), { created: [], replaced: [], deleted: [], conflicts: [] })
    assert.deepEqual(server.log(), [DESCRIBE])
  })
})

describe('tencent route table: errors', () => {
  test('7. API error: a missing route table → api naming the cloud code and the call', async () => {
    const e = await mustReject(
      provider(GW_A, ['rtb-missing']).apply({ epoch: 1, prefixes: [V4_1] }),
      ROUTE_TABLE_ERROR_CODES.api,
      'ResourceNotFound',
    )
    assert.match(e.message, /DescribeRouteTables failed: ResourceNotFound/)
    assert.equal(e.retryable, true)
    assert.deepEqual(server.log(), ['DescribeRouteTables rtb-missing !ResourceNotFound'])
  })

  test('7b. API error on a write (route quota) → api naming CreateRoutes', async () => {
    server.inject('LimitExceeded', { action: 'CreateRoutes', message: 'route quota exceeded' })
    const e = await mustReject(
      provider(GW_A).apply({ epoch: 1, prefixes: [V4_1] }),
      ROUTE_TABLE_ERROR_CODES.api,
      'LimitExceeded',
    )
    assert.match(e.message, /CreateRoutes failed: LimitExceeded: route quota exceeded/)
  })

  test('8. throttling: no SDK retry; each apply fails `throttled` until the API lets it through', async () => {
    server.throttle(2)
    const a = provider(GW_A)
    const first = await mustReject(
      a.apply({ epoch: 1, prefixes: [V4_1] }),
      ROUTE_TABLE_ERROR_CODES.throttled,
      'RequestLimitExceeded',
    )
    assert.equal(first.retryable, true)
    assert.equal(server.calls.length, 1, 'the SDK sent exactly one request: it has no retry of its own')
    await mustReject(a.apply({ epoch: 1, prefixes: [V4_1] }), ROUTE_TABLE_ERROR_CODES.throttled)
    assert.equal(server.calls.length, 2)
    const report = await a.apply({ epoch: 1, prefixes: [V4_1] })
    assert.deepEqual(report.created, [V4_1])
    assert.deepEqual(server.log(), [
      `${DESCRIBE} !RequestLimitExceeded`,
      `${DESCRIBE} !RequestLimitExceeded`,
      DESCRIBE,
      `CreateRoutes ${TABLE} ${V4_1} ${via(GW_A)} ${mark(1)}`,
    ])
  })

  test('8b. throttled always → throttled every time, one request per apply; also on a write', async () => {
    server.throttle(1000)
    const a = provider(GW_A)
    for (let i = 1; i <= 3; i++) {
      await mustReject(
        a.apply({ epoch: 1, prefixes: [V4_1] }),
        ROUTE_TABLE_ERROR_CODES.throttled,
        'RequestLimitExceeded',
      )
      assert.equal(server.calls.length, i)
    }
    await server.close()
    server = await TencentApiServer.start(REGION, { [GW_A.secretId]: GW_A.secretKey })
    server.addTable(TABLE)
    server.inject('RequestLimitExceeded.UinLimitExceeded', { action: 'CreateRoutes' })
    await mustReject(provider(GW_A).apply({ epoch: 1, prefixes: [V4_1] }), ROUTE_TABLE_ERROR_CODES.throttled)
    assert.deepEqual(
      server.log().at(-1),
      `CreateRoutes ${TABLE} ${V4_1} ${via(GW_A)} ${mark(1)} !RequestLimitExceeded.UinLimitExceeded`,
    )
  })

  for (const cloudCode of ['AuthFailure.TokenFailure', 'AuthFailure.SignatureExpire', 'AuthFailure.SecretIdNotFound']) {
    test(`9. expired credential (${cloudCode}) → credentials, no write`, async () => {
      await mustCreate()
      server.expireCredential(GW_B.secretId, cloudCode)
      const e = await mustReject(
        provider(GW_B).apply({ epoch: 2, prefixes: [V4_1, V4_2] }),
        ROUTE_TABLE_ERROR_CODES.credentials,
        cloudCode,
      )
      assert.equal(e.retryable, false)
      assert.ok(!e.message.includes(GW_B.secretKey))
      assert.deepEqual(server.log(), [`${DESCRIBE} !${cloudCode}`])
      assert.deepEqual(
        server.routes(TABLE).map((r) => r.GatewayId),
        [GW_A.ip, GW_A.ip],
      )
    })
  }

  test('9b. unknown key and a wrong secret (the fake checks the TC3 signature) → credentials', async () => {
    const unknown = { ...GW_A, secretId: 'AKIDnobody' }
    await mustReject(
      provider(unknown).apply({ epoch: 1, prefixes: [V4_1] }),
      ROUTE_TABLE_ERROR_CODES.credentials,
      'AuthFailure.SecretIdNotFound',
    )
    const wrong = { ...GW_A, secretKey: 'not-the-key' }
    const e = await mustReject(
      provider(wrong).apply({ epoch: 1, prefixes: [V4_1] }),
      ROUTE_TABLE_ERROR_CODES.credentials,
      'AuthFailure.SignatureFailure',
    )
    assert.ok(!e.message.includes('not-the-key'))
    assert.deepEqual(server.routes(TABLE), [])
  })
})

describe('tencent route table: settings', () => {
  const base = { region: REGION, routeTableIds: [TABLE], instanceId: GW_A.ip, vpcId: VPC }
  const cases: [string, object, RegExp][] = [
    ['an instance id instead of the private IPv4', { instanceId: 'ins-abc123' }, /private IPv4 address/],
    ['no route table', { routeTableIds: [] }, /routeTableIds is empty/],
    ['a malformed route table id', { routeTableIds: ['table-1'] }, /not like rtb-/],
    ['an empty region', { region: '' }, /region/],
    [
      'an endpoint the SDK would sign for the wrong service',
      { endpoint: 'http://127.0.0.1:9' },
      /first label is "vpc"/,
    ],
    ['an AWS-only ENI', { networkInterfaceId: 'eni-1' }, /AWS only/],
  ]
  for (const [what, change, message] of cases) {
    test(`config: ${what}`, () => {
      assert.throws(
        () => createTencentRouteTable({ ...base, ...change }),
        (e: any) => e.code === ROUTE_TABLE_ERROR_CODES.config && message.test(e.message),
      )
    })
  }

  test('a valid endpoint host (internal API domain) and release() are accepted', async () => {
    const p = createTencentRouteTable({ ...base, endpoint: 'vpc.internal.tencentcloudapi.com' })
    assert.equal(p.kind, 'tencent')
    await p.release()
  })
})
