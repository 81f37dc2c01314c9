import { test, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { WireErrorCode } from '@vpcmesh/protocol'
import { FakeController } from '../src/testing/index.js'
import { AWS, LIST, errorBody } from './fixtures.js'
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

test('route add posts {cidr} to the VPC resolved by name', async () => {
  const added = { ...AWS, routes: [...AWS.routes, '192.168.10.0/24'] }
  ctl.on(`POST /v1/vpcs/${AWS.id}/routes`, { status: 201, body: { vpc: added } })
  const r = await cli('route', 'add', 'aws-prod', '192.168.10.0/24')
  assert.equal(r.code, 0, r.stderr)
  const req = ctl.requests.at(-1)
  assert.equal(req?.method, 'POST')
  assert.equal(req?.headers.authorization, `Bearer ${TOKEN}`)
  assert.deepEqual(req?.body, { cidr: '192.168.10.0/24' })
  assert.match(r.stdout, /added route 192\.168\.10\.0\/24 to vpc aws-prod/)
  assert.match(r.stdout, /routes +172\.31\.0\.0\/16,192\.168\.10\.0\/24/)
})

test('route rm sends the CIDR url-encoded in the query', async () => {
  ctl.on(`DELETE /v1/vpcs/${AWS.id}/routes?cidr=172.31.0.0%2F16`, {
    status: 200,
    body: { vpc: { ...AWS, routes: [] } },
  })
  const r = await cli('route', 'rm', AWS.id, '172.31.0.0/16')
  assert.equal(r.code, 0, r.stderr)
  assert.equal(ctl.requests.length, 1)
  assert.match(r.stdout, /removed route 172\.31\.0\.0\/16 from vpc aws-prod/)
})

test('route rm of an unknown route reports the controller error', async () => {
  ctl.on(`DELETE /v1/vpcs/${AWS.id}/routes?cidr=10.99.0.0%2F16`, {
    status: 404,
    body: errorBody(WireErrorCode.routeNotFound, 'vpc aws-prod has no route 10.99.0.0/16'),
  })
  assertFailure(
    await cli('route', 'rm', 'aws-prod', '10.99.0.0/16'),
    1,
    /^vpcmesh: VPCMESH_ERR_ROUTE_NOT_FOUND: vpc aws-prod has no route 10\.99\.0\.0\/16\n$/,
  )
})

test('route list shows every prefix, its kind and its VPC', async () => {
  const r = await cli('route', 'list')
  assert.equal(r.code, 0)
  const lines = r.stdout.trimEnd().split('\n')
  assert.match(lines[0] ?? '', /^PREFIX +KIND +VPC +ID$/)
  assert.match(lines[1] ?? '', /^10\.0\.0\.0\/16 +cidr +aws-prod +vpc_0123456789ab$/)
  assert.match(lines[2] ?? '', /^172\.31\.0\.0\/16 +route +aws-prod +vpc_0123456789ab$/)
  assert.match(lines[3] ?? '', /^10\.1\.0\.0\/16 +cidr +gcp-dev +vpc_abcdefabcdef$/)
  assert.equal(lines.length, 5)
})

test('route list of one VPC, by name or id; --json keeps the list shape', async () => {
  const r = await cli('route', 'list', 'gcp-dev')
  assert.equal(r.stdout.trimEnd().split('\n').length, 3)
  assert.doesNotMatch(r.stdout, /aws-prod/)
  const j = JSON.parse((await cli('route', 'list', AWS.id, '--json')).stdout)
  assert.deepEqual(j, { version: LIST.version, vpcs: [AWS] })
  assertFailure(await cli('route', 'list', 'nope'), 1, /vpc nope not found/)
})

const GLOBAL_B = {
  ...AWS,
  id: 'vpc_0000000000bb',
  name: 'cluster-b',
  cidrs: ['10.0.0.0/24'],
  routes: [],
  mode: 'global' as const,
  globalPrefixes: [{ local: '10.0.0.0/24', global: '242.0.1.0/24' }],
}

test('route list ADDRESS says which VPC and which real address a global address is', async () => {
  const entry = {
    prefix: '242.0.1.0/24',
    vpc: GLOBAL_B.id,
    vpcName: 'cluster-b',
    kind: 'cidr',
    local: '10.0.0.0/24',
    mode: 'global',
  }
  ctl.on('GET /v1/routes?address=242.0.1.7', {
    status: 200,
    body: { version: 4, routes: [entry], lookup: { address: '242.0.1.7', route: entry, localAddress: '10.0.0.7' } },
  })
  const r = await cli('route', 'list', '242.0.1.7')
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /^242\.0\.1\.7 is 10\.0\.0\.7 in vpc cluster-b \(vpc_0000000000bb\)$/m)
  assert.match(r.stdout, /routed prefix +242\.0\.1\.0\/24 → 10\.0\.0\.0\/24 \(cidr, global mode\)/)
  ctl.on('GET /v1/routes?address=10.0.0.7', { status: 200, body: { version: 4, routes: [], lookup: null } })
  const none = await cli('route', 'list', '10.0.0.7')
  assertFailure(none, 1, /10\.0\.0\.7 is not inside any prefix routed in the mesh/)
})

test('route list shows the routed (global) prefix and a LOCAL column when a VPC is global', async () => {
  ctl.on('GET /v1/vpcs', { status: 200, body: { version: 4, vpcs: [GLOBAL_B] } })
  const r = await cli('route', 'list')
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /^PREFIX +KIND +VPC +ID +LOCAL$/m)
  assert.match(r.stdout, /^242\.0\.1\.0\/24 +cidr +cluster-b +vpc_0000000000bb +10\.0\.0\.0\/24$/m)
})

test('vpc add --global --global-prefix sends the mode and the wished prefixes; a bad pair is a usage error', async () => {
  ctl.on('POST /v1/vpcs', {
    status: 201,
    body: { vpc: GLOBAL_B, joinToken: 'vmj_x', joinTokenExpiresAt: '2026-12-02T00:00:00.000Z' },
  })
  const args = ['vpc', 'add', 'cluster-b', '--cidr', '10.0.0.0/24', '--endpoint', '192.0.2.9:51820', '--global']
  const r = await cli(...args, '--global-prefix', '10.0.0.0/24=242.0.1.0/24')
  assert.equal(r.code, 0, r.stderr)
  assert.deepEqual(ctl.requests.at(-1)?.body, {
    name: 'cluster-b',
    cidrs: ['10.0.0.0/24'],
    endpoint: '192.0.2.9:51820',
    masquerade: true,
    mode: 'global',
    globalPrefixes: [{ local: '10.0.0.0/24', global: '242.0.1.0/24' }],
  })
  assert.match(r.stdout, /cidrs +10\.0\.0\.0\/24→242\.0\.1\.0\/24/)
  assert.match(r.stdout, /^ +mode +global/m)
  const sent = ctl.requests.length
  assertFailure(
    await cli(...args, '--global-prefix', '10.0.0.0/24'),
    2,
    /bad --global-prefix "10\.0\.0\.0\/24": give LOCAL=GLOBAL/,
  )
  assertFailure(
    await cli(...args.slice(0, -1), '--global-prefix', '10.0.0.0/24=242.0.1.0/24'),
    2,
    /--global-prefix needs --global/,
  )
  assert.equal(ctl.requests.length, sent, 'nothing sent for a usage error')
})
