/**
 * The `aliyun` route-table provider against a local fake of the Alibaba Cloud VPC API
 * (`test/cloud/aliyun-api-server.ts`): the real SDK signs, serialises, parses and retries; the fake
 * checks the signature and records every request, so each test asserts the exact call sequence.
 */
import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, test } from 'node:test'
import { createAliyunRouteTable } from '../src/route-table/aliyun.js'
import {
  type CloudRouteTableSettings,
  ROUTE_TABLE_ERROR_CODES,
  type RouteTableError,
  type RouteTableProvider,
} from '../src/route-table/provider.js'
import {
  type AliyunApiServer,
  type RecordedRequest,
  THROTTLED,
  WRITE_ACTIONS,
  startAliyunApiServer,
} from './cloud/aliyun-api-server.js'

const VPC = 'mesh-vpc-1'
const TABLE = 'vtb-main'
const TAG = `vpcmesh:${VPC}:epoch`
const V4 = '10.1.0.0/16'
const V6 = 'fd00:1::/48'
const KEY_A = { accessKeyId: 'LTAIgatewayA', accessKeySecret: 'secret-a' }
const KEY_B = { accessKeyId: 'LTAIgatewayB', accessKeySecret: 'secret-b', securityToken: 'sts-token-b' }
const RETRY = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 }

let api: AliyunApiServer

before(async () => {
  api = await startAliyunApiServer()
})
after(async () => {
  await api.close()
})
beforeEach(() => {
  api.reset()
  api.addAccessKey(KEY_A.accessKeyId, KEY_A.accessKeySecret)
  api.addAccessKey(KEY_B.accessKeyId, KEY_B.accessKeySecret)
  api.addTable(TABLE)
})

function settings(over: Partial<CloudRouteTableSettings> = {}): CloudRouteTableSettings {
  return {
    region: 'cn-hangzhou',
    routeTableIds: [TABLE],
    instanceId: 'i-gwa',
    vpcId: VPC,
    endpoint: `http://${api.endpoint}`,
    ...over,
  }
}

function gatewayA(over: Partial<CloudRouteTableSettings> = {}): RouteTableProvider {
  return createAliyunRouteTable(settings(over), { accessKey: KEY_A, retry: RETRY })
}

function gatewayB(): RouteTableProvider {
  return createAliyunRouteTable(settings({ instanceId: 'i-gwb' }), { accessKey: KEY_B, retry: RETRY })
}

/** One request as `Action key params`, with ` !Code` when it was refused. */
function show(r: RecordedRequest): string {
  const p = r.params
  const key: Record<string, string> = {
    DescribeRouteTableList: `${p.RouteTableId}`,
    DescribeRouteEntryList: `${p.RouteTableId}${p.NextToken ? ` next=${p.NextToken}` : ''}`,
    CreateRouteEntry: `${p.RouteTableId} ${p.DestinationCidrBlock} ${p.NextHopType}:${p.NextHopId} "${p.Description}"`,
    ModifyRouteEntry: `${p.RouteEntryId} ${p.NewNextHopType}:${p.NewNextHopId} "${p.Description}"`,
    DeleteRouteEntry: `${p.RouteTableId} ${p.RouteEntryId}`,
    TagResources: `${p.ResourceType} ${p['ResourceId.1']} ${p['Tag.1.Key']}=${p['Tag.1.Value']}`,
    UnTagResources: `${p.ResourceType} ${p['ResourceId.1']} ${p['TagKey.1']}`,
  }
  const retry = r.retryAttempt > 0 ? ` (retry ${r.retryAttempt})` : ''
  return `${r.action} ${key[r.action] ?? JSON.stringify(p)}${retry}${r.code ? ` !${r.code}` : ''}`
}

/** The requests since the last call, shown, and forgets them. */
function calls(): string[] {
  const out = api.requests.map(show)
  api.requests.length = 0
  return out
}

function writes(): RecordedRequest[] {
  return api.requests.filter((r) => WRITE_ACTIONS.has(r.action))
}

async function rejects(p: Promise<unknown>, code: string): Promise<RouteTableError> {
  try {
    await p
  } catch (e) {
    assert.equal((e as RouteTableError).code, code, String(e))
    return e as RouteTableError
  }
  assert.fail(`expected ${code}`)
}

const READS = [`DescribeRouteTableList ${TABLE}`, `DescribeRouteEntryList ${TABLE}`]
const desc = (epoch: number): string => `"vpcmesh ${VPC} epoch ${epoch}"`

describe('aliyun route-table provider', () => {
  test('create: a fresh table gets the epoch tag, then an IPv4 and an IPv6 route to this instance', async () => {
    const report = await gatewayA().apply({ epoch: 1, prefixes: [V4, V6] })
    assert.deepEqual(report, { created: [V4, V6], replaced: [], deleted: [], conflicts: [] })
    assert.deepEqual(calls(), [
      ...READS,
      `TagResources ROUTETABLE ${TABLE} ${TAG}=1`,
      `CreateRouteEntry ${TABLE} ${V4} Instance:i-gwa ${desc(1)}`,
      `CreateRouteEntry ${TABLE} ${V6} Instance:i-gwa ${desc(1)}`,
    ])
    assert.deepEqual(api.routes(TABLE), [
      `${V4} -> i-gwa (vpcmesh ${VPC} epoch 1)`,
      `${V6} -> i-gwa (vpcmesh ${VPC} epoch 1)`,
    ])
  })

  test('every request is signed, names the region, and creates carry a client token', async () => {
    await gatewayA().apply({ epoch: 1, prefixes: [V4] })
    for (const r of api.requests) {
      assert.equal(r.accessKeyId, KEY_A.accessKeyId)
      assert.equal(r.params.RegionId, 'cn-hangzhou')
    }
    const create = api.requests.find((r) => r.action === 'CreateRouteEntry')
    assert.match(create?.params.ClientToken ?? '', /^[0-9a-f-]{36}$/)
    assert.equal(create?.params.RouteEntryName, 'vpcmesh')
  })

  test('idempotent: the same apply again makes only the two reads', async () => {
    const gw = gatewayA()
    await gw.apply({ epoch: 1, prefixes: [V4, V6] })
    calls()
    const report = await gw.apply({ epoch: 1, prefixes: [V6, V4] })
    assert.deepEqual(report, { created: [], replaced: [], deleted: [], conflicts: [] })
    assert.deepEqual(calls(), READS)
    // A new lease for the same gateway: only the epoch tag moves.
    assert.deepEqual(await gw.apply({ epoch: 2, prefixes: [V4, V6] }), report)
    assert.deepEqual(calls(), [...READS, `TagResources ROUTETABLE ${TABLE} ${TAG}=2`])
  })

  test('failover: epoch 2 re-points our routes in place; the deposed epoch-1 gateway is fenced with no write', async () => {
    const a = gatewayA()
    await a.apply({ epoch: 1, prefixes: [V4, V6] })
    calls()
    const report = await gatewayB().apply({ epoch: 2, prefixes: [V4, V6] })
    assert.deepEqual(report, { created: [], replaced: [V4, V6], deleted: [], conflicts: [] })
    assert.ok(
      api.requests.every((r) => r.accessKeyId === KEY_B.accessKeyId && r.securityToken === KEY_B.securityToken),
      'STS token sent',
    )
    assert.deepEqual(calls(), [
      ...READS,
      `TagResources ROUTETABLE ${TABLE} ${TAG}=2`,
      `ModifyRouteEntry rte-0002 Instance:i-gwb ${desc(2)}`,
      `ModifyRouteEntry rte-0003 Instance:i-gwb ${desc(2)}`,
    ])
    const fenced = await rejects(a.apply({ epoch: 1, prefixes: [V4, V6] }), ROUTE_TABLE_ERROR_CODES.fenced)
    assert.match(fenced.message, /epoch 2/)
    assert.equal(fenced.retryable, false)
    assert.deepEqual(calls(), READS)
    await rejects(a.removeAll(1), ROUTE_TABLE_ERROR_CODES.fenced)
    assert.deepEqual(calls(), READS)
    // The entries' descriptions fence too, should someone delete the tag.
    api.tables.get(TABLE)?.tags.clear()
    await rejects(a.apply({ epoch: 1, prefixes: [V4] }), ROUTE_TABLE_ERROR_CODES.fenced)
    assert.deepEqual(writes(), [])
    assert.deepEqual(api.routes(TABLE), [
      `${V4} -> i-gwb (vpcmesh ${VPC} epoch 2)`,
      `${V6} -> i-gwb (vpcmesh ${VPC} epoch 2)`,
    ])
  })

  test('prefix change: only our route for the removed prefix is deleted', async () => {
    const gw = gatewayA()
    await gw.apply({ epoch: 1, prefixes: [V4, V6] })
    calls()
    const report = await gw.apply({ epoch: 1, prefixes: [V4] })
    assert.deepEqual(report, { created: [], replaced: [], deleted: [V6], conflicts: [] })
    assert.deepEqual(calls(), [...READS, `DeleteRouteEntry ${TABLE} rte-0003`])
    assert.deepEqual(api.routes(TABLE), [`${V4} -> i-gwa (vpcmesh ${VPC} epoch 1)`])
  })

  test('foreign routes: the operator’s route and a system route are left alone and reported; the rest applied', async () => {
    api.maxPage = 2
    api.addEntry(TABLE, '10.2.0.0/16', 'i-operator', 'manual', 'added by hand')
    api.addEntry(TABLE, '10.3.0.0/16', 'i-other', 'vpcmesh', 'vpcmesh another-vpc epoch 9')
    const report = await gatewayA().apply({ epoch: 1, prefixes: [V4, '10.2.0.0/16', '192.168.0.0/24', '10.3.0.0/16'] })
    assert.deepEqual(report, {
      created: [V4],
      replaced: [],
      deleted: [],
      conflicts: ['10.2.0.0/16', '192.168.0.0/24', '10.3.0.0/16'],
    })
    assert.deepEqual(calls(), [
      ...READS,
      `DescribeRouteEntryList ${TABLE} next=2`,
      `TagResources ROUTETABLE ${TABLE} ${TAG}=1`,
      `CreateRouteEntry ${TABLE} ${V4} Instance:i-gwa ${desc(1)}`,
    ])
    assert.deepEqual(api.routes(TABLE), [
      `${V4} -> i-gwa (vpcmesh ${VPC} epoch 1)`,
      '10.2.0.0/16 -> i-operator (added by hand)',
      '10.3.0.0/16 -> i-other (vpcmesh another-vpc epoch 9)',
    ])
  })

  test('VPC delete: removeAll deletes our routes and the epoch tag, leaves the foreign route; again: reads only', async () => {
    const gw = gatewayA()
    api.addEntry(TABLE, '10.2.0.0/16', 'i-operator')
    await gw.apply({ epoch: 3, prefixes: [V4, V6] })
    calls()
    const report = await gw.removeAll(3)
    assert.deepEqual(report, { created: [], replaced: [], deleted: [V4, V6], conflicts: [] })
    assert.deepEqual(calls(), [
      ...READS,
      `DeleteRouteEntry ${TABLE} rte-0003`,
      `DeleteRouteEntry ${TABLE} rte-0004`,
      `UnTagResources ROUTETABLE ${TABLE} ${TAG}`,
    ])
    assert.deepEqual(api.routes(TABLE), ['10.2.0.0/16 -> i-operator ()'])
    assert.equal(api.tables.get(TABLE)?.tags.size, 0)
    assert.deepEqual(await gw.removeAll(3), { created: [], replaced: [], deleted: [], conflicts: [] })
    assert.deepEqual(calls(), READS)
  })

  test('several tables: all are read and fence-checked before the first write', async () => {
    api.addTable('vtb-second').tags.set(TAG, '5')
    const gw = gatewayA({ routeTableIds: [TABLE, 'vtb-second'] })
    await rejects(gw.apply({ epoch: 4, prefixes: [V4] }), ROUTE_TABLE_ERROR_CODES.fenced)
    assert.deepEqual(calls(), [...READS, 'DescribeRouteTableList vtb-second', 'DescribeRouteEntryList vtb-second'])
    const report = await gw.apply({ epoch: 5, prefixes: [V4] })
    assert.deepEqual(report.created, [V4])
    assert.deepEqual(calls().slice(4), [
      `TagResources ROUTETABLE ${TABLE} ${TAG}=5`,
      `CreateRouteEntry ${TABLE} ${V4} Instance:i-gwa ${desc(5)}`,
      `CreateRouteEntry vtb-second ${V4} Instance:i-gwa ${desc(5)}`,
    ])
  })

  test('API errors: a missing table, and a refused write, are `api` with the cloud code and the call', async () => {
    const missing = await rejects(
      gatewayA({ routeTableIds: ['vtb-missing'] }).apply({ epoch: 1, prefixes: [V4] }),
      ROUTE_TABLE_ERROR_CODES.api,
    )
    assert.equal(missing.cloudCode, 'InvalidRouteTableId.NotFound')
    assert.match(missing.message, /DescribeRouteTableList/)
    assert.equal(missing.retryable, true)
    assert.deepEqual(calls(), ['DescribeRouteTableList vtb-missing'])
    api.failNext(1, { status: 400, code: 'QuotaExceeded.RouteEntryNum', action: 'CreateRouteEntry' })
    const quota = await rejects(gatewayA().apply({ epoch: 1, prefixes: [V4] }), ROUTE_TABLE_ERROR_CODES.api)
    assert.equal(quota.cloudCode, 'QuotaExceeded.RouteEntryNum')
    assert.match(quota.message, /^CreateRouteEntry failed: QuotaExceeded\.RouteEntryNum \(HTTP 400\)/)
    assert.deepEqual(calls().slice(2), [
      `TagResources ROUTETABLE ${TABLE} ${TAG}=1`,
      `CreateRouteEntry ${TABLE} ${V4} Instance:i-gwa ${desc(1)} !QuotaExceeded.RouteEntryNum`,
    ])
  })

  test('throttling: the SDK retries twice and the apply succeeds; throttled on every attempt → `throttled`', async () => {
    api.failNext(2, THROTTLED)
    const report = await gatewayA().apply({ epoch: 1, prefixes: [V4] })
    assert.deepEqual(report.created, [V4])
    assert.deepEqual(calls(), [
      `DescribeRouteTableList ${TABLE} !Throttling.User`,
      `DescribeRouteTableList ${TABLE} (retry 1) !Throttling.User`,
      `DescribeRouteTableList ${TABLE} (retry 2)`,
      `DescribeRouteEntryList ${TABLE}`,
      `TagResources ROUTETABLE ${TABLE} ${TAG}=1`,
      `CreateRouteEntry ${TABLE} ${V4} Instance:i-gwa ${desc(1)}`,
    ])
    api.failNext(Number.POSITIVE_INFINITY, { ...THROTTLED, action: 'CreateRouteEntry' })
    const e = await rejects(gatewayA().apply({ epoch: 1, prefixes: [V4, V6] }), ROUTE_TABLE_ERROR_CODES.throttled)
    assert.equal(e.cloudCode, 'Throttling.User')
    assert.equal(e.retryable, true)
    const create = `CreateRouteEntry ${TABLE} ${V6} Instance:i-gwa ${desc(1)}`
    assert.deepEqual(
      calls(),
      [
        ...READS,
        `${create} !Throttling.User`,
        `${create} (retry 1) !Throttling.User`,
        `${create} (retry 2) !Throttling.User`,
      ],
      'maxAttempts: 3 attempts in all',
    )
  })

  test('a transient write conflict (TaskConflict) is retried by the SDK; a network error is `api`, not retried', async () => {
    api.failNext(1, { status: 400, code: 'TaskConflict', action: 'CreateRouteEntry' })
    assert.deepEqual((await gatewayA().apply({ epoch: 1, prefixes: [V4] })).created, [V4])
    const create = `CreateRouteEntry ${TABLE} ${V4} Instance:i-gwa ${desc(1)}`
    assert.deepEqual(calls().slice(3), [`${create} !TaskConflict`, `${create} (retry 1)`])
    const closed = createAliyunRouteTable(settings({ endpoint: 'http://127.0.0.1:1' }), {
      accessKey: KEY_A,
      retry: RETRY,
    })
    const e = await rejects(closed.apply({ epoch: 1, prefixes: [V4] }), ROUTE_TABLE_ERROR_CODES.api)
    assert.equal(e.cloudCode, 'ECONNREFUSED')
    assert.match(e.message, /^DescribeRouteTableList failed: ECONNREFUSED/)
  })

  test('an empty claim still records the epoch (the fence) and deletes our routes', async () => {
    const gw = gatewayA()
    await gw.apply({ epoch: 1, prefixes: [V4] })
    calls()
    assert.deepEqual(await gw.apply({ epoch: 2, prefixes: [] }), {
      created: [],
      replaced: [],
      deleted: [V4],
      conflicts: [],
    })
    assert.deepEqual(calls(), [
      ...READS,
      `TagResources ROUTETABLE ${TABLE} ${TAG}=2`,
      `DeleteRouteEntry ${TABLE} rte-0002`,
    ])
    await rejects(gatewayB().apply({ epoch: 1, prefixes: [V4] }), ROUTE_TABLE_ERROR_CODES.fenced)
    assert.deepEqual(calls(), READS)
  })

  test('an entry of ours being deleted counts as absent: the claim creates it again', async () => {
    const gw = gatewayA()
    await gw.apply({ epoch: 1, prefixes: [V4] })
    const entry = api.tables.get(TABLE)?.entries.find((e) => e.destination === V4)
    assert.ok(entry)
    entry.status = 'Deleting'
    calls()
    const e = await rejects(gw.apply({ epoch: 1, prefixes: [V4] }), ROUTE_TABLE_ERROR_CODES.api)
    assert.equal(e.cloudCode, 'InvalidCIDRBlock.Duplicate')
    assert.deepEqual(calls(), [
      ...READS,
      `CreateRouteEntry ${TABLE} ${V4} Instance:i-gwa ${desc(1)} !InvalidCIDRBlock.Duplicate`,
    ])
    const table = api.tables.get(TABLE)
    assert.ok(table)
    table.entries = table.entries.filter((x) => x !== entry)
    assert.deepEqual((await gw.apply({ epoch: 1, prefixes: [V4] })).created, [V4], 'once the deletion finished')
  })

  test('retries of one create reuse its client token', async () => {
    api.failNext(2, { ...THROTTLED, action: 'CreateRouteEntry' })
    await gatewayA().apply({ epoch: 1, prefixes: [V4] })
    const tokens = api.requests.filter((r) => r.action === 'CreateRouteEntry').map((r) => r.params.ClientToken)
    assert.equal(tokens.length, 3)
    assert.equal(new Set(tokens).size, 1)
  })

  test('credentials: an expired STS token, an unknown key and a wrong secret are `credentials`, with no write', async () => {
    api.expireAccessKey(KEY_B.accessKeyId)
    const expired = await rejects(gatewayB().apply({ epoch: 1, prefixes: [V4] }), ROUTE_TABLE_ERROR_CODES.credentials)
    assert.equal(expired.cloudCode, 'InvalidSecurityToken.Expired')
    assert.equal(expired.retryable, false)
    assert.deepEqual(calls(), [`DescribeRouteTableList ${TABLE} !InvalidSecurityToken.Expired`], 'not retried')
    const unknown = createAliyunRouteTable(settings(), {
      accessKey: { accessKeyId: 'LTAInobody', accessKeySecret: 'x' },
    })
    assert.equal(
      (await rejects(unknown.apply({ epoch: 1, prefixes: [V4] }), ROUTE_TABLE_ERROR_CODES.credentials)).cloudCode,
      'InvalidAccessKeyId.NotFound',
    )
    const wrong = createAliyunRouteTable(settings(), { accessKey: { ...KEY_A, accessKeySecret: 'not-the-secret' } })
    const bad = await rejects(wrong.removeAll(1), ROUTE_TABLE_ERROR_CODES.credentials)
    assert.equal(bad.cloudCode, 'SignatureDoesNotMatch')
    assert.ok(!bad.message.includes('not-the-secret'), 'no secret in the message')
    const none = createAliyunRouteTable(settings())
    assert.equal(
      (await rejects(none.apply({ epoch: 1, prefixes: [V4] }), ROUTE_TABLE_ERROR_CODES.credentials)).cloudCode,
      'InvalidCredentials',
    )
    assert.deepEqual(writes(), [])
  })

  test('config: bad settings are refused by the factory, a bad claim before any call', async () => {
    const bad: Partial<CloudRouteTableSettings>[] = [
      { region: '' },
      { routeTableIds: [] },
      { routeTableIds: ['rtb-aws'] },
      { instanceId: '' },
      { vpcId: 'has space' },
      { endpoint: 'ftp://x' },
      { networkInterfaceId: 'i-nope' },
    ]
    for (const over of bad) {
      assert.throws(
        () => gatewayA(over),
        (e: RouteTableError) => e.code === ROUTE_TABLE_ERROR_CODES.config,
        JSON.stringify(over),
      )
    }
    await rejects(gatewayA().apply({ epoch: 0, prefixes: [V4] }), ROUTE_TABLE_ERROR_CODES.config)
    await rejects(gatewayA().apply({ epoch: 1, prefixes: ['10.1.0.1/16'] }), ROUTE_TABLE_ERROR_CODES.config)
    assert.deepEqual(api.requests, [])
  })

  test('an ENI next hop: routes point at the NetworkInterface when networkInterfaceId is set', async () => {
    await gatewayA({ networkInterfaceId: 'eni-gwa' }).apply({ epoch: 1, prefixes: [V4] })
    assert.deepEqual(calls().slice(3), [`CreateRouteEntry ${TABLE} ${V4} NetworkInterface:eni-gwa ${desc(1)}`])
  })

  test('release is a no-op', async () => {
    await gatewayA().release()
    assert.deepEqual(api.requests, [])
  })
})
