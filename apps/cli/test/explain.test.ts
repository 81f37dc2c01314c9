import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { ExplainResponse } from '@vpcmesh/protocol'
import { FakeController } from '../src/testing/index.js'
import { explainText } from '../src/explain-view.js'
import { run } from './harness.js'

const OK: ExplainResponse = {
  src: '10.1.0.5',
  dst: '10.2.0.7',
  proto: 'tcp',
  port: 5432,
  verdict: 'ok',
  firstBroken: null,
  hops: [
    { hop: 'locate', verdict: 'ok', evidence: ['SRC 10.1.0.5 is in VPC a', 'DST 10.2.0.7 is in VPC b'] },
    { hop: 'route', verdict: 'ok', vpc: 'a', evidence: ['10.2.0.0/24 dev vpcmesh0 in table 52 (kernel, read now)'] },
  ],
}
const BROKEN: ExplainResponse = {
  ...OK,
  proto: null,
  port: null,
  verdict: 'broken',
  firstBroken: 'tunnel',
  hops: [
    OK.hops[0] as ExplainResponse['hops'][number],
    { hop: 'tunnel', verdict: 'broken', vpc: 'a', evidence: ['tunnel a → b DOWN'], fix: 'allow UDP' },
    { hop: 'forward', verdict: 'unknown', vpc: 'b', evidence: ['no evidence'], fix: 'check the agent of b' },
  ],
}

let ctl: FakeController
before(async () => {
  ctl = await FakeController.start()
})
after(async () => {
  await ctl.close()
})

test('every hop ok: one line per hop, exit 0, the request carries src, dst, proto and port', async () => {
  ctl.on('POST /v1/explain', { status: 200, body: OK })
  const r = await run(['explain', '10.1.0.5', '10.2.0.7', '--proto', 'tcp', '--port', '5432'], { controller: ctl.url })
  assert.equal(r.code, 0, r.stderr)
  assert.deepEqual(ctl.requests.at(-1)?.body, { src: '10.1.0.5', dst: '10.2.0.7', proto: 'tcp', port: 5432 })
  assert.equal(
    r.stdout,
    [
      'explain 10.1.0.5 → 10.2.0.7 tcp/5432',
      '✓ locate     SRC 10.1.0.5 is in VPC a',
      '             DST 10.2.0.7 is in VPC b',
      '✓ route      10.2.0.0/24 dev vpcmesh0 in table 52 (kernel, read now)',
      '',
      'every hop ok',
      '',
    ].join('\n'),
  )
})

test('a broken hop: the fix of the first broken hop last, exit 1 with one stderr line', async () => {
  ctl.on('POST /v1/explain', { status: 200, body: BROKEN })
  const r = await run(['explain', '10.1.0.5', 'db.corp.internal', '--src-vpc', 'a'], { controller: ctl.url })
  assert.equal(r.code, 1)
  assert.deepEqual(ctl.requests.at(-1)?.body, { src: '10.1.0.5', dst: 'db.corp.internal', srcVpc: 'a' })
  assert.match(r.stdout, /^✗ tunnel {5}tunnel a → b DOWN$/m)
  assert.match(r.stdout, /^\? forward {4}no evidence$/m)
  assert.match(r.stdout, /\nbroken at tunnel: fix: allow UDP\n$/)
  assert.equal(r.stderr, 'vpcmesh: VPCMESH_ERR_CLI_FLOW_BROKEN: the flow breaks at hop tunnel; see its fix above\n')
})

test('--json prints the answer as it came; a broken flow still exits 1', async () => {
  ctl.on('POST /v1/explain', { status: 200, body: BROKEN })
  const r = await run(['explain', '10.1.0.5', '10.2.0.7', '--json'], { controller: ctl.url })
  assert.equal(r.code, 1)
  assert.deepEqual(JSON.parse(r.stdout), BROKEN)
})

test('an API error exits 1 with its code', async () => {
  ctl.on('POST /v1/explain', {
    status: 400,
    body: { code: 'VPCMESH_ERR_VALIDATION', message: '10.0.0.9 is inside VPCs g1, g2', retryable: false },
  })
  const r = await run(['explain', '10.0.0.9', '10.2.0.7'], { controller: ctl.url })
  assert.equal(r.code, 1)
  assert.equal(r.stderr, 'vpcmesh: VPCMESH_ERR_VALIDATION: 10.0.0.9 is inside VPCs g1, g2\n')
})

test('no hop broken but some unknown: their fixes listed, exit 0', () => {
  const text = explainText({ ...BROKEN, verdict: 'unknown', firstBroken: null, hops: [BROKEN.hops[2] as never] })
  assert.match(text, /no hop is broken, but some could not be checked:\n {2}forward: check the agent of b$/)
})
