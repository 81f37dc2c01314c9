import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { FakeController } from '../src/testing/index.js'
import { age, formatMs } from '../src/status-view.js'
import { NOW, STATUS, STATUS_HA } from './fixtures.js'
import { run, TOKEN } from './harness.js'

let ctl: FakeController
before(async () => {
  ctl = await FakeController.start()
  ctl.on('GET /v1/status', { status: 200, body: STATUS })
})
after(async () => {
  await ctl.close()
})

async function cli(...argv: string[]): ReturnType<typeof run> {
  return await run(argv, { controller: ctl.url, now: () => NOW })
}

test('status shows the mesh version, one row per agent and the pair matrix', async () => {
  const r = await cli('status')
  assert.equal(r.code, 0, r.stderr)
  assert.equal(ctl.requests.at(-1)?.url, '/v1/status')
  assert.equal(ctl.requests.at(-1)?.headers.authorization, `Bearer ${TOKEN}`)
  const [version, , ...rest] = r.stdout.trimEnd().split('\n')
  assert.equal(version, 'mesh version 9')
  const [head, aws, gcp, onprem, blank, mHead, mAws, mGcp, mOnprem] = rest
  assert.match(head ?? '', /^AGENT +ID +CONNECTED +APPLIED +LAG +LAST SEEN +REPLICA$/)
  assert.match(aws ?? '', /^aws-prod +vpc_0123456789ab +yes +9 +0 +30s ago +ctl-0$/)
  assert.match(gcp ?? '', /^gcp-dev +vpc_abcdefabcdef +yes +7 +2 +30s ago +ctl-1$/)
  assert.match(onprem ?? '', /^onprem +vpc_0000000000ff +not enrolled +0 +9 +never +-$/)
  assert.equal(blank, '')
  assert.match(mHead ?? '', /^FROM \\ TO +aws-prod +gcp-dev +onprem$/)
  assert.match(mAws ?? '', /^aws-prod +self +up 3\.2ms +down$/)
  assert.match(mGcp ?? '', /^gcp-dev +up 12ms +self +-$/)
  assert.match(mOnprem ?? '', /^onprem +- +- +self$/)
  const col = (line: string | undefined, text: string): number => (line ?? '').indexOf(text)
  assert.equal(col(mAws, 'up 3.2ms'), col(mHead, 'gcp-dev'))
})

test('status without HA VPCs prints no gateway table', async () => {
  const r = await cli('status')
  assert.equal(r.stdout.trimEnd().split('\n').length, 11)
  assert.doesNotMatch(r.stdout, /GATEWAY|gw_/)
})

test('status lists the gateways of HA VPCs after the matrix; the agent rows stay as they were', async () => {
  ctl.on('GET /v1/status', { status: 200, body: STATUS_HA })
  try {
    const r = await cli('status')
    assert.equal(r.code, 0, r.stderr)
    const lines = r.stdout.trimEnd().split('\n')
    assert.match(lines[3] ?? '', /^aws-prod +vpc_0123456789ab +yes +9 +0 +30s ago +ctl-0$/)
    assert.match(lines[6] ?? '', /^office +vpc_0ff1ce0ff1ce +yes +9 +0 +30s ago +ctl-0$/)
    const [blank, head, a, b, ...rest] = lines.slice(13)
    assert.match(lines[12] ?? '', /^office +- +- +- +self$/)
    assert.equal(blank, '')
    assert.match(head ?? '', /^VPC +GATEWAY +ID +ROLE +CONNECTED +LAST SEEN +REPLICA +EPOCH +SINCE +REASON$/)
    assert.match(
      a ?? '',
      /^office +gw-a +gw_0a1b2c3d4e5f +active +yes +30s ago +ctl-0 +4 +2025-06-02T11:58:00\.000Z +drain$/,
    )
    assert.match(b ?? '', /^office +gw-b +gw_bbbbbbbbbbbb +standby +no +5m ago +-$/)
    assert.deepEqual(rest, [])
    assert.deepEqual(JSON.parse((await cli('status', '--json')).stdout), STATUS_HA)
  } finally {
    ctl.on('GET /v1/status', { status: 200, body: STATUS })
  }
})

test('status marks drained gateways and gateways never seen', async () => {
  const [office] = STATUS_HA.agents.slice(-1)
  assert.ok(office !== undefined)
  const [gwA, gwB] = office.gateways as [(typeof office.gateways)[0], (typeof office.gateways)[0]]
  const drained = {
    ...office,
    gateways: [
      { ...gwA, active: false, drained: true, connected: false, lastSeen: null, replica: null },
      { ...gwB, active: true, connected: true },
    ],
    active: { gateway: gwB.id, epoch: 5, since: '2025-06-02T12:00:10.000Z', reason: 'drain' as const },
  }
  ctl.on('GET /v1/status', { status: 200, body: { version: 9, agents: [drained] } })
  try {
    const r = await cli('status')
    assert.match(r.stdout, /^office +gw-a +gw_0a1b2c3d4e5f +drained +no +never +-$/m)
    assert.match(
      r.stdout,
      /^office +gw-b +gw_bbbbbbbbbbbb +active +yes +5m ago +- +5 +2025-06-02T12:00:10\.000Z +drain$/m,
    )
  } finally {
    ctl.on('GET /v1/status', { status: 200, body: STATUS })
  }
})

test('status --json prints the API answer', async () => {
  assert.deepEqual(JSON.parse((await cli('status', '--json')).stdout), STATUS)
})

test('status with no agents says so', async () => {
  ctl.on('GET /v1/status', { status: 200, body: { version: 0, agents: [] } })
  try {
    const r = await cli('status')
    assert.match(r.stdout, /^mesh version 0\n\nno agents yet/)
  } finally {
    ctl.on('GET /v1/status', { status: 200, body: STATUS })
  }
})

test('ages and round-trip times read well', () => {
  const now = Date.parse('2025-01-02T00:00:00Z')
  assert.equal(age('2025-01-01T23:59:55Z', now), '5s ago')
  assert.equal(age('2025-01-01T23:50:00Z', now), '10m ago')
  assert.equal(age('2025-01-01T21:00:00Z', now), '3h ago')
  assert.equal(age('2024-12-29T00:00:00Z', now), '4d ago')
  assert.equal(age('2025-01-02T00:00:10Z', now), '0s ago')
  assert.equal(age('garbage', now), 'garbage')
  assert.equal(formatMs(0.44), '0.4ms')
  assert.equal(formatMs(123.6), '124ms')
})
