import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, test } from 'node:test'
import { type AwsRouteTableOptions, createAwsRouteTable } from '../src/route-table/aws.js'
import {
  type CloudRouteTableSettings,
  ROUTE_TABLE_ERROR_CODES,
  type RouteTableError,
  type RouteTableProvider,
} from '../src/route-table/provider.js'
import { type AwsApiServer, startAwsApiServer } from './cloud/aws-api-server.js'

// The real @aws-sdk/client-ec2 (signing, Query serialisation, XML parsing, standard retries)
// against the fake EC2 endpoint of cloud/aws-api-server.ts.

const VPC = 'vpc_000000000001'
const RTB = 'rtb-0a1'
const KEY = { accessKeyId: 'AKIDVPCMESHTEST', secretAccessKey: 'fake-secret-for-tests-only' }
const EXPIRED = { accessKeyId: 'AKIDVPCMESHEXPIRED', secretAccessKey: 'fake-expired-secret', sessionToken: 'tok' }
const V4 = '10.2.0.0/16'
const V6 = '2001:db8:2::/48'
const EPOCH_TAG = `vpcmesh:${VPC}:epoch`
const ROUTES_TAG = `vpcmesh:${VPC}:routes:0`

let api: AwsApiServer

function provider(
  over: Partial<CloudRouteTableSettings> = {},
  credentials = KEY,
  opts: AwsRouteTableOptions = {},
): RouteTableProvider {
  const settings: CloudRouteTableSettings = {
    region: 'eu-west-1',
    routeTableIds: [RTB],
    instanceId: 'i-0aaa',
    endpoint: api.url,
    vpcId: VPC,
    ...over,
  }
  return createAwsRouteTable(settings, { credentials, maxAttempts: 3, ...opts })
}

/** Runs `fn` with a fresh call log; returns the summaries of the requests it made. */
async function mustCalls(fn: () => Promise<unknown>): Promise<string[]> {
  api.clearCalls()
  await fn()
  return api.summaries()
}

/** Runs `fn`, expects it to throw a RouteTableError; returns it and the requests made. */
async function mustFail(fn: () => Promise<unknown>): Promise<{ err: RouteTableError; calls: string[] }> {
  api.clearCalls()
  try {
    await fn()
  } catch (e) {
    return { err: e as RouteTableError, calls: api.summaries() }
  }
  assert.fail('expected a RouteTableError')
}

before(async () => {
  api = await startAwsApiServer()
  api.addCredentials(KEY.accessKeyId, KEY.secretAccessKey)
  api.addCredentials(EXPIRED.accessKeyId, EXPIRED.secretAccessKey)
  api.expire(EXPIRED.accessKeyId, 'RequestExpired')
})

after(async () => {
  await api.close()
})

beforeEach(() => {
  api.reset()
  api.addTable(RTB)
  api.addInstance('i-0aaa', 'eni-0aaa', true)
  api.addInstance('i-0bbb', 'eni-0bbb', false)
})

describe('aws route table: apply', () => {
  test('create: fresh table, epoch 1, an IPv4 and an IPv6 prefix', async () => {
    const gw = provider()
    let report: unknown
    const calls = await mustCalls(async () => {
      report = await gw.apply({ epoch: 1, prefixes: [V6, V4] })
    })
    assert.deepEqual(calls, [
      `DescribeRouteTables ${RTB}`,
      'DescribeInstanceAttribute i-0aaa sourceDestCheck',
      'ModifyInstanceAttribute i-0aaa SourceDestCheck=false',
      `CreateTags ${RTB} ${EPOCH_TAG}=1 ${ROUTES_TAG}=${V4},${V6}`,
      `CreateRoute ${RTB} ${V4} -> i-0aaa`,
      `CreateRoute ${RTB} ${V6} -> i-0aaa`,
    ])
    assert.deepEqual(report, { created: [V4, V6], replaced: [], deleted: [], conflicts: [] })
    assert.equal(api.enis.get('eni-0aaa')?.sourceDestCheck, false)
    assert.deepEqual(api.routeLines(RTB), [
      '10.0.0.0/16 -> local',
      `${V4} -> eni-0aaa`,
      `${V6} -> eni-0aaa`,
      '2600:1f18:aa00:100::/56 -> local',
    ])
    assert.equal(api.tables.get(RTB)?.tags.get('Name'), 'main')
  })

  test('idempotent: the same apply again only reads', async () => {
    const gw = provider()
    await gw.apply({ epoch: 1, prefixes: [V4, V6] })
    let report: unknown
    const calls = await mustCalls(async () => {
      report = await gw.apply({ epoch: 1, prefixes: [V6, V4, V4] })
    })
    assert.deepEqual(calls, [`DescribeRouteTables ${RTB}`, 'DescribeInstanceAttribute i-0aaa sourceDestCheck'])
    assert.deepEqual(report, { created: [], replaced: [], deleted: [], conflicts: [] })
  })

  test('failover: epoch 2 on another gateway replaces; the deposed epoch 1 is fenced and writes nothing', async () => {
    const first = provider()
    const second = provider({ instanceId: 'i-0bbb' })
    await first.apply({ epoch: 1, prefixes: [V4, V6] })
    let report: unknown
    const calls = await mustCalls(async () => {
      report = await second.apply({ epoch: 2, prefixes: [V4, V6] })
    })
    assert.deepEqual(calls, [
      `DescribeRouteTables ${RTB}`,
      'DescribeInstanceAttribute i-0bbb sourceDestCheck',
      `CreateTags ${RTB} ${EPOCH_TAG}=2`,
      `ReplaceRoute ${RTB} ${V4} -> i-0bbb`,
      `ReplaceRoute ${RTB} ${V6} -> i-0bbb`,
    ])
    assert.deepEqual(report, { created: [], replaced: [V4, V6], deleted: [], conflicts: [] })

    const { err, calls: fencedCalls } = await mustFail(() => first.apply({ epoch: 1, prefixes: [V4] }))
    assert.equal(err.code, ROUTE_TABLE_ERROR_CODES.fenced)
    assert.equal(err.retryable, false)
    assert.deepEqual(fencedCalls, [`DescribeRouteTables ${RTB}`])
    assert.deepEqual(api.writes(), [])
    assert.ok(api.routeLines(RTB).includes(`${V4} -> eni-0bbb`))
  })

  test('prefix change: a prefix no longer listed loses only its route', async () => {
    const gw = provider()
    await gw.apply({ epoch: 1, prefixes: [V4, V6] })
    let report: unknown
    const calls = await mustCalls(async () => {
      report = await gw.apply({ epoch: 1, prefixes: [V4] })
    })
    assert.deepEqual(calls, [
      `DescribeRouteTables ${RTB}`,
      'DescribeInstanceAttribute i-0aaa sourceDestCheck',
      `DeleteRoute ${RTB} ${V6}`,
      `CreateTags ${RTB} ${ROUTES_TAG}=${V4}`,
    ])
    assert.deepEqual(report, { created: [], replaced: [], deleted: [V6], conflicts: [] })
    assert.deepEqual(api.routeLines(RTB), [
      '10.0.0.0/16 -> local',
      `${V4} -> eni-0aaa`,
      '2600:1f18:aa00:100::/56 -> local',
    ])
  })

  test('foreign route: left alone and listed in conflicts; the other prefixes are applied', async () => {
    const table = api.tables.get(RTB)!
    table.routes.push({ dest: '10.3.0.0/16', gatewayId: 'tgw-0ops', origin: 'CreateRoute' })
    const gw = provider()
    let report: unknown
    const calls = await mustCalls(async () => {
      report = await gw.apply({ epoch: 1, prefixes: [V4, '10.3.0.0/16'] })
    })
    assert.deepEqual(calls, [
      `DescribeRouteTables ${RTB}`,
      'DescribeInstanceAttribute i-0aaa sourceDestCheck',
      'ModifyInstanceAttribute i-0aaa SourceDestCheck=false',
      `CreateTags ${RTB} ${EPOCH_TAG}=1 ${ROUTES_TAG}=${V4}`,
      `CreateRoute ${RTB} ${V4} -> i-0aaa`,
    ])
    assert.deepEqual(report, { created: [V4], replaced: [], deleted: [], conflicts: ['10.3.0.0/16'] })
    assert.ok(api.routeLines(RTB).includes('10.3.0.0/16 -> tgw-0ops'))
    // The foreign route is never adopted, not even once our record exists.
    const again = await mustCalls(() => gw.apply({ epoch: 1, prefixes: [V4, '10.3.0.0/16'] }))
    assert.deepEqual(again, [`DescribeRouteTables ${RTB}`, 'DescribeInstanceAttribute i-0aaa sourceDestCheck'])
  })

  test('ENI target, two tables: the ENI is checked and named; a fenced table stops every write', async () => {
    api.addTable('rtb-0b2')
    api.attachEni('i-0aaa', 'eni-0aab', true)
    const gw = provider({ routeTableIds: [RTB, 'rtb-0b2'], networkInterfaceId: 'eni-0aab' })
    const calls = await mustCalls(() => gw.apply({ epoch: 4, prefixes: [V4] }))
    assert.deepEqual(calls, [
      `DescribeRouteTables ${RTB},rtb-0b2`,
      'DescribeNetworkInterfaceAttribute eni-0aab sourceDestCheck',
      'ModifyNetworkInterfaceAttribute eni-0aab SourceDestCheck=false',
      `CreateTags ${RTB} ${EPOCH_TAG}=4 ${ROUTES_TAG}=${V4}`,
      `CreateRoute ${RTB} ${V4} -> eni-0aab`,
      `CreateTags rtb-0b2 ${EPOCH_TAG}=4 ${ROUTES_TAG}=${V4}`,
      `CreateRoute rtb-0b2 ${V4} -> eni-0aab`,
    ])
    assert.equal(api.enis.get('eni-0aab')?.sourceDestCheck, false)
    assert.equal(api.enis.get('eni-0aaa')?.sourceDestCheck, true)
    api.tables.get('rtb-0b2')!.tags.set(EPOCH_TAG, '5')
    const { err, calls: fenced } = await mustFail(() => gw.apply({ epoch: 4, prefixes: [V4, V6] }))
    assert.equal(err.code, ROUTE_TABLE_ERROR_CODES.fenced)
    assert.deepEqual(fenced, [`DescribeRouteTables ${RTB},rtb-0b2`])
  })
})

describe('aws route table: the ownership record', () => {
  test('many prefixes span several tags of at most 256 characters; shrinking deletes the spare tags', async () => {
    const many = Array.from({ length: 24 }, (_, i) => `2001:db8:${(0x1000 + i).toString(16)}::/48`).sort()
    const gw = provider()
    await gw.apply({ epoch: 1, prefixes: many })
    const tags = api.tables.get(RTB)!.tags
    const routeTags = [...tags].filter(([k]) => k.startsWith(`vpcmesh:${VPC}:routes:`))
    assert.ok(routeTags.length >= 2, `expected several route tags, got ${routeTags.length}`)
    assert.ok(routeTags.every(([, v]) => v.length <= 256))
    assert.deepEqual(routeTags.flatMap(([, v]) => v.split(',')).sort(), many)
    const spare = routeTags.slice(1).map(([k]) => k)
    const calls = await mustCalls(() => gw.apply({ epoch: 1, prefixes: [many[0]!] }))
    assert.deepEqual(calls, [
      `DescribeRouteTables ${RTB}`,
      'DescribeInstanceAttribute i-0aaa sourceDestCheck',
      ...many.slice(1).map((p) => `DeleteRoute ${RTB} ${p}`),
      `CreateTags ${RTB} ${ROUTES_TAG}=${many[0]}`,
      `DeleteTags ${RTB} ${spare.join(' ')}`,
    ])
  })

  test('a record of another mesh VPC on the same table is neither read as ours nor rewritten', async () => {
    const other = `vpcmesh:vpc_000000000002:`
    api.tables.get(RTB)!.tags.set(`${other}epoch`, '9')
    api.tables.get(RTB)!.tags.set(`${other}routes:0`, V6)
    api.tables
      .get(RTB)!
      .routes.push({ dest: V6, instanceId: 'i-0bbb', networkInterfaceId: 'eni-0bbb', origin: 'CreateRoute' })
    const report = await provider().apply({ epoch: 1, prefixes: [V4, V6] })
    assert.deepEqual(report.conflicts, [V6])
    assert.equal(api.tables.get(RTB)!.tags.get(`${other}epoch`), '9')
    assert.ok(api.routeLines(RTB).includes(`${V6} -> eni-0bbb`))
  })
})

describe('aws route table: removeAll', () => {
  test('VPC delete: our routes deleted, the foreign one untouched, our tags cleared', async () => {
    api.tables.get(RTB)!.routes.push({ dest: '10.3.0.0/16', gatewayId: 'tgw-0ops', origin: 'CreateRoute' })
    const gw = provider()
    await gw.apply({ epoch: 3, prefixes: [V4, V6, '10.3.0.0/16'] })
    let report: unknown
    const calls = await mustCalls(async () => {
      report = await gw.removeAll(3)
    })
    assert.deepEqual(calls, [
      `DescribeRouteTables ${RTB}`,
      `DeleteRoute ${RTB} ${V4}`,
      `DeleteRoute ${RTB} ${V6}`,
      `DeleteTags ${RTB} ${EPOCH_TAG} ${ROUTES_TAG}`,
    ])
    assert.deepEqual(report, { created: [], replaced: [], deleted: [V4, V6], conflicts: [] })
    assert.deepEqual(api.routeLines(RTB), [
      '10.0.0.0/16 -> local',
      '10.3.0.0/16 -> tgw-0ops',
      '2600:1f18:aa00:100::/56 -> local',
    ])
    assert.deepEqual([...api.tables.get(RTB)!.tags], [['Name', 'main']])
    assert.deepEqual(await mustCalls(() => gw.removeAll(3)), [`DescribeRouteTables ${RTB}`])
  })

  test('removeAll is fenced like apply', async () => {
    await provider({ instanceId: 'i-0bbb' }).apply({ epoch: 7, prefixes: [V4] })
    const { err, calls } = await mustFail(() => provider().removeAll(6))
    assert.equal(err.code, ROUTE_TABLE_ERROR_CODES.fenced)
    assert.deepEqual(calls, [`DescribeRouteTables ${RTB}`])
  })
})

describe('aws route table: errors', () => {
  test('an unknown route table is an api error naming the cloud code and the call', async () => {
    const { err, calls } = await mustFail(() =>
      provider({ routeTableIds: ['rtb-0missing'] }).apply({ epoch: 1, prefixes: [V4] }),
    )
    assert.equal(err.code, ROUTE_TABLE_ERROR_CODES.api)
    assert.equal(err.cloudCode, 'InvalidRouteTableID.NotFound')
    assert.equal(err.retryable, true)
    assert.match(err.message, /DescribeRouteTables/)
    assert.match(err.message, /InvalidRouteTableID\.NotFound/)
    assert.deepEqual(calls, ['DescribeRouteTables rtb-0missing !InvalidRouteTableID.NotFound'])
  })

  test('a multi-ENI instance without networkInterfaceId: EC2 refuses, an api error', async () => {
    api.attachEni('i-0aaa', 'eni-0aab')
    const { err, calls } = await mustFail(() => provider().apply({ epoch: 1, prefixes: [V4] }))
    assert.equal(err.code, ROUTE_TABLE_ERROR_CODES.api)
    assert.equal(err.cloudCode, 'InvalidInstanceID')
    assert.match(err.message, /DescribeInstanceAttribute.*specify an interface ID/)
    assert.deepEqual(calls, [
      `DescribeRouteTables ${RTB}`,
      'DescribeInstanceAttribute i-0aaa sourceDestCheck !InvalidInstanceID',
    ])
    assert.deepEqual(api.writes(), [])
  })

  test('a refused write is an api error naming the write', async () => {
    api.fail('CreateRoute', 'UnauthorizedOperation', 403)
    const { err, calls } = await mustFail(() => provider().apply({ epoch: 1, prefixes: [V4] }))
    assert.equal(err.code, ROUTE_TABLE_ERROR_CODES.api)
    assert.equal(err.cloudCode, 'UnauthorizedOperation')
    assert.match(err.message, /CreateRoute/)
    assert.equal(calls.at(-1), `CreateRoute ${RTB} ${V4} -> i-0aaa !UnauthorizedOperation`)
  })

  test('throttled twice, then success: the SDK retried and the apply succeeds', async () => {
    api.throttle(2)
    const gw = provider()
    const calls = await mustCalls(() => gw.apply({ epoch: 1, prefixes: [V4] }))
    assert.deepEqual(calls, [
      `DescribeRouteTables ${RTB} !RequestLimitExceeded`,
      `DescribeRouteTables ${RTB} !RequestLimitExceeded`,
      `DescribeRouteTables ${RTB}`,
      'DescribeInstanceAttribute i-0aaa sourceDestCheck',
      'ModifyInstanceAttribute i-0aaa SourceDestCheck=false',
      `CreateTags ${RTB} ${EPOCH_TAG}=1 ${ROUTES_TAG}=${V4}`,
      `CreateRoute ${RTB} ${V4} -> i-0aaa`,
    ])
    assert.equal(api.calls.filter((c) => c.action === 'DescribeRouteTables').length, 3)
    assert.ok(api.routeLines(RTB).includes(`${V4} -> eni-0aaa`))
  })

  test('throttled on every attempt: throttled after the SDK gave up, nothing written', async () => {
    api.throttle(1000, undefined, 'Throttling')
    const { err, calls } = await mustFail(() => provider().apply({ epoch: 1, prefixes: [V4] }))
    assert.equal(err.code, ROUTE_TABLE_ERROR_CODES.throttled)
    assert.equal(err.cloudCode, 'Throttling')
    assert.equal(err.retryable, true)
    assert.deepEqual(calls, Array(3).fill(`DescribeRouteTables ${RTB} !Throttling`))
  })

  test('a call left unanswered times out (per attempt), is retried by the SDK, then is an api error', async () => {
    api.hang(2, 'DescribeRouteTables')
    const gw = provider({}, KEY, { maxAttempts: 2, requestTimeoutMs: 200 })
    const { err, calls } = await mustFail(() => gw.apply({ epoch: 1, prefixes: [V4] }))
    assert.equal(err.code, ROUTE_TABLE_ERROR_CODES.api)
    assert.equal(err.cloudCode, 'TimeoutError')
    assert.deepEqual(calls, Array(2).fill(`DescribeRouteTables ${RTB} !NoAnswer`))
  })

  test('an expired credential is a credentials error, without secrets, and nothing is written', async () => {
    const { err, calls } = await mustFail(() => provider({}, EXPIRED).apply({ epoch: 1, prefixes: [V4] }))
    assert.equal(err.code, ROUTE_TABLE_ERROR_CODES.credentials)
    assert.equal(err.cloudCode, 'RequestExpired')
    assert.equal(err.retryable, false)
    assert.deepEqual(calls, [`DescribeRouteTables ${RTB} !RequestExpired`])
    assert.ok(!err.message.includes(EXPIRED.secretAccessKey) && !err.message.includes(EXPIRED.sessionToken))
  })

  test('an unknown access key (AuthFailure) is a credentials error', async () => {
    const unknown = { accessKeyId: 'AKIDNOBODY', secretAccessKey: 'nobody-secret' }
    const { err } = await mustFail(() => provider({}, unknown).apply({ epoch: 1, prefixes: [V4] }))
    assert.equal(err.code, ROUTE_TABLE_ERROR_CODES.credentials)
    assert.equal(err.cloudCode, 'AuthFailure')
  })

  test('a wrong secret fails the signature check (SignatureDoesNotMatch): a credentials error', async () => {
    const wrong = { accessKeyId: KEY.accessKeyId, secretAccessKey: 'not-the-secret' }
    const { err, calls } = await mustFail(() => provider({}, wrong).apply({ epoch: 1, prefixes: [V4] }))
    assert.equal(err.code, ROUTE_TABLE_ERROR_CODES.credentials)
    assert.equal(err.cloudCode, 'SignatureDoesNotMatch')
    assert.deepEqual(calls, [`DescribeRouteTables ${RTB} !SignatureDoesNotMatch`])
  })

  test('bad settings and claims are config errors, before any call', async () => {
    assert.throws(
      () => provider({ region: '', routeTableIds: [], instanceId: 'x', vpcId: 'a:b' }),
      (e: RouteTableError) =>
        e.code === ROUTE_TABLE_ERROR_CODES.config && /region/.test(e.message) && /routeTableIds/.test(e.message),
    )
    const { err, calls } = await mustFail(() => provider().apply({ epoch: 1, prefixes: ['10.2.0.0/33'] }))
    assert.equal(err.code, ROUTE_TABLE_ERROR_CODES.config)
    assert.deepEqual(calls, [])
  })
})
