import { test, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { WireErrorCode } from '@vpcmesh/protocol'
import { FakeController } from '../src/testing/index.js'
import { AWS, CREATED, FRESH_TOKEN, GCP, JOIN_TOKEN, LIST, LIST_HA, OFFICE, errorBody } from './fixtures.js'
import { assertFailure, run, TOKEN } from './harness.js'

let ctl: FakeController
before(async () => {
  ctl = await FakeController.start()
})
after(async () => {
  await ctl.close()
})
beforeEach(() => {
  ctl.requests.length = 0
  ctl.on('GET /v1/vpcs', { status: 200, body: LIST })
})

async function cli(...argv: string[]): ReturnType<typeof run> {
  return await run(argv, { controller: ctl.url })
}

function lastRequest(): FakeController['requests'][number] {
  const r = ctl.requests.at(-1)
  assert.ok(r !== undefined, 'no request')
  return r
}

test('vpc add posts the body with the admin token and prints the join token and next step', async () => {
  ctl.on('POST /v1/vpcs', { status: 201, body: CREATED })
  const r = await cli(
    'vpc',
    'add',
    'gcp-dev',
    '--cidr',
    '10.1.0.0/16',
    '--cidr',
    '10.2.0.0/16',
    '--endpoint',
    'edge.example.com:51820',
    '--no-masquerade',
  )
  assert.equal(r.code, 0, r.stderr)
  assert.equal(ctl.requests.length, 1)
  const req = lastRequest()
  assert.equal(req.method, 'POST')
  assert.equal(req.url, '/v1/vpcs')
  assert.equal(req.headers.authorization, `Bearer ${TOKEN}`)
  assert.equal(req.headers['content-type'], 'application/json')
  assert.deepEqual(req.body, {
    name: 'gcp-dev',
    cidrs: ['10.1.0.0/16', '10.2.0.0/16'],
    endpoint: 'edge.example.com:51820',
    masquerade: false,
  })
  assert.match(r.stdout, /created vpc gcp-dev \(vpc_abcdefabcdef\)/)
  assert.match(r.stdout, /shown only this once/)
  assert.ok(r.stdout.includes(`vpcmesh agent --controller ${ctl.url} --join-token ${JOIN_TOKEN}`))
  assert.match(r.stdout, /replace http:\/\/127\.0\.0\.1:\d+ with the controller address/)
})

test('vpc add masquerades by default', async () => {
  ctl.on('POST /v1/vpcs', { status: 201, body: CREATED })
  assert.equal((await cli('vpc', 'add', 'gcp-dev', '--cidr', '10.1.0.0/16', '--endpoint', '1.2.3.4:5')).code, 0)
  assert.deepEqual(lastRequest().body, {
    name: 'gcp-dev',
    cidrs: ['10.1.0.0/16'],
    endpoint: '1.2.3.4:5',
    masquerade: true,
  })
})

test('vpc add reports the controller error code and message, exit 1', async () => {
  const message = '10.1.0.0/16 overlaps 10.0.0.0/8 of vpc aws-prod'
  ctl.on('POST /v1/vpcs', { status: 409, body: errorBody(WireErrorCode.cidrOverlap, message) })
  const r = await cli('vpc', 'add', 'gcp-dev', '--cidr', '10.1.0.0/16', '--endpoint', '1.2.3.4:5')
  assertFailure(r, 1, /^vpcmesh: VPCMESH_ERR_CIDR_OVERLAP: 10\.1\.0\.0\/16 overlaps 10\.0\.0\.0\/8 of vpc aws-prod\n$/)
})

test('vpc add --json prints the API answer', async () => {
  ctl.on('POST /v1/vpcs', { status: 201, body: CREATED })
  const r = await cli('vpc', 'add', 'gcp-dev', '--cidr', '10.1.0.0/16', '--endpoint', '1.2.3.4:5', '--json')
  assert.equal(r.code, 0)
  assert.deepEqual(JSON.parse(r.stdout), CREATED)
})

test('vpc list prints an aligned table, and JSON with --json', async () => {
  const r = await cli('vpc', 'list')
  assert.equal(r.code, 0)
  const lines = r.stdout.trimEnd().split('\n')
  assert.equal(lines.length, 3)
  assert.match(lines[0] ?? '', /^ID +NAME +CIDRS +ROUTES +ENDPOINT +MASQUERADE +AGENT +VERSION +GATEWAYS$/)
  const col = (line: string | undefined, text: string): number => (line ?? '').indexOf(text)
  assert.equal(col(lines[1], 'aws-prod'), col(lines[0], 'NAME'))
  assert.equal(col(lines[2], 'gcp-dev'), col(lines[0], 'NAME'))
  assert.equal(col(lines[2], 'edge.example.com'), col(lines[0], 'ENDPOINT'))
  assert.match(lines[2] ?? '', /10\.1\.0\.0\/16,10\.2\.0\.0\/16 +- +edge.+ +no +not enrolled +5 +-$/)
  const j = await cli('vpc', 'list', '--json')
  assert.deepEqual(JSON.parse(j.stdout), LIST)
})

test('vpc list says so when there are no VPCs', async () => {
  ctl.on('GET /v1/vpcs', { status: 200, body: { version: 0, vpcs: [] } })
  assert.match((await cli('vpc', 'list')).stdout, /no VPCs yet/)
})

test('vpc show resolves a name to its id; an id is used as given', async () => {
  ctl.on(`GET /v1/vpcs/${AWS.id}`, { status: 200, body: { vpc: AWS } })
  const r = await cli('vpc', 'show', 'aws-prod')
  assert.equal(r.code, 0)
  assert.deepEqual(
    ctl.requests.map((q) => `${q.method} ${q.url}`),
    ['GET /v1/vpcs', `GET /v1/vpcs/${AWS.id}`],
  )
  assert.match(r.stdout, /^id +vpc_0123456789ab$/m)
  assert.match(r.stdout, /^routes +172\.31\.0\.0\/16$/m)
  assert.match(r.stdout, /^agent +enrolled, public key /m)
  ctl.requests.length = 0
  assert.equal((await cli('vpc', 'show', AWS.id)).code, 0)
  assert.deepEqual(
    ctl.requests.map((q) => `${q.method} ${q.url}`),
    [`GET /v1/vpcs/${AWS.id}`],
  )
  assert.deepEqual(JSON.parse((await cli('vpc', 'show', AWS.id, '--json')).stdout), { vpc: AWS })
})

test('vpc show of a single-gateway VPC shows the route table and no gateways table', async () => {
  ctl.on(`GET /v1/vpcs/${AWS.id}`, { status: 200, body: { vpc: AWS } })
  const r = await cli('vpc', 'show', AWS.id)
  assert.match(r.stdout, /^route table +none$/m)
  assert.doesNotMatch(r.stdout, /gateways|GATEWAY/)
  assert.equal(r.stdout.trimEnd().split('\n').length, 12)
})

test('vpc show of an HA VPC lists its gateways, the active one with epoch, since and reason', async () => {
  ctl.on('GET /v1/vpcs', { status: 200, body: LIST_HA })
  ctl.on(`GET /v1/vpcs/${OFFICE.id}`, { status: 200, body: { vpc: OFFICE } })
  const r = await cli('vpc', 'show', 'office')
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /^route table +vip 10\.9\.0\.254\/24$/m)
  const lines = r.stdout.trimEnd().split('\n')
  const at = lines.indexOf('gateways:')
  assert.ok(at > 0, r.stdout)
  assert.equal(lines[at - 1], '')
  const [head, a, b, ...rest] = lines.slice(at + 1)
  assert.match(head ?? '', /^ {2}GATEWAY +ID +ENDPOINT +ROLE +EPOCH +SINCE +REASON$/)
  assert.match(
    a ?? '',
    /^ {2}gw-a +gw_0a1b2c3d4e5f +198\.51\.100\.10:51820 +active +4 +2025-06-02T11:58:00\.000Z +drain$/,
  )
  assert.match(b ?? '', /^ {2}gw-b +gw_bbbbbbbbbbbb +- +standby$/)
  assert.deepEqual(rest, [])
  const col = (line: string | undefined, text: string): number => (line ?? '').indexOf(text)
  assert.equal(col(a, '4 '), col(head, 'EPOCH'))
  assert.deepEqual(JSON.parse((await cli('vpc', 'show', 'office', '--json')).stdout), { vpc: OFFICE })
})

test('vpc show marks drained gateways, a sole gateway and an HA VPC with none elected yet', async () => {
  const [gwA, gwB] = OFFICE.gateways as [(typeof OFFICE.gateways)[0], (typeof OFFICE.gateways)[0]]
  const cases: Array<[typeof OFFICE, RegExp[]]> = [
    [{ ...OFFICE, gateways: [gwA], active: null }, [/^ {2}gw-a .* single$/m]],
    [
      { ...OFFICE, active: null },
      [/^ {2}gw-a .* standby$/m, /^ {2}gw-b .* standby$/m, /^ {2}\(no gateway elected active yet\)$/m],
    ],
    [
      { ...OFFICE, gateways: [{ ...gwA, drained: true }, gwB], active: { ...OFFICE.active!, gateway: gwB.id } },
      [/^ {2}gw-a .* drained$/m, /^ {2}gw-b +gw_bbbbbbbbbbbb +- +active +4 /m],
    ],
  ]
  for (const [vpc, patterns] of cases) {
    ctl.on(`GET /v1/vpcs/${OFFICE.id}`, { status: 200, body: { vpc } })
    const r = await cli('vpc', 'show', OFFICE.id)
    assert.equal(r.code, 0, r.stderr)
    for (const p of patterns) assert.match(r.stdout, p)
    if (vpc.active !== null) assert.doesNotMatch(r.stdout, /no gateway elected/)
  }
})

test("vpc list shows each VPC's gateways: none, one, or how many and the active one", async () => {
  const single = { ...GCP, gateways: OFFICE.gateways.slice(0, 1) }
  const unelected = { ...OFFICE, id: 'vpc_0ff1ce0ff1cf', name: 'office-2', active: null }
  ctl.on('GET /v1/vpcs', { status: 200, body: { ...LIST_HA, vpcs: [AWS, single, OFFICE, unelected] } })
  const lines = (await cli('vpc', 'list')).stdout.trimEnd().split('\n')
  assert.match(lines[1] ?? '', / 3 +-$/)
  assert.match(lines[2] ?? '', / 5 +1$/)
  assert.match(lines[3] ?? '', /^vpc_0ff1ce0ff1ce +office .* 6 +2, active gw-a$/)
  assert.match(lines[4] ?? '', / 6 +2, none active$/)
})

test('an unknown name exits 1 with "vpc NAME not found"; an unknown id is the controller\'s 404', async () => {
  assertFailure(await cli('vpc', 'show', 'nope'), 1, /vpc nope not found/)
  assert.deepEqual(
    ctl.requests.map((q) => q.url),
    ['/v1/vpcs'],
  )
  ctl.on('GET /v1/vpcs/vpc_ffffffffffff', {
    status: 404,
    body: errorBody(WireErrorCode.vpcNotFound, 'vpc vpc_ffffffffffff not found'),
  })
  assertFailure(
    await cli('vpc', 'show', 'vpc_ffffffffffff'),
    1,
    /^vpcmesh: VPCMESH_ERR_VPC_NOT_FOUND: vpc vpc_ffffffffffff not found\n$/,
  )
})

test('vpc rm deletes by id and confirms', async () => {
  ctl.on(`DELETE /v1/vpcs/${GCP.id}`, { status: 204 })
  const r = await cli('vpc', 'rm', 'gcp-dev')
  assert.equal(r.code, 0, r.stderr)
  assert.equal(lastRequest().method, 'DELETE')
  assert.equal(lastRequest().headers.authorization, `Bearer ${TOKEN}`)
  assert.equal(r.stdout, `deleted vpc gcp-dev (${GCP.id})\n`)
  assert.deepEqual(JSON.parse((await cli('vpc', 'rm', GCP.id, '--json')).stdout), { id: GCP.id, deleted: true })
})

test('vpc set patches only the given fields', async () => {
  const renamed = {
    ...AWS,
    name: 'aws-main',
    endpoint: '203.0.113.20:51820',
    cidrs: ['10.0.0.0/15', '10.9.0.0/16'],
    masquerade: false,
  }
  ctl.on(`PATCH /v1/vpcs/${AWS.id}`, { status: 200, body: { vpc: renamed } })
  const r = await cli(
    'vpc',
    'set',
    'aws-prod',
    '--endpoint',
    '203.0.113.20:51820',
    '--cidr',
    '10.0.0.0/15',
    '--cidr',
    '10.9.0.0/16',
    '--no-masquerade',
    '--name',
    'aws-main',
  )
  assert.equal(r.code, 0, r.stderr)
  assert.equal(lastRequest().method, 'PATCH')
  assert.deepEqual(lastRequest().body, {
    name: 'aws-main',
    cidrs: ['10.0.0.0/15', '10.9.0.0/16'],
    endpoint: '203.0.113.20:51820',
    masquerade: false,
  })
  assert.match(r.stdout, /updated vpc aws-main/)
  assert.equal((await cli('vpc', 'set', AWS.id, '--masquerade')).code, 0)
  assert.deepEqual(lastRequest().body, { masquerade: true })
})

test('vpc add --route-table sends {provider} and, for vip, the VIP as given', async () => {
  ctl.on('POST /v1/vpcs', { status: 201, body: CREATED })
  const base = ['vpc', 'add', 'gcp-dev', '--cidr', '10.1.0.0/16', '--endpoint', '1.2.3.4:5']
  const cases: Array<[string[], unknown]> = [
    [['--route-table', 'vip', '--vip', '10.1.0.254/16'], { provider: 'vip', vip: '10.1.0.254/16' }],
    [['--vip', '2001:db8::fe/64', '--route-table=vip'], { provider: 'vip', vip: '2001:db8::fe/64' }],
    [['--route-table', 'aws'], { provider: 'aws' }],
    [['--route-table', 'aliyun'], { provider: 'aliyun' }],
    [['--route-table', 'tencent'], { provider: 'tencent' }],
    [['--route-table', 'none'], { provider: 'none' }],
  ]
  for (const [flags, routeTable] of cases) {
    const r = await cli(...base, ...flags)
    assert.equal(r.code, 0, `${flags.join(' ')}: ${r.stderr}`)
    assert.deepEqual(
      lastRequest().body,
      { name: 'gcp-dev', cidrs: ['10.1.0.0/16'], endpoint: '1.2.3.4:5', masquerade: true, routeTable },
      flags.join(' '),
    )
  }
})

test('vpc add reports the controller refusing a VIP, exit 1', async () => {
  const message = 'routeTable.vip must be the floating LAN address with its prefix length'
  ctl.on('POST /v1/vpcs', { status: 400, body: errorBody(WireErrorCode.validation, message) })
  const r = await cli(
    ...['vpc', 'add', 'x', '--cidr', '10.1.0.0/16', '--endpoint', '1.2.3.4:5'],
    '--route-table',
    'vip',
    '--vip',
    '10.1.0.254/24',
  )
  assertFailure(r, 1, /^vpcmesh: VPCMESH_ERR_VALIDATION: routeTable\.vip must be/)
})

test('vpc set --route-table patches only routeTable; none switches it off', async () => {
  const vip = { ...AWS, routeTable: { provider: 'vip' as const, vip: '10.0.0.254/16' } }
  ctl.on(`PATCH /v1/vpcs/${AWS.id}`, { status: 200, body: { vpc: vip } })
  const r = await cli('vpc', 'set', 'aws-prod', '--route-table', 'vip', '--vip', '10.0.0.254/16')
  assert.equal(r.code, 0, r.stderr)
  assert.deepEqual(lastRequest().body, { routeTable: { provider: 'vip', vip: '10.0.0.254/16' } })
  assert.match(r.stdout, /^ {2}route table +vip 10\.0\.0\.254\/16$/m)
  assert.equal((await cli('vpc', 'set', AWS.id, '--route-table', 'none')).code, 0)
  assert.deepEqual(lastRequest().body, { routeTable: { provider: 'none' } })
  assert.equal((await cli('vpc', 'set', AWS.id, '--masquerade', '--route-table', 'tencent')).code, 0)
  assert.deepEqual(lastRequest().body, { masquerade: true, routeTable: { provider: 'tencent' } })
})

test('vpc join-token posts without a body and prints the token and the agent command', async () => {
  ctl.on(`POST /v1/vpcs/${AWS.id}/join-token`, { status: 201, body: FRESH_TOKEN })
  const r = await cli('vpc', 'join-token', 'aws-prod')
  assert.equal(r.code, 0, r.stderr)
  assert.equal(lastRequest().method, 'POST')
  assert.equal(lastRequest().body, undefined)
  assert.match(
    r.stdout,
    /join token for aws-prod \(single use, expires 2025-06-03T10:00:00.000Z\); it is shown only this once/,
  )
  assert.ok(r.stdout.includes(`--join-token ${JOIN_TOKEN}`))
  assert.deepEqual(JSON.parse((await cli('vpc', 'join-token', AWS.id, '--json')).stdout), FRESH_TOKEN)
})
