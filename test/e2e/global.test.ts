// Overlapping networks through global addresses (docs/architecture.md, "Global addresses"):
// VPCs a and b both use 10.0.0.0/24 and join in global mode; c (10.3.0.0/24) starts in local
// mode and is then switched to global. Hosts reach each other at global addresses, and the
// source a host sees is the sender's global address (masquerade off, so nothing else
// rewrites it): ping both ways and a 10 MB TCP transfer with matching SHA-256 for every pair.
// A name served by dnsmasq inside b resolves from a's host, through a's agent, to b's global
// address. A plain overlapping registration is still refused with 409.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { mapAddress, parseAddress, parsePrefix } from '@vpcmesh/cidr'
import { pollUntil } from '@vpcmesh/common'
import { LocalMesh, Testbed, type TestbedNode, startDnsmasq, teardownMesh } from '@vpcmesh/testbed'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..', '..')
const fixture = (name: string): string => join(here, 'fixtures', `${name}.js`)
const node = process.execPath
const ADMIN = 'e2e-admin-token-global-0123456789abcdef'
const MB10 = String(10 * 1024 * 1024)

if (process.getuid?.() !== 0)
  throw new Error('the end-to-end tests need root (network namespaces, TUN, nftables); run as root')

interface ApiVpc {
  id: string
  name: string
  mode: string
  globalPrefixes: Array<{ local: string; global: string }>
}

describe('end to end: two VPCs with the same CIDR, and a third, reach each other at global addresses', () => {
  let tb: Testbed
  let mesh: LocalMesh
  let work: string
  let a: TestbedNode, b: TestbedNode, c: TestbedNode
  const ids = new Map<string, string>()
  let port = 9300

  /** The address `n`'s host is reached at from other VPCs: its global one when its VPC is global. */
  const reachAt = async (n: TestbedNode): Promise<string> => {
    const v = (await mesh.api('GET', `/v1/vpcs/${ids.get(n.name)}`)).vpc as ApiVpc
    const g = v.globalPrefixes.find((p) => p.local === n.cidr)
    if (v.mode !== 'global') return n.hostIp
    assert.ok(g !== undefined, `${n.name} is global but has no global prefix for ${n.cidr}`)
    return mapAddress(parseAddress(n.hostIp), parsePrefix(g.local), parsePrefix(g.global)) as string
  }

  const ping = async (from: TestbedNode, to: string): Promise<string> =>
    (await tb.exec(from.hostNs, ['ping', '-c', '3', '-i', '0.2', '-W', '2', to], { allowFail: true })).stdout

  /** A 10 MB transfer from → to; returns the source address the receiver saw. */
  const transfer = async (from: TestbedNode, to: TestbedNode): Promise<string> => {
    const p = String(port++)
    const sink = tb.spawn(to.hostNs, [node, fixture('tcp-sink'), p, 'peer'])
    let out = ''
    sink.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
    })
    await pollUntil('sink listening', () => out.includes('listening'))
    const src = await tb.exec(from.hostNs, [node, fixture('tcp-source'), await reachAt(to), p, MB10])
    await pollUntil('sink done', () => /\nfrom \S+\n/.test(out), { timeoutMs: 30_000 })
    const lines = out.split('\n')
    assert.match(src.stdout, /^10485760 [0-9a-f]{64}/)
    assert.equal(lines[1], src.stdout.trim(), `${from.name} → ${to.name}: SHA-256 differs`)
    return (lines[2] ?? '').replace(/^from (::ffff:)?/, '')
  }

  /** Every direction between `x` and `y`: ping, then a transfer whose source is the sender's mesh address. */
  const pair = async (x: TestbedNode, y: TestbedNode): Promise<void> => {
    for (const [from, to] of [
      [x, y],
      [y, x],
    ] as const) {
      const dst = await reachAt(to)
      const out = await ping(from, dst)
      assert.match(out, / 0% packet loss/, `${from.name} → ${to.name} at ${dst}: ${out}`)
      assert.equal(await transfer(from, to), await reachAt(from), `${to.name} sees ${from.name}'s mesh address`)
    }
  }

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'vpcmesh-global-'))
    tb = await Testbed.create({
      prefix: `vmg${process.pid}`,
      vpcs: [
        { name: 'a', cidr: '10.0.0.0/24' },
        { name: 'b', cidr: '10.0.0.0/24' },
        { name: 'c', cidr: '10.3.0.0/24' },
      ],
    })
    ;[a, b, c] = [tb.node('a'), tb.node('b'), tb.node('c')]
    startDnsmasq(tb, b.hostNs, b.hostIp, work, ['--address=/db.b.internal/10.0.0.77'])
    mesh = new LocalMesh(tb, { launcher: join(root, 'bin', 'vpcmesh'), workDir: work, adminToken: ADMIN })
    await mesh.startController()
    const tokens = new Map<string, string>()
    for (const [n, extra] of [
      [a, ['--global']],
      [b, ['--global']],
      [c, []],
    ] as const) {
      const v = await mesh.addVpc(n, ['--no-masquerade', ...extra])
      ids.set(n.name, v.id)
      tokens.set(n.name, v.joinToken)
    }
    const patched = await mesh.api('PATCH', `/v1/vpcs/${ids.get('b')}`, {
      dnsZones: [{ zone: 'b.internal', server: b.hostIp }],
    })
    assert.equal(patched.vpc.dnsZones.length, 1, JSON.stringify(patched))
    mesh.startAgent(a, tokens.get('a'), { args: ['--dns-listen', `${a.lanIp}:53`] })
    mesh.startAgent(b, tokens.get('b'))
    mesh.startAgent(c, tokens.get('c'))
    await mesh.awaitConverged(45_000)
  })

  after(async () => {
    if (process.exitCode !== undefined && process.exitCode !== 0)
      for (const [k, v] of mesh?.logs ?? []) process.stderr.write(`--- ${k}\n${v.slice(-3000)}\n`)
    await teardownMesh({ mesh, testbed: tb, workDir: work })
  })

  test('a and b got distinct global prefixes for the same CIDR; route list says where a global address lands', async () => {
    const [ga, gb] = [await reachAt(a), await reachAt(b)]
    assert.notEqual(ga, gb)
    assert.match(ga, /^242\./)
    const r = await mesh.mustCli<{ lookup: { localAddress: string; route: { vpcName: string; local: string } } }>([
      'route',
      'list',
      gb,
    ])
    assert.equal(r.lookup.route.vpcName, 'b')
    assert.equal(r.lookup.route.local, b.cidr)
    assert.equal(r.lookup.localAddress, b.hostIp)
  })

  test('a ↔ b (same CIDR, both global): ping both ways, 10 MB each way with matching SHA-256', async () => {
    await pair(a, b)
  })

  test('a ↔ c and b ↔ c while c is in local mode', async () => {
    await pair(a, c)
    await pair(b, c)
  })

  test('c switched to global mode: the agents apply the translation, every pair works at global addresses', async () => {
    const r = await mesh.cli(['vpc', 'set', 'c', '--global'])
    assert.equal(r.code, 0, r.stderr)
    await mesh.awaitConverged(30_000)
    assert.match(await reachAt(c), /^242\./)
    await pollUntil(
      'c reachable at its global address',
      async () => / 0% packet loss/.test(await ping(a, await reachAt(c))),
      {
        timeoutMs: 15_000,
        intervalMs: 250,
      },
    )
    await pair(a, c)
    await pair(b, c)
    await pair(a, b)
  })

  test("a name served inside global b resolves from a's host to b's global address", async () => {
    const dig = async (...args: string[]): Promise<string> =>
      (await tb.exec(a.hostNs, ['dig', `@${a.lanIp}`, '+time=4', '+tries=1', ...args], { allowFail: true })).stdout
    const want = mapAddress(
      parseAddress('10.0.0.77'),
      parsePrefix(b.cidr),
      parsePrefix((await reachAt(b)).replace(/\.\d+$/, '.0/24')),
    )
    await pollUntil('the forwarder answers', async () => (await dig('db.b.internal', '+short')).trim() !== '', {
      timeoutMs: 20_000,
      intervalMs: 250,
    })
    assert.equal((await dig('db.b.internal', '+short')).trim(), want)
    assert.equal((await dig('+tcp', 'db.b.internal', '+short')).trim(), want)
  })

  test('a plain registration overlapping a routed prefix is still 409', async () => {
    // c's old local prefix is free now that c is global: a local-mode VPC may take it…
    const d = await mesh.cli(['vpc', 'add', 'd', '--cidr', c.cidr, '--endpoint', '192.0.2.200:51820'])
    assert.equal(d.code, 0, d.stderr)
    // …and a second plain one overlapping it is refused, as before global mode.
    const e = await mesh.cli(['vpc', 'add', 'e', '--cidr', '10.3.0.128/25', '--endpoint', '192.0.2.201:51820'])
    assert.equal(e.code, 1)
    assert.match(e.stderr, /VPCMESH_ERR_CIDR_OVERLAP: 10\.3\.0\.128\/25 overlaps 10\.3\.0\.0\/24 of VPC "d"/)
    const f = await mesh.cli([
      'vpc',
      'add',
      'f',
      '--cidr',
      (await reachAt(a)).replace(/\.\d+$/, '.0/24'),
      '--endpoint',
      '192.0.2.202:51820',
    ])
    assert.equal(f.code, 1)
    assert.match(f.stderr, /VPCMESH_ERR_CIDR_OVERLAP: .* of VPC "a"/)
    assert.equal((await mesh.cli(['vpc', 'rm', 'd'])).code, 0)
  })
})
