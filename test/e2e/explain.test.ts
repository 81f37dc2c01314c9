// `vpcmesh explain` end to end (docs/operations.md, "Explaining a flow"): a real controller and
// two real agents in namespaces. A working flow reads ok on every hop (exit 0); then, one broken
// piece at a time, restored before the next, explain names that hop (exit 1, firstBroken): the
// tunnel (the DST agent's UDP port dropped by nft), a route deleted by hand on the SRC agent,
// a foreign forward-hook chain with policy drop on the DST agent, and the global DNAT rule
// deleted on a global-mode VPC's agent. DST given as a name is resolved by a's agent through
// its DNS forwarder from a real dnsmasq in VPC b.
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
const ADMIN = 'e2e-admin-token-explain-0123456789ab'
/** The agents' UDP port in LocalMesh. */
const AGENT_UDP_PORT = 51820

if (process.getuid?.() !== 0)
  throw new Error('the end-to-end tests need root (network namespaces, TUN, nftables); run as root')

interface Answer {
  code: number
  body: {
    verdict: string
    firstBroken: string | null
    hops: Array<{ hop: string; verdict: string; evidence: string[]; fix?: string }>
  }
  stderr: string
}

describe('end to end: vpcmesh explain names the broken hop', () => {
  let tb: Testbed
  let mesh: LocalMesh
  let work: string
  let a: TestbedNode, b: TestbedNode, g: TestbedNode
  /** The global address of g's host. */
  let gHost = ''

  const explain = async (dst: string = b.hostIp, src: string = a.hostIp): Promise<Answer> => {
    const r = await mesh.cli(['explain', src, dst, '--proto', 'tcp', '--port', '5432'])
    let body: Answer['body']
    try {
      body = JSON.parse(r.stdout) as Answer['body']
    } catch {
      throw new Error(`explain exited ${r.code} without JSON: ${r.stdout} ${r.stderr}`)
    }
    return { code: r.code, body, stderr: r.stderr }
  }
  const show = (r: Answer): string => JSON.stringify(r.body.hops, null, 1)
  /** Polls explain until `want(answer)`; returns that answer, or fails with the last one. */
  const awaitExplain = async (
    what: string,
    want: (r: Answer) => boolean,
    timeoutMs = 30_000,
    flow: [string?, string?] = [],
  ): Promise<Answer> => {
    let last: Answer | undefined
    try {
      await pollUntil(
        what,
        async () => {
          last = await explain(...flow)
          return want(last)
        },
        { timeoutMs, intervalMs: 250 },
      )
    } catch (e) {
      throw new Error(`${(e as Error).message}; last answer: ${last === undefined ? 'none' : show(last)}`)
    }
    return last as Answer
  }
  const allOk = (r: Answer): boolean => r.code === 0 && r.body.verdict === 'ok'
  const brokenAt =
    (hop: string) =>
    (r: Answer): boolean =>
      r.code === 1 && r.body.firstBroken === hop && /VPCMESH_ERR_CLI_FLOW_BROKEN/.test(r.stderr)
  const agentStatus = async (n: TestbedNode): Promise<{ tun: { name: string }; host: { table: number } }> =>
    JSON.parse(await mesh.agentGet(n, '/status'))

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'vpcmesh-explain-'))
    tb = await Testbed.create({
      prefix: `vmx${process.pid}`,
      vpcs: [
        { name: 'a', cidr: '10.1.0.0/24' },
        { name: 'b', cidr: '10.2.0.0/24' },
        { name: 'g', cidr: '10.3.0.0/24' },
      ],
    })
    ;[a, b, g] = [tb.node('a'), tb.node('b'), tb.node('g')]
    startDnsmasq(tb, b.hostNs, b.hostIp, work, ['--address=/db.corp.internal/10.2.0.77'])
    mesh = new LocalMesh(tb, { launcher: join(root, 'bin', 'vpcmesh'), workDir: work, adminToken: ADMIN })
    await mesh.startController()
    const va = await mesh.addVpc(a)
    const vb = await mesh.addVpc(b)
    const vg = await mesh.addVpc(g, ['--global'])
    const shown = await mesh.mustCli<{ vpc: { globalPrefixes: Array<{ local: string; global: string }> } }>([
      'vpc',
      'show',
      'g',
    ])
    const pair = shown.vpc.globalPrefixes.find((p) => p.local === g.cidr)
    assert.ok(pair !== undefined, JSON.stringify(shown))
    gHost = `${pair.global.split('/')[0]?.split('.').slice(0, 3).join('.')}.2`
    await mesh.api('PATCH', `/v1/vpcs/${vb.id}`, { dnsZones: [{ zone: 'corp.internal', server: b.hostIp }] })
    mesh.startAgent(a, va.joinToken, { args: ['--dns-listen', `${a.lanIp}:53`] })
    mesh.startAgent(b, vb.joinToken)
    mesh.startAgent(g, vg.joinToken)
    await mesh.awaitConverged(45_000)
  })

  after(async () => {
    if (process.exitCode !== undefined && process.exitCode !== 0)
      for (const [k, v] of mesh?.logs ?? []) process.stderr.write(`--- ${k}\n${v.slice(-3000)}\n`)
    await tb?.exec(b.gwNs, ['nft', 'delete', 'table', 'inet', 'vmxtest'], { allowFail: true })
    await tb?.exec(b.gwNs, ['nft', 'delete', 'table', 'ip', 'vmxfw'], { allowFail: true })
    await teardownMesh({ mesh, testbed: tb, workDir: work })
  })

  test('a working flow: every hop ok, exit 0', async () => {
    const r = await awaitExplain('every hop ok', allOk)
    assert.deepEqual(
      r.body.hops.map((h) => [h.hop, h.verdict]),
      ['locate', 'route', 'tunnel', 'mtu', 'route-back', 'forward'].map((h) => [h, 'ok']),
    )
    const route = r.body.hops.find((h) => h.hop === 'route')
    assert.match(route?.evidence[0] ?? '', /^10\.2\.0\.0\/24 dev \S+ in table \d+ \(kernel, read now\)$/)
    const tunnel = r.body.hops.find((h) => h.hop === 'tunnel')
    assert.match(tunnel?.evidence[0] ?? '', /up: last handshake \d+ s ago, RTT [\d.]+ ms/)
  })

  test('DST as a name: resolved by the source agent through its forwarder, then every hop ok', async () => {
    const r = await explain('db.corp.internal')
    assert.equal(r.code, 0, show(r))
    const dns = r.body.hops.find((h) => h.hop === 'dns')
    assert.equal(dns?.verdict, 'ok', show(r))
    assert.match(dns?.evidence[0] ?? '', /^db\.corp\.internal → 10\.2\.0\.77 via the agent's DNS forwarder/)
    assert.match(dns?.evidence[1] ?? '', /zone corp\.internal of VPC b/)
    assert.deepEqual(
      r.body.hops.map((h) => h.hop),
      ['locate', 'dns', 'route', 'tunnel', 'mtu', 'route-back', 'forward'],
    )
  })

  test('the tunnel down (the DST agent drops tunnel UDP): broken at tunnel, exit 1', async () => {
    await tb.exec(b.gwNs, ['nft', 'add', 'table', 'inet', 'vmxtest'])
    await tb.exec(b.gwNs, [
      'nft',
      'add chain inet vmxtest udpin { type filter hook input priority -10; policy accept; }',
    ])
    await tb.exec(b.gwNs, [
      'nft',
      'add',
      'rule',
      'inet',
      'vmxtest',
      'udpin',
      'udp',
      'dport',
      String(AGENT_UDP_PORT),
      'drop',
    ])
    const r = await awaitExplain('broken at tunnel', brokenAt('tunnel'))
    // Only b's side receives nothing: a still hears b, b does not hear a.
    const tunnel = r.body.hops.find((h) => h.hop === 'tunnel')
    assert.ok(
      tunnel?.evidence.some((e) => /^tunnel b → a DOWN/.test(e)),
      show(r),
    )
    assert.ok(tunnel?.evidence.includes('b receives nothing authenticated from a'), show(r))
    assert.match(tunnel?.fix ?? '', /UDP from it to b's endpoint/)
    await tb.exec(b.gwNs, ['nft', 'delete', 'table', 'inet', 'vmxtest'])
    await awaitExplain('every hop ok again', allOk)
  })

  test('a route deleted by hand on the SRC agent: broken at route, exit 1', async () => {
    const st = await agentStatus(a)
    const del = ['ip', 'route', 'del', b.cidr, 'table', String(st.host.table)]
    // The agent's repair (every 30 s) may put the route back between the delete and the probe:
    // delete again until one answer catches it.
    let r: Answer | undefined
    for (let i = 0; i < 3 && !(r !== undefined && brokenAt('route')(r)); i++) {
      await tb.exec(a.gwNs, del, { allowFail: true })
      r = await explain()
    }
    assert.ok(r !== undefined && brokenAt('route')(r), r === undefined ? 'no answer' : show(r))
    const route = r.body.hops.find((h) => h.hop === 'route')
    assert.match(route?.evidence[0] ?? '', new RegExp(`^no route for 10\\.2\\.0\\.0/24 in table ${st.host.table}`))
    assert.match(route?.fix ?? '', /ip route replace 10\.2\.0\.0\/24 dev \S+ table \d+/)
    await tb.exec(a.gwNs, [
      'ip',
      'route',
      'replace',
      b.cidr,
      'dev',
      st.tun.name,
      'table',
      String(st.host.table),
      'proto',
      '112',
    ])
    await awaitExplain('every hop ok again', allOk)
  })

  test('a foreign forward chain with policy drop on the DST agent: broken at forward, exit 1', async () => {
    const st = await agentStatus(b)
    await tb.exec(b.gwNs, ['nft', 'add', 'table', 'ip', 'vmxfw'])
    await tb.exec(b.gwNs, ['nft', 'add chain ip vmxfw fwdrop { type filter hook forward priority 0; policy drop; }'])
    const r = await awaitExplain('broken at forward', brokenAt('forward'))
    const fwd = r.body.hops.find((h) => h.hop === 'forward')
    assert.ok(
      fwd?.evidence.some(
        (e) => e === `b: table ip vmxfw chain fwdrop (hook forward, policy drop) has no accept for ${st.tun.name}`,
      ),
      show(r),
    )
    assert.match(fwd?.fix ?? '', new RegExp(`nft insert rule ip vmxfw fwdrop iifname "${st.tun.name}" accept`))
    // The fix it prints makes the flow ok.
    await tb.exec(b.gwNs, ['nft', 'insert', 'rule', 'ip', 'vmxfw', 'fwdrop', 'iifname', st.tun.name, 'accept'])
    await tb.exec(b.gwNs, ['nft', 'insert', 'rule', 'ip', 'vmxfw', 'fwdrop', 'oifname', st.tun.name, 'accept'])
    await awaitExplain('ok with the accept rules', allOk)
    await tb.exec(b.gwNs, ['nft', 'delete', 'table', 'ip', 'vmxfw'])
    await awaitExplain('every hop ok at the end', allOk)
  })

  test('a global-mode VPC: the nat hop shows both translations; a DNAT rule deleted by hand is named', async () => {
    const into = await awaitExplain('into g: every hop ok', allOk, 30_000, [gHost])
    const nat = into.body.hops.find((h) => h.hop === 'nat')
    assert.deepEqual(nat?.evidence, [
      `destination ${gHost} → ${g.hostIp} entering VPC g (${g.cidr} ↔ ${gHost.replace(/\.2$/, '.0/24')})`,
      'rule vpcmesh:global-dnat-v4-0 loaded',
    ])
    const out = await awaitExplain('out of g: every hop ok', allOk, 30_000, [b.hostIp, g.hostIp])
    assert.match(
      out.body.hops.find((h) => h.hop === 'nat')?.evidence[0] ?? '',
      new RegExp(`^source ${g.hostIp.replaceAll('.', '\\.')} → `),
    )
    // Delete the DNAT rule (found by its comment) in g's agent namespace. The agent's repair
    // (every 30 s) may reload it before the probe: delete again until one answer catches it.
    const deleteDnat = async (): Promise<void> => {
      const listed = await tb.exec(g.gwNs, ['nft', '-j', '-a', 'list', 'table', 'inet', 'vpcmesh'])
      const table = JSON.parse(listed.stdout) as {
        nftables: Array<{ rule?: { chain: string; handle: number; comment?: string } }>
      }
      const rule = table.nftables.find((o) => o.rule?.comment?.startsWith('vpcmesh:global-dnat-v4-0:') === true)?.rule
      if (rule !== undefined)
        await tb.exec(g.gwNs, ['nft', 'delete', 'rule', 'inet', 'vpcmesh', rule.chain, 'handle', String(rule.handle)])
    }
    let broken: Answer | undefined
    for (let i = 0; i < 3 && !(broken !== undefined && brokenAt('nat')(broken)); i++) {
      await deleteDnat()
      broken = await explain(gHost)
    }
    assert.ok(broken !== undefined && brokenAt('nat')(broken), broken === undefined ? 'no answer' : show(broken))
    assert.ok(
      broken.body.hops.find((h) => h.hop === 'nat')?.evidence.includes('rule vpcmesh:global-dnat-v4-0 NOT loaded'),
    )
    // The agent's repair (every 30 s) reloads its table.
    await awaitExplain('the agent restored its NAT rules', allOk, 45_000, [gHost])
  })
})
