import { test, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { WireErrorCode } from '@vpcmesh/protocol'
import { FakeController } from '../src/testing/index.js'
import { LIST_HA, OFFICE, OFFICE_DRAINED, errorBody } from './fixtures.js'
import { assertFailure, run, TOKEN } from './harness.js'

const GW_A = 'gw_0a1b2c3d4e5f'
const GW_B = 'gw_bbbbbbbbbbbb'
const DRAIN_A = `POST /v1/vpcs/${OFFICE.id}/gateways/${GW_A}/drain`

let ctl: FakeController
before(async () => {
  ctl = await FakeController.start()
})
after(async () => {
  await ctl.close()
})
beforeEach(() => {
  ctl.requests.length = 0
  ctl.on('GET /v1/vpcs', { status: 200, body: LIST_HA })
  ctl.on(`GET /v1/vpcs/${OFFICE.id}`, { status: 200, body: { vpc: OFFICE } })
  ctl.on(DRAIN_A, { status: 200, body: { vpc: OFFICE_DRAINED } })
})

async function cli(...argv: string[]): ReturnType<typeof run> {
  return await run(argv, { controller: ctl.url })
}

/** `METHOD /path` of every request so far. */
function sent(): string[] {
  return ctl.requests.map((q) => `${q.method} ${q.url}`)
}

test('gateway drain resolves VPC and gateway names, posts {} and prints the new active gateway', async () => {
  const r = await cli('gateway', 'drain', 'office', 'gw-a')
  assert.equal(r.code, 0, r.stderr)
  assert.deepEqual(sent(), ['GET /v1/vpcs', DRAIN_A])
  const post = ctl.requests.at(-1)
  assert.equal(post?.headers.authorization, `Bearer ${TOKEN}`)
  // {} rather than no body: the controller answers a body-less POST with 400 VPCMESH_ERR_VALIDATION.
  assert.equal(post?.headers['content-type'], 'application/json')
  assert.deepEqual(post?.body, {})
  const lines = r.stdout.trimEnd().split('\n')
  assert.equal(lines[0], `drained gateway gw-a (${GW_A}) of vpc office (${OFFICE.id})`)
  assert.equal(lines[1], `active gateway now gw-b (${GW_B}), epoch 5, since 2025-06-02T12:00:10.000Z`)
  assert.equal(lines[2], '')
  assert.match(lines[3] ?? '', /^ {2}GATEWAY +ID +ENDPOINT +ROLE +EPOCH +SINCE +REASON$/)
  assert.match(lines[4] ?? '', /^ {2}gw-a +gw_0a1b2c3d4e5f +198\.51\.100\.10:51820 +drained$/)
  assert.match(lines[5] ?? '', /^ {2}gw-b +gw_bbbbbbbbbbbb +- +active +5 +2025-06-02T12:00:10\.000Z +drain$/)
  assert.equal(lines.length, 6)
})

test('gateway drain --to sends {to} as a gateway id, whether given by name or id', async () => {
  for (const to of ['gw-b', GW_B]) {
    ctl.requests.length = 0
    const r = await cli('gateway', 'drain', 'office', 'gw-a', '--to', to)
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(sent(), ['GET /v1/vpcs', DRAIN_A], to)
    assert.equal(ctl.requests.at(-1)?.headers['content-type'], 'application/json')
    assert.deepEqual(ctl.requests.at(-1)?.body, { to: GW_B }, to)
  }
})

test('gateway drain reads the VPC by id when a gateway is named, and not at all when all are ids', async () => {
  assert.equal((await cli('gateway', 'drain', OFFICE.id, 'gw-a')).code, 0)
  assert.deepEqual(sent(), [`GET /v1/vpcs/${OFFICE.id}`, DRAIN_A])
  ctl.requests.length = 0
  assert.equal((await cli('gateway', 'drain', OFFICE.id, GW_A, '--to', GW_B)).code, 0)
  assert.deepEqual(sent(), [DRAIN_A])
  assert.deepEqual(ctl.requests.at(-1)?.body, { to: GW_B })
  ctl.requests.length = 0
  assert.equal((await cli('gateway', 'drain', 'office', GW_A)).code, 0)
  assert.deepEqual(sent(), ['GET /v1/vpcs', DRAIN_A])
})

test('gateway drain --json prints the API answer', async () => {
  const r = await cli('gateway', 'drain', 'office', 'gw-a', '--json')
  assert.equal(r.code, 0, r.stderr)
  assert.deepEqual(JSON.parse(r.stdout), { vpc: OFFICE_DRAINED })
})

test("an unknown gateway name exits 1 naming the VPC's gateways, and sends no drain", async () => {
  assertFailure(
    await cli('gateway', 'drain', 'office', 'gw-c'),
    1,
    /^vpcmesh: VPCMESH_ERR_GATEWAY_NOT_FOUND: gateway gw-c not found in vpc office; its gateways: gw-a \(gw_0a1b2c3d4e5f\), gw-b \(gw_bbbbbbbbbbbb\)\n$/,
  )
  assertFailure(
    await cli('gateway', 'drain', 'office', 'gw-a', '--to', 'gw-c'),
    1,
    /gateway gw-c not found in vpc office/,
  )
  assertFailure(
    await cli('gateway', 'drain', 'aws-prod', 'gw-a'),
    1,
    /^vpcmesh: VPCMESH_ERR_GATEWAY_NOT_FOUND: gateway gw-a not found in vpc aws-prod; it has no gateways yet\n$/,
  )
  assert.deepEqual(sent(), ['GET /v1/vpcs', 'GET /v1/vpcs', 'GET /v1/vpcs'])
})

test('an unknown VPC name exits 1 with "vpc NAME not found"', async () => {
  assertFailure(
    await cli('gateway', 'drain', 'nope', GW_A),
    1,
    /^vpcmesh: VPCMESH_ERR_VPC_NOT_FOUND: vpc nope not found\n$/,
  )
  assertFailure(await cli('gateway', 'drain', 'nope', 'gw-a'), 1, /vpc nope not found/)
  assert.deepEqual(sent(), ['GET /v1/vpcs', 'GET /v1/vpcs'])
})

test('--to naming the drained gateway by another spelling is a usage error after the lookup', async () => {
  assertFailure(
    await cli('gateway', 'drain', 'office', GW_A, '--to', 'gw-a'),
    2,
    /--to gw-a is the gateway being drained/,
  )
  assert.deepEqual(sent(), ['GET /v1/vpcs'])
})

test('controller refusals exit 1 with their code and message', async () => {
  const cases: Array<[number, string, string]> = [
    [409, WireErrorCode.gatewayNotActive, 'gateway gw_0a1b2c3d4e5f of VPC "office" is not the active one'],
    [409, WireErrorCode.noStandby, 'VPC "office" has no other connected, undrained gateway to take the active role'],
    [404, WireErrorCode.gatewayNotFound, 'VPC "office" has no gateway gw_0a1b2c3d4e5f'],
    [404, WireErrorCode.vpcNotFound, 'vpc vpc_0ff1ce0ff1ce not found'],
  ]
  for (const [status, code, message] of cases) {
    ctl.on(DRAIN_A, { status, body: errorBody(code, message, code === WireErrorCode.noStandby) })
    const r = await cli('gateway', 'drain', OFFICE.id, GW_A)
    assert.equal(r.code, 1, code)
    assert.equal(r.stdout, '', code)
    assert.equal(r.stderr, `vpcmesh: ${code}: ${message}\n`)
  }
})

test('an answer without an active gateway says so', async () => {
  ctl.on(DRAIN_A, { status: 200, body: { vpc: { ...OFFICE_DRAINED, active: null } } })
  const r = await cli('gateway', 'drain', OFFICE.id, GW_A)
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /^no gateway is active now$/m)
})
