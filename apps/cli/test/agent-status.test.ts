import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { AgentStatusDocument } from '@vpcmesh/protocol'
import { assertFailure, run } from './harness.js'

/** An agent with one peer up, one down, a skipped route, a skipped peer and drops. */
const STATUS: AgentStatusDocument = {
  vpc: 'aws-prod',
  vpcId: 'vpc_0123456789ab',
  appliedVersion: 7,
  controller: { state: 'connected', url: 'http://10.0.0.5:7700', lastError: null },
  tun: { name: 'vpcmesh0', mtu: 1420 },
  lastReconcileError: null,
  host: {
    table: 51820,
    routes: [{ prefix: '10.1.0.0/16', dev: 'vpcmesh0' }],
    throws: [],
    skippedRoutes: [{ prefix: '10.9.0.0/16', reason: 'operator', detail: 'main has 10.9.0.0/16 dev eth1' }],
    nftables: true,
    warnings: ['rp_filter is strict on eth0'],
    forwardDenied: { packets: 3, bytes: 252 },
    inputDenied: null,
  },
  peers: [
    {
      id: 'vpc_abcdefabcdef',
      name: 'gcp-dev',
      up: true,
      rttMs: 3.24,
      txBytes: 1200,
      rxBytes: 900,
      txPackets: 10,
      rxPackets: 9,
      lastHandshakeAgeS: 12.4,
      endpoint: { address: '2001:db8::7', port: 51820 },
    },
    {
      id: 'vpc_0000000000ff',
      name: 'onprem',
      up: false,
      rttMs: null,
      txBytes: 0,
      rxBytes: 0,
      txPackets: 0,
      rxPackets: 0,
      lastHandshakeAgeS: null,
      endpoint: null,
    },
  ],
  skippedPeers: [
    { id: 'vpc_0000000000aa', name: 'broken', code: 'VPCMESH_ERR_DATAPLANE_CONFIG', message: 'bad public key' },
  ],
  drops: { no_route: 4, replay: 0, auth_failure: 2 },
}

/** An agent that has not enrolled or applied anything yet. */
const FRESH: AgentStatusDocument = {
  vpc: null,
  vpcId: null,
  appliedVersion: 0,
  controller: { state: 'connecting', url: null, lastError: null },
  tun: { name: 'vpcmesh0', mtu: 1420 },
  lastReconcileError: 'no map yet',
  host: null,
  peers: [],
  skippedPeers: [],
  drops: {},
}

/** A status server answering by path: the document, a spoiled one, text, and an error. */
let server: Server
let base: string
before(async () => {
  const spoiled = { ...STATUS, peers: [{ ...STATUS.peers[0], rttMs: '3ms' }] }
  const answers: Record<string, [number, string, string]> = {
    '/status': [200, 'application/json', JSON.stringify(STATUS)],
    '/old/status': [200, 'application/json', JSON.stringify({ ...STATUS, drops: undefined })],
    '/spoiled/status': [200, 'application/json', JSON.stringify(spoiled)],
    '/text/status': [200, 'text/plain', 'hello'],
    '/fresh/status': [200, 'application/json', JSON.stringify(FRESH)],
  }
  server = createServer((req, res) => {
    const [code, type, body] = answers[req.url ?? ''] ?? [404, 'application/json', '{"message":"not found"}']
    res.writeHead(code, { 'content-type': type }).end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

/** Runs the CLI without any token or controller in the environment, against real HTTP. */
async function cli(...argv: string[]): ReturnType<typeof run> {
  return await run(argv, { env: {}, fetch: globalThis.fetch })
}

test('agent-status prints the summary, the peer table, skipped routes and peers, and drops; no token needed', async () => {
  const r = await cli('agent-status', base)
  assert.equal(r.code, 0, r.stderr)
  const lines = r.stdout.trimEnd().split('\n')
  assert.match(lines[0] ?? '', /^VPC +aws-prod \(vpc_0123456789ab\)$/)
  assert.match(lines[1] ?? '', /^version applied +7$/)
  assert.match(lines[2] ?? '', /^controller +connected, http:\/\/10\.0\.0\.5:7700$/)
  assert.match(lines[3] ?? '', /^tun +vpcmesh0 mtu 1420$/)
  assert.match(lines[4] ?? '', /^last apply +ok$/)
  assert.match(lines[5] ?? '', /^host +table 51820, 1 route, nftables yes, denied forward 3 input -$/)
  assert.match(lines[6] ?? '', /^warning +rp_filter is strict on eth0$/)
  assert.equal(lines[7], '')
  assert.match(lines[8] ?? '', /^PEER +ID +STATE +RTT +ENDPOINT +HANDSHAKE +TX BYTES +RX BYTES$/)
  assert.match(lines[9] ?? '', /^gcp-dev +vpc_abcdefabcdef +up +3\.2ms +\[2001:db8::7\]:51820 +12s ago +1200 +900$/)
  assert.match(lines[10] ?? '', /^onprem +vpc_0000000000ff +down +- +- +never +0 +0$/)
  assert.deepEqual(lines.slice(11, 14), ['', 'skipped routes (1):', lines[13]])
  assert.match(lines[13] ?? '', /^PREFIX +REASON +DETAIL$/)
  assert.match(lines[14] ?? '', /^10\.9\.0\.0\/16 +operator +main has 10\.9\.0\.0\/16 dev eth1$/)
  assert.deepEqual(lines.slice(15, 17), ['', 'skipped peers (1):'])
  assert.match(lines[18] ?? '', /^broken +vpc_0000000000aa +VPCMESH_ERR_DATAPLANE_CONFIG +bad public key$/)
  assert.deepEqual(lines.slice(19), ['', 'drops: no_route 4, auth_failure 2'])
})

test('agent-status --json prints the parsed answer; a URL ending in /status is used as is', async () => {
  for (const url of [base, `${base}/`, `${base}/status`]) {
    const r = await cli('agent-status', url, '--json')
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(JSON.parse(r.stdout), STATUS)
  }
})

test('agent-status shows a fresh agent: nothing enrolled, applied or skipped', async () => {
  const r = await cli('agent-status', `${base}/fresh`)
  assert.equal(r.code, 0, r.stderr)
  assert.deepEqual(r.stdout.trimEnd().split('\n'), [
    'VPC              - (not enrolled)',
    'version applied  0 (no map yet)',
    'controller       connecting',
    'tun              vpcmesh0 mtu 1420',
    'last apply       failed: no map yet',
    'host             nothing applied yet',
    '',
    'no peers',
    '',
    'skipped routes: none',
    '',
    'skipped peers: none',
    '',
    'drops: none',
  ])
})

test('agent-status says so when the agent reports no drops', async () => {
  const r = await cli('agent-status', `${base}/old`)
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /\ndrops: not reported by this agent\n$/)
})

test('an answer that is not an agent status exits 2 with one line naming the mismatch', async () => {
  const cases: Array<[string, RegExp]> = [
    [
      `${base}/spoiled`,
      /BAD_AGENT_STATUS: .*\/spoiled\/status answered a body that is not an agent status: peers\.0\.rttMs/,
    ],
    [`${base}/text`, /BAD_AGENT_STATUS: .*\/text\/status answered something that is not JSON/],
    [`${base}/missing`, /BAD_AGENT_STATUS: .*\/missing\/status answered 404 Not Found; is it an agent's status server/],
  ]
  for (const [url, line] of cases) {
    assertFailure(await cli('agent-status', url), 2, line)
    assertFailure(await cli('agent-status', url, '--json'), 2, line)
  }
})

test('an agent that does not answer exits 1 with one line', async () => {
  const closed = createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const port = (closed.address() as AddressInfo).port
  await new Promise<void>((resolve) => closed.close(() => resolve()))
  assertFailure(
    await cli('agent-status', `http://127.0.0.1:${port}`),
    1,
    new RegExp(`^vpcmesh: cannot reach agent at http://127\\.0\\.0\\.1:${port}/status: .*ECONNREFUSED`),
  )
})

test('agent-status usage errors exit 2 and send nothing', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['agent-status'], /missing argument URL for 'agent-status' \(see vpcmesh agent-status --help\)/],
    [['agent-status', 'a', 'b'], /unexpected argument 'b' for 'agent-status'/],
    [['agent-status', 'localhost:7701'], /bad URL "localhost:7701": must be an http/],
    [['agent-status', '127.0.0.1:7701'], /bad URL "127\.0\.0\.1:7701": not a URL/],
    [['agent-status', 'http://h:1/?x=1'], /must not carry credentials, a query or a fragment/],
    [['agent-status', base, '--controller', base], /unknown flag --controller for 'agent-status'/],
    [['agent-status', base, '--token', 'abcdefgh'], /unknown flag --token for 'agent-status'/],
  ]
  for (const [argv, line] of cases) assertFailure(await run(argv, { env: {} }), 2, line)
})
