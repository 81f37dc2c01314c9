// Cross-VPC DNS end to end (docs/operations.md, "DNS forwarder"): VPC b serves `corp.internal`
// with a real dnsmasq on its host (10.2.0.2) and registers the zone; VPC a's agent runs the DNS
// forwarder on its LAN address, and a's host asks it with dig, over UDP and TCP. Plus a zone
// whose server does not answer (SERVFAIL within the budget) and a malformed query (dropped,
// counted, the agent unharmed).
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pollUntil } from '@vpcmesh/common'
import { LocalMesh, Testbed, type TestbedNode, startDnsmasq, teardownMesh } from '@vpcmesh/testbed'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..', '..')
const ADMIN = 'e2e-admin-token-dns-0123456789abcdef'

if (process.getuid?.() !== 0)
  throw new Error('the end-to-end tests need root (network namespaces, TUN, nftables); run as root')

describe('end to end: a zone served in VPC b, resolved from VPC a through its agent', () => {
  let tb: Testbed
  let mesh: LocalMesh
  let work: string
  let a: TestbedNode, b: TestbedNode

  const dig = async (...args: string[]): Promise<{ code: number; out: string }> => {
    const r = await tb.exec(a.hostNs, ['dig', `@${a.lanIp}`, '+time=4', '+tries=1', ...args], { allowFail: true })
    return { code: r.code, out: r.stdout }
  }
  const metric = async (re: RegExp): Promise<number> =>
    (await mesh.agentGet(a, '/metrics'))
      .split('\n')
      .filter((l) => re.test(l))
      .reduce((s, l) => s + Number(l.split(' ').at(-1)), 0)

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'vpcmesh-dns-'))
    tb = await Testbed.create({
      prefix: `vmd${process.pid}`,
      vpcs: [
        { name: 'a', cidr: '10.1.0.0/24' },
        { name: 'b', cidr: '10.2.0.0/24' },
      ],
    })
    ;[a, b] = [tb.node('a'), tb.node('b')]
    // The zone's server inside VPC b: dnsmasq answering only from its command line.
    startDnsmasq(tb, b.hostNs, b.hostIp, work, [
      '--address=/db.corp.internal/10.2.0.77',
      `--txt-record=big.corp.internal,${'x'.repeat(200)}`,
      `--txt-record=big.corp.internal,${'y'.repeat(200)}`,
      `--txt-record=big.corp.internal,${'z'.repeat(200)}`,
    ])
    mesh = new LocalMesh(tb, { launcher: join(root, 'bin', 'vpcmesh'), workDir: work, adminToken: ADMIN })
    await mesh.startController()
    const va = await mesh.addVpc(a)
    const vb = await mesh.addVpc(b)
    const patched = await mesh.api('PATCH', `/v1/vpcs/${vb.id}`, {
      dnsZones: [
        { zone: 'corp.internal', server: b.hostIp },
        { zone: 'slow.internal', server: '10.2.0.9' },
      ],
    })
    assert.equal(patched.vpc.dnsZones.length, 2, JSON.stringify(patched))
    mesh.startAgent(a, va.joinToken, { args: ['--dns-listen', `${a.lanIp}:53`] })
    mesh.startAgent(b, vb.joinToken)
    await mesh.awaitConverged(45_000)
    await pollUntil('the forwarder answers', async () => (await dig('db.corp.internal', '+short')).out.trim() !== '', {
      timeoutMs: 20_000,
      intervalMs: 250,
    })
  })

  after(async () => {
    if (process.exitCode !== undefined && process.exitCode !== 0)
      for (const [k, v] of mesh?.logs ?? []) process.stderr.write(`--- ${k}\n${v.slice(-3000)}\n`)
    await teardownMesh({ mesh, testbed: tb, workDir: work })
  })

  test('a name in the zone resolves through the mesh, over UDP and over TCP', async () => {
    assert.equal((await dig('db.corp.internal', '+short')).out.trim(), '10.2.0.77')
    assert.equal((await dig('+tcp', 'db.corp.internal', '+short')).out.trim(), '10.2.0.77')
    const big = await dig('+ignore', '+bufsize=512', 'big.corp.internal', 'TXT')
    assert.match(big.out, /flags: qr[^;]*tc/, 'an answer over 512 bytes is truncated over UDP')
    const viaTcp = await dig('+bufsize=512', 'big.corp.internal', 'TXT')
    assert.match(viaTcp.out, /ANSWER: 3,/, 'dig retries over TCP and gets every record')
    assert.ok(
      (await metric(/^vpcmesh_agent_dns_queries_total\{(?=[^}]*zone="corp.internal")(?=[^}]*result="ok")/)) >= 2,
    )
  })

  test('a server that never answers gives SERVFAIL within the budget', async () => {
    const t0 = Date.now()
    const r = await dig('x.slow.internal')
    assert.match(r.out, /status: SERVFAIL/)
    assert.ok(Date.now() - t0 < 4000, `answered after ${Date.now() - t0} ms`)
    assert.ok(
      (await metric(/^vpcmesh_agent_dns_queries_total\{(?=[^}]*zone="slow.internal")(?=[^}]*result="timeout")/)) >= 1,
    )
  })

  test('a malformed query is dropped and counted; the forwarder keeps answering', async () => {
    const before = await metric(/^vpcmesh_agent_dns_dropped_total\{.*reason="malformed"/)
    await tb.exec(a.hostNs, [
      process.execPath,
      '-e',
      `const s=require('dgram').createSocket('udp4');s.send(Buffer.from('not a dns query at all'),53,'${a.lanIp}',()=>s.close())`,
    ])
    await pollUntil(
      'the malformed query counted',
      async () => (await metric(/^vpcmesh_agent_dns_dropped_total\{.*reason="malformed"/)) === before + 1,
      { timeoutMs: 5000, intervalMs: 100 },
    )
    assert.equal((await dig('db.corp.internal', '+short')).out.trim(), '10.2.0.77')
  })
})
