import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pollUntil } from '@vpcmesh/common'
import { AgentStatusDocument } from '@vpcmesh/protocol'
import { LocalMesh, Testbed, AGENT_UDP_PORT, type TestbedNode, firstUdpPayload, teardownMesh } from '@vpcmesh/testbed'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..', '..')
const fixture = (name: string): string => join(here, 'fixtures', `${name}.js`)
const node = process.execPath

if (process.getuid?.() !== 0)
  throw new Error('the end-to-end tests need root (network namespaces, TUN, nftables); run as root')

describe('end to end: three VPCs in network namespaces, real controller and agents', () => {
  let tb: Testbed
  let mesh: LocalMesh
  let work: string
  let a: TestbedNode, b: TestbedNode, c: TestbedNode
  const ids = new Map<string, string>()

  const ping = async (from: TestbedNode, to: string, count = 3): Promise<string> => {
    const r = await tb.exec(from.hostNs, ['ping', '-c', String(count), '-i', '0.2', '-W', '1', to], { allowFail: true })
    return r.stdout
  }
  const loss = (out: string): number => Number(/(\d+(?:\.\d+)?)% packet loss/.exec(out)?.[1] ?? 100)
  const metric = async (n: TestbedNode, re: RegExp): Promise<number> => {
    const text = await mesh.agentGet(n, '/metrics')
    return text
      .split('\n')
      .filter((l) => re.test(l))
      .reduce((s, l) => s + Number(l.split(' ').at(-1)), 0)
  }
  const routesOn = async (n: TestbedNode): Promise<string[]> => {
    const r = await tb.exec(
      n.gwNs,
      ['ip', '-json', 'route', 'show', 'table', 'all', 'dev', 'vpcmesh0', 'proto', '112'],
      { allowFail: true },
    )
    return r.code === 0 && r.stdout.trim() !== ''
      ? (JSON.parse(r.stdout) as Array<{ dst: string }>).map((x) => x.dst).sort()
      : []
  }

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'vpcmesh-e2e-'))
    tb = await Testbed.create({
      prefix: `vme${process.pid}`,
      vpcs: [
        { name: 'a', cidr: '10.1.0.0/24' },
        { name: 'b', cidr: '10.2.0.0/24' },
        { name: 'c', cidr: '10.3.0.0/24' },
      ],
    })
    ;[a, b, c] = [tb.node('a'), tb.node('b'), tb.node('c')]
    mesh = new LocalMesh(tb, {
      launcher: join(root, 'bin', 'vpcmesh'),
      workDir: work,
      adminToken: 'e2e-admin-token-0123456789abcdef',
    })
    await mesh.startController()
    for (const n of [a, b, c]) {
      const v = await mesh.addVpc(n)
      ids.set(n.name, v.id)
      mesh.startAgent(n, v.joinToken)
    }
    await mesh.awaitConverged(45_000)
  })

  after(async () => {
    if (process.exitCode !== undefined && process.exitCode !== 0)
      for (const [k, v] of mesh?.logs ?? []) process.stderr.write(`--- ${k}\n${v.slice(-3000)}\n`)
    await teardownMesh({ mesh, testbed: tb, workDir: work })
  })

  test('ping between every pair of hosts, both directions', async () => {
    for (const from of [a, b, c]) {
      for (const to of [a, b, c]) {
        if (from === to) continue
        const out = await ping(from, to.hostIp)
        assert.equal(loss(out), 0, `${from.name} → ${to.name}: ${out}`)
      }
    }
  })

  test('IPv6: ping between every pair of hosts, and a 10 MB TCP transfer C→A intact', async () => {
    for (const from of [a, b, c]) {
      for (const to of [a, b, c]) {
        if (from === to) continue
        const r = await tb.exec(from.hostNs, ['ping', '-6', '-c', '2', '-i', '0.2', '-W', '1', to.hostIp6], {
          allowFail: true,
        })
        assert.equal(loss(r.stdout), 0, `${from.name} → ${to.name}: ${r.stdout}`)
      }
    }
    const sink = tb.spawn(a.hostNs, [node, fixture('tcp-sink'), '9006'])
    let out = ''
    sink.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
    })
    await pollUntil('sink listening', () => out.includes('listening'))
    const src = await tb.exec(c.hostNs, [node, fixture('tcp-source'), a.hostIp6, '9006', String(10 * 1024 * 1024)])
    await pollUntil('sink done', () => out.split('\n').length > 2, { timeoutMs: 30_000 })
    assert.equal(out.split('\n')[1], src.stdout.trim())
  })

  test('a 10 MB TCP transfer A→B arrives intact (sha256)', async () => {
    const sink = tb.spawn(b.hostNs, [node, fixture('tcp-sink'), '9000'])
    let out = ''
    sink.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
    })
    await pollUntil('sink listening', () => out.includes('listening'))
    const src = await tb.exec(a.hostNs, [node, fixture('tcp-source'), b.hostIp, '9000', String(10 * 1024 * 1024)])
    await pollUntil('sink done', () => out.split('\n').length > 2, { timeoutMs: 30_000 })
    assert.equal(out.split('\n')[1], src.stdout.trim())
    assert.match(src.stdout, /^10485760 [0-9a-f]{64}/)
  })

  test('UDP echo B→C', async () => {
    const srv = tb.spawn(c.hostNs, [node, fixture('udp-echo'), 'server', '9001'])
    let out = ''
    srv.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
    })
    await pollUntil('echo listening', () => out.includes('listening'))
    const r = await tb.exec(b.hostNs, [node, fixture('udp-echo'), 'client', c.hostIp, '9001', '20'])
    assert.equal(r.stdout.trim(), '20')
    await tb.kill(srv)
  })

  test('the underlay carries no plaintext of a known payload', async () => {
    const cap = join(work, 'plain.pcap')
    const dump = tb.spawn(tb.wanNs, ['tcpdump', '-i', 'br0', '-U', '-s', '0', '-w', cap, 'udp'])
    await pollUntil('tcpdump writing', () => {
      try {
        return readFileSync(cap).length >= 24
      } catch {
        return false
      }
    })
    const srv = tb.spawn(c.hostNs, [node, fixture('udp-echo'), 'server', '9002'])
    await pollUntil(
      'echo up',
      async () =>
        (await tb.exec(a.hostNs, [node, fixture('udp-echo'), 'client', c.hostIp, '9002', '1'])).stdout.trim() === '1',
      { timeoutMs: 10_000 },
    )
    const r = await tb.exec(a.hostNs, [node, fixture('udp-echo'), 'client', c.hostIp, '9002', '10'])
    assert.equal(r.stdout.trim(), '10')
    await pollUntil('the capture has the tunnel traffic', () => readFileSync(cap).length > 1000, { timeoutMs: 10_000 })
    await tb.kill(dump, 'SIGINT')
    await tb.kill(srv)
    const bytes = readFileSync(cap)
    assert.ok(bytes.length > 1000, 'the capture saw the tunnel traffic')
    assert.equal(bytes.includes(Buffer.from('vpcmesh-udp-')), false, 'known payload visible on the underlay')
  })

  test('garbage and a replayed datagram are dropped and counted; forwarding goes on', async () => {
    const before = await metric(a, /^vpcmesh_agent_drops_total/)
    await tb.exec(tb.wanNs, [node, fixture('udp-blast'), a.underlayIp, String(AGENT_UDP_PORT), 'random', '200'])
    // Capture one real data message B → A, then replay it.
    const cap = join(work, 'replay.pcap')
    const dump = tb.spawn(tb.wanNs, [
      'tcpdump',
      '-i',
      'br0',
      '-U',
      '-c',
      '1',
      '-s',
      '0',
      '-w',
      cap,
      `udp and src host ${b.underlayIp} and dst host ${a.underlayIp} and greater 120`,
    ])
    await pollUntil('capture running', () => {
      try {
        return readFileSync(cap).length >= 24
      } catch {
        return false
      }
    })
    await ping(b, a.hostIp, 2)
    await pollUntil('captured', () => dump.exitCode !== null, { timeoutMs: 10_000 })
    const replay = join(work, 'replay.bin')
    const { writeFileSync } = await import('node:fs')
    writeFileSync(replay, firstUdpPayload(readFileSync(cap)))
    const replays = await metric(a, /^vpcmesh_agent_drops_total\{.*reason="replay"/)
    await tb.exec(tb.wanNs, [node, fixture('udp-blast'), a.underlayIp, String(AGENT_UDP_PORT), replay, '5'])
    await pollUntil(
      'replays counted',
      async () => (await metric(a, /^vpcmesh_agent_drops_total\{.*reason="replay"/)) >= replays + 5,
    )
    assert.ok((await metric(a, /^vpcmesh_agent_drops_total/)) >= before + 200 + 5, 'garbage counted')
    assert.equal(loss(await ping(b, a.hostIp)), 0, 'still forwarding')
  })

  test("a packet whose inner source is outside the sender's CIDRs is dropped and counted", async () => {
    await tb.exec(b.gwNs, ['ip', 'addr', 'add', '10.99.0.1/32', 'dev', 'lo'])
    const before = await metric(a, /^vpcmesh_agent_drops_total\{.*reason="spoofed_source"/)
    const out = await tb.exec(b.gwNs, ['ping', '-c', '3', '-i', '0.2', '-W', '1', '-I', '10.99.0.1', a.hostIp], {
      allowFail: true,
    })
    assert.equal(loss(out.stdout), 100)
    await pollUntil(
      'spoof counted',
      async () => (await metric(a, /^vpcmesh_agent_drops_total\{.*reason="spoofed_source"/)) >= before + 3,
    )
    assert.equal(loss(await ping(b, a.hostIp)), 0, 'still forwarding')
  })

  test('with the controller killed, ping A→B loses nothing over 10 s; restarted, agents reconnect', async () => {
    await mesh.stopController('SIGKILL')
    const out = await ping(a, b.hostIp, 50)
    assert.equal(loss(out), 0, out)
    await mesh.startController()
    await pollUntil(
      'all agents connected again',
      async () => {
        const st = await mesh.mustCli<{ agents: Array<{ connected: boolean }> }>(['status'])
        return st.agents.every((x) => x.connected)
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    )
    await mesh.awaitConverged()
  })

  test('an agent restarted while the controller is down rebuilds its forwarding from the saved map', async () => {
    await mesh.stopController('SIGKILL')
    await mesh.stopAgent('a')
    assert.deepEqual(await routesOn(a), [], 'routes leave with the TUN device')
    mesh.startAgent(a)
    await pollUntil('A → B forwarding without a controller', async () => loss(await ping(a, b.hostIp, 1)) === 0, {
      timeoutMs: 15_000,
      intervalMs: 100,
    })
    assert.deepEqual(await routesOn(a), ['10.2.0.0/24', '10.3.0.0/24', 'fd00:2::/64', 'fd00:3::/64'])
    await mesh.startController()
    await mesh.awaitConverged()
  })

  test('the agent keeps its key 0600 and serves /healthz, /metrics and a /status the protocol schema reads', async () => {
    const { statSync } = await import('node:fs')
    assert.equal(statSync(join(work, 'a', 'private.key')).mode & 0o777, 0o600)
    assert.equal(statSync(join(work, 'a', 'credential.json')).mode & 0o777, 0o600)
    assert.equal(statSync(join(work, 'a')).mode & 0o777, 0o700)
    assert.deepEqual(JSON.parse(await mesh.agentGet(a, '/healthz')), { status: 'ok' })
    assert.match(await mesh.agentGet(a, '/metrics'), /vpcmesh_agent_peer_up\{peer="b"\} 1/)
    const raw: unknown = JSON.parse(await mesh.agentGet(a, '/status'))
    const parsed = AgentStatusDocument.safeParse(raw)
    assert.ok(parsed.success, `/status does not match AgentStatusDocument: ${JSON.stringify(parsed.error?.issues)}`)
    const st = parsed.data
    assert.deepEqual(st, raw, 'the schema keeps every field the agent serves')
    assert.equal(st.vpc, 'a')
    assert.deepEqual(st.peers.map((p) => p.name).sort(), ['b', 'c'])
    assert.ok(st.host !== null, 'host is read back after an apply')
    assert.deepEqual(st.host.routes.map((r) => `${r.prefix} ${r.dev}`).sort(), [
      '10.2.0.0/24 vpcmesh0',
      '10.3.0.0/24 vpcmesh0',
      'fd00:2::/64 vpcmesh0',
      'fd00:3::/64 vpcmesh0',
    ])
    assert.equal(st.host.nftables, true)
  })

  test('restarting agent A leaves routes and nftables exactly as before; traffic back within 5 s', async () => {
    const snapshot = async (): Promise<string> => {
      const r = await tb.exec(a.gwNs, ['ip', 'route', 'show', 'table', 'all'])
      const n = await tb.exec(a.gwNs, ['nft', 'list', 'table', 'inet', 'vpcmesh'])
      return (
        r.stdout
          .split('\n')
          .filter((l) => !/^(local|broadcast|multicast|fe80|ff00)/.test(l) && !l.includes('table local'))
          .sort()
          .join('\n') +
        '\n' +
        n.stdout
      )
    }
    const before = await snapshot()
    await mesh.stopAgent('a')
    mesh.startAgent(a)
    const t0 = Date.now()
    await pollUntil('A → B forwarding again', async () => loss(await ping(a, b.hostIp, 1)) === 0, {
      timeoutMs: 15_000,
      intervalMs: 100,
    })
    const took = Date.now() - t0
    assert.ok(took < 5000, `traffic resumed after ${took} ms`)
    await mesh.awaitConverged()
    assert.equal(await snapshot(), before)
  })

  test('the TUN device vanishing makes the agent exit 1 for its supervisor; restarted, it forwards again', async () => {
    const proc = mesh.agentProcess('a')
    assert.ok(proc !== undefined)
    await tb.exec(a.gwNs, ['ip', 'link', 'del', 'vpcmesh0'])
    const code = await pollUntil('agent A exited', () => proc.exitCode ?? undefined, {
      timeoutMs: 10_000,
      intervalMs: 50,
    })
    assert.equal(code, 1)
    mesh.startAgent(a)
    await pollUntil('A → B forwarding after the restart', async () => loss(await ping(a, b.hostIp, 1)) === 0, {
      timeoutMs: 15_000,
      intervalMs: 100,
    })
  })

  test('adding a route behind B through the API makes it reachable from A', async () => {
    await tb.exec(b.hostNs, ['ip', 'addr', 'add', '10.22.0.2/24', 'dev', 'lo'])
    await tb.exec(b.gwNs, ['ip', 'route', 'add', '10.22.0.0/24', 'via', b.hostIp])
    assert.notEqual(loss(await ping(a, '10.22.0.2', 1)), 0)
    await mesh.mustCli(['route', 'add', 'b', '10.22.0.0/24'])
    await pollUntil('10.22.0.2 reachable from A', async () => loss(await ping(a, '10.22.0.2', 1)) === 0, {
      timeoutMs: 10_000,
      intervalMs: 200,
    })
  })

  test('deleting VPC C removes its routes on A and B within 5 s', async () => {
    for (const n of [a, b]) assert.ok((await routesOn(n)).includes('10.3.0.0/24'))
    const t0 = Date.now()
    await mesh.mustCli(['vpc', 'rm', 'c'])
    await pollUntil(
      'routes to C gone on A and B',
      async () => !(await routesOn(a)).includes('10.3.0.0/24') && !(await routesOn(b)).includes('10.3.0.0/24'),
      { timeoutMs: 5000, intervalMs: 50 },
    )
    assert.ok(Date.now() - t0 < 5000)
    assert.equal(loss(await ping(a, b.hostIp)), 0)
  })

  test('agent --cleanup removes exactly what vpcmesh added', async () => {
    await mesh.stopAgent('b')
    const before = await tb.exec(b.gwNs, ['ip', 'route', 'show'])
    const r = await tb.exec(b.gwNs, [node, join(root, 'bin', 'vpcmesh'), 'agent', '--cleanup'])
    assert.equal(r.code, 0)
    assert.equal((await tb.exec(b.gwNs, ['nft', 'list', 'tables'])).stdout.includes('vpcmesh'), false)
    assert.equal((await tb.exec(b.gwNs, ['ip', 'link', 'show', 'vpcmesh0'], { allowFail: true })).code !== 0, true)
    assert.match(
      (await tb.exec(b.gwNs, ['ip', 'route', 'show'])).stdout,
      /10\.22\.0\.0\/24 via 10\.2\.0\.2/,
      "the operator's own route stays",
    )
    assert.equal((await tb.exec(b.gwNs, ['ip', 'route', 'show', 'table', 'all', 'proto', '112'])).stdout.trim(), '')
    assert.equal(
      (await tb.exec(b.gwNs, ['ip', '-6', 'route', 'show', 'table', 'all', 'proto', '112'])).stdout.trim(),
      '',
    )
    assert.doesNotMatch((await tb.exec(b.gwNs, ['ip', 'rule', 'show'])).stdout, /fwmark/, 'the policy rule is gone')
    assert.ok(before.stdout.length > 0)
  })
})
