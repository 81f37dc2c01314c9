// Gateway high availability end to end (docs/operations.md, "Gateway high availability"):
// VPC a has two gateways on one LAN with a floating address (routeTable provider `vip`); its
// host routes everything to the VIP. VPC b has one gateway. Real controller (heartbeat 500 ms,
// so the lease is 1.5 s), real agents (keepalive 1 s), real TUN, routes and nftables.
//
//   a-host ─┐                               ┌─ b-gw ── b-host
//   a-gw1 ──┼─ br0 (a-lan) ...  underlay br0 ┤
//   a-gw2 ──┘                               └─ wan: controller
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pollUntil } from '@vpcmesh/common'
import {
  type HaGateway,
  LocalMesh,
  Testbed,
  type TestbedNode,
  buildHaLan,
  startHaGateway,
  teardownMesh,
} from '@vpcmesh/testbed'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..', '..')
const ADMIN = 'e2e-admin-token-ha-0123456789abcdef'
const VIP = '10.1.0.254'
const IPERF_PORT = 5299

if (process.getuid?.() !== 0)
  throw new Error('the end-to-end tests need root (network namespaces, TUN, nftables); run as root')

type Gw = HaGateway

interface ApiVpc {
  id: string
  gateways: Array<{ id: string; name: string }>
  active: { gateway: string; epoch: number; reason: string } | null
}

describe('end to end: a VPC with two gateways and a floating address', () => {
  let tb: Testbed
  let mesh: LocalMesh
  let work: string
  let a: TestbedNode, b: TestbedNode
  let vpcA = ''
  const gws: Gw[] = []

  const vpc = async (): Promise<ApiVpc> => ((await mesh.api('GET', `/v1/vpcs/${vpcA}`)) as { vpc: ApiVpc }).vpc
  const gwById = async (id: string): Promise<Gw> => {
    const name = (await vpc()).gateways.find((g) => g.id === id)?.name
    const g = gws.find((x) => x.name === name)
    if (g === undefined) throw new Error(`no gateway ${id}`)
    return g
  }
  const holdsVip = async (g: Gw): Promise<boolean> => {
    const r = await tb.exec(g.ns, ['ip', '-o', '-4', 'address', 'show', 'dev', 'lan0'], { allowFail: true })
    return r.stdout.includes(`${VIP}/24`)
  }
  /** Waits until the controller names an active gateway that holds the VIP (and no other does). */
  const awaitActive = async (not?: string): Promise<{ gw: Gw; epoch: number }> => {
    let out: { gw: Gw; epoch: number } | undefined
    await pollUntil(
      'an elected active gateway holding the VIP alone',
      async () => {
        const v = await vpc()
        if (v.active === null || v.active.gateway === not) return false
        const gw = await gwById(v.active.gateway)
        const others = gws.filter((g) => g !== gw)
        if (!(await holdsVip(gw))) return false
        for (const o of others) if (mesh.agentProcess(o.label) !== undefined && (await holdsVip(o))) return false
        out = { gw, epoch: v.active.epoch }
        return true
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    )
    return out as { gw: Gw; epoch: number }
  }
  const pingOnce = async (): Promise<boolean> =>
    (await tb.exec(a.hostNs, ['ping', '-c', '1', '-W', '1', b.hostIp], { allowFail: true })).code === 0

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'vpcmesh-ha-'))
    tb = await Testbed.create({
      prefix: `vmh${process.pid}`,
      vpcs: [
        { name: 'a', cidr: '10.1.0.0/24' },
        { name: 'b', cidr: '10.2.0.0/24' },
      ],
    })
    ;[a, b] = [tb.node('a'), tb.node('b')]
    // VPC a's LAN becomes a bridge shared by the host and two gateways.
    const lan = await buildHaLan(tb, a)
    gws.push(...lan.gateways)
    mesh = new LocalMesh(tb, {
      launcher: join(root, 'bin', 'vpcmesh'),
      workDir: work,
      adminToken: ADMIN,
      heartbeatMs: 500,
    })
    await mesh.startController()
    // Masquerade off: the hosts of an HA VPC route the mesh back through the VIP, so a flow
    // keeps its addresses whichever gateway carries it.
    const created = (await mesh.api('POST', '/v1/vpcs', {
      name: 'a',
      cidrs: [a.cidr],
      endpoint: `${a.underlayIp}:51820`,
      masquerade: false,
      routeTable: { provider: 'vip', vip: `${VIP}/24` },
    })) as { vpc: { id: string }; joinToken: string }
    vpcA = created.vpc.id
    const vb = await mesh.addVpc(b)
    mesh.startAgent(b, vb.joinToken)
    const start = (g: Gw, token?: string): void => {
      startHaGateway(mesh, a, g, token)
    }
    start(gws[0] as Gw, created.joinToken)
    await pollUntil('first gateway enrolled', async () => (await vpc()).gateways.length === 1, {
      timeoutMs: 30_000,
      intervalMs: 100,
    })
    const t2 = (await mesh.api('POST', `/v1/vpcs/${vpcA}/join-token`)) as { joinToken: string }
    start(gws[1] as Gw, t2.joinToken)
    await pollUntil('second gateway enrolled', async () => (await vpc()).gateways.length === 2, {
      timeoutMs: 30_000,
      intervalMs: 100,
    })
    await awaitActive()
    try {
      await pollUntil('host a reaches host b through the VIP', pingOnce, { timeoutMs: 30_000, intervalMs: 200 })
    } catch (e) {
      process.stderr.write(`b status: ${await mesh.agentGet(b, '/status').catch(String)}\n`)
      for (const g of gws) {
        const st = await tb.exec(tb.wanNs, ['curl', '-s', `http://${g.underlayIp}:7701/status`], { allowFail: true })
        process.stderr.write(`${g.name} status: ${st.stdout}\n`)
        const r = await tb.exec(g.ns, ['ip', 'route', 'show', 'table', 'all'], { allowFail: true })
        process.stderr.write(`${g.name} routes: ${r.stdout}\n`)
      }
      for (const [ns, argv] of [
        [a.hostNs, ['ip', 'neigh']],
        [a.hostNs, ['ip', 'route']],
        [a.hostNs, ['ping', '-c', '1', '-W', '1', b.hostIp]],
        [a.gwNs, ['ip', 'addr', 'show', 'lan0']],
        [a.gwNs, ['ip', 'rule']],
        [a.gwNs, ['nft', 'list', 'ruleset']],
        [a.gwNs, ['sysctl', 'net.ipv4.ip_forward', 'net.ipv4.conf.all.rp_filter', 'net.ipv4.conf.lan0.rp_filter']],
        [b.gwNs, ['ip', 'rule']],
      ] as Array<[string, string[]]>) {
        const r = await tb.exec(ns, argv, { allowFail: true })
        process.stderr.write(`${ns} ${argv.join(' ')}: ${r.stdout}${r.stderr}\n`)
      }
      process.stderr.write(`vpc: ${JSON.stringify(await vpc())}\n`)
      throw e
    }
  })

  after(async () => {
    if (process.exitCode !== undefined && process.exitCode !== 0)
      for (const [k, v] of mesh?.logs ?? []) process.stderr.write(`--- ${k}\n${v.slice(-3000)}\n`)
    await teardownMesh({ mesh, testbed: tb, workDir: work })
  })

  test('exactly one gateway is active; both are in the map with their own keys', async () => {
    const v = await vpc()
    assert.equal(v.gateways.length, 2)
    assert.notEqual(v.active, null)
    assert.ok(
      v.gateways.some((g) => g.id === v.active?.gateway),
      'the active gateway is one of the VPC gateways',
    )
    const held = await Promise.all(gws.map(holdsVip))
    assert.deepEqual(held.filter(Boolean).length, 1, `VIP holders: ${JSON.stringify(held)}`)
    const st = JSON.parse(await mesh.agentGet(b, '/status')) as { peers: Array<{ id: string; up: boolean }> }
    const toA = st.peers.filter((p) => p.id.startsWith(`${vpcA}/`))
    assert.equal(toA.length, 2, `b keeps a tunnel to each gateway of a: ${JSON.stringify(st.peers)}`)
  })

  test('drain moves the active role with no lost ping at 10 ms intervals', async () => {
    const before = await awaitActive()
    const ping = tb.spawn(a.hostNs, ['ping', '-n', '-i', '0.01', '-c', '600', '-W', '1', b.hostIp])
    let out = ''
    ping.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
    })
    await pollUntil('ping running', async () => out.includes('bytes from'), { timeoutMs: 5000, intervalMs: 20 })
    const g = (await vpc()).gateways.find((x) => x.name === before.gw.name)
    const answer = await mesh.api('POST', `/v1/vpcs/${vpcA}/gateways/${g?.id}/drain`)
    const drained = answer as { vpc: ApiVpc }
    assert.ok(drained.vpc !== undefined, `drain answered ${JSON.stringify(answer)}`)
    assert.equal(drained.vpc.active?.reason, 'drain')
    assert.equal(drained.vpc.active?.epoch, before.epoch + 1)
    const afterDrain = await awaitActive(g?.id)
    assert.notEqual(afterDrain.gw.name, before.gw.name)
    const code = await exited(ping)
    const m = /(\d+) packets transmitted, (\d+) received/.exec(out)
    assert.ok(m !== null, `ping printed no summary: ${out.slice(-300)}`)
    const lost = Number(m[1]) - Number(m[2])
    process.stdout.write(`# drain: ${m[1]} pings at 10 ms, ${lost} lost (exit ${code})\n`)
    assert.equal(lost, 0, `pings lost during the drain: ${lost}`)
    // The drained gateway comes back as an eligible standby once its agent reconnects.
    await mesh.stopAgent(before.gw.label)
  })

  /** Both gateways run (a stopped one restarted), connected and undrained. */
  const bothRunning = async (): Promise<void> => {
    for (const g of gws) if (mesh.agentProcess(g.label) === undefined) startHaGateway(mesh, a, g)
    await pollUntil(
      'both gateways connected and undrained',
      async () => {
        const st = (await mesh.api('GET', '/v1/status')) as {
          agents: Array<{ id: string; gateways: Array<{ connected: boolean; drained: boolean }> }>
        }
        const gs = st.agents.find((x) => x.id === vpcA)?.gateways ?? []
        return gs.length === 2 && gs.every((x) => x.connected && !x.drained)
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    )
  }

  test('peers that cannot reach the active gateway (its tunnels blocked) move the role to the standby', async () => {
    await bothRunning()
    const before = await awaitActive()
    const block = [
      'table inet hablock {',
      '  chain in { type filter hook input priority -10; udp dport 51820 drop; }',
      '  chain out { type filter hook output priority -10; udp sport 51820 drop; }',
      '}',
    ].join('\n')
    await tb.exec(before.gw.ns, ['nft', '-f', '-'], { input: block })
    const t0 = Date.now()
    try {
      const g = (await vpc()).gateways.find((x) => x.name === before.gw.name)
      const after = await awaitActive(g?.id)
      const v = await vpc()
      assert.equal(v.active?.reason, 'failover')
      assert.equal(after.epoch, before.epoch + 1)
      await pollUntil('host a reaches host b through the new active gateway', pingOnce, { timeoutMs: 20_000 })
      process.stdout.write(
        `# data-plane failover: ${((Date.now() - t0) / 1000).toFixed(1)} s after blocking the tunnels\n`,
      )
    } finally {
      await tb.exec(before.gw.ns, ['nft', 'delete', 'table', 'inet', 'hablock'], { allowFail: true })
    }
  })

  test('partition: the active gateway loses only its controller; the standby takes over and the old one gives way', async () => {
    await bothRunning()
    const before = await awaitActive()
    const block = 'table inet hapart {\n  chain out { type filter hook output priority -10; tcp dport 7700 drop; }\n}'
    await tb.exec(before.gw.ns, ['nft', '-f', '-'], { input: block })
    try {
      const g = (await vpc()).gateways.find((x) => x.name === before.gw.name)
      // awaitActive also requires that no other running gateway holds the VIP: the cut-off one
      // must have noticed the new holder and released it.
      const after = await awaitActive(g?.id)
      assert.equal(after.epoch, before.epoch + 1)
      assert.equal(await holdsVip(before.gw), false, 'the cut-off gateway gave the VIP up')
      await pollUntil('host a reaches host b through the new active gateway', pingOnce, { timeoutMs: 20_000 })
      // Never two holders from now on, sampled for 3 s.
      const until = Date.now() + 3000
      while (Date.now() < until) {
        const held = await Promise.all(gws.map(holdsVip))
        assert.equal(held.filter(Boolean).length, 1, `VIP holders: ${JSON.stringify(held)}`)
      }
    } finally {
      await tb.exec(before.gw.ns, ['nft', 'delete', 'table', 'inet', 'hapart'], { allowFail: true })
    }
  })

  test('controller killed during a failover: the standby keeps its tunnels; the election resumes when it returns', async () => {
    await bothRunning()
    const before = await awaitActive()
    const beforeId = (await vpc()).gateways.find((x) => x.name === before.gw.name)?.id
    const standby = gws.find((g) => g !== before.gw) as Gw
    await mesh.stopController('SIGKILL')
    await mesh.stopAgent(before.gw.label, 'SIGKILL')
    // No controller, no election; the data plane stays: b still holds an up tunnel to the standby.
    const st = JSON.parse(await mesh.agentGet(b, '/status')) as { peers: Array<{ name: string; up: boolean }> }
    assert.equal(st.peers.find((p) => p.name === `a/${standby.name}`)?.up, true, JSON.stringify(st.peers))
    const t0 = Date.now()
    await mesh.startController()
    const after = await awaitActive(beforeId)
    assert.equal(after.gw.name, standby.name)
    assert.equal(after.epoch, before.epoch + 1)
    await pollUntil('host a reaches host b through the standby', pingOnce, { timeoutMs: 20_000 })
    process.stdout.write(
      `# controller back: standby active ${((Date.now() - t0) / 1000).toFixed(1)} s after the restart\n`,
    )
  })

  test('kill -9 of the active agent and loss of its uplink: the TCP stream survives, outage ≤ 3 s', async () => {
    await bothRunning()
    const active = await awaitActive()
    const server = tb.spawn(b.hostNs, ['iperf3', '-s', '-1', '-p', String(IPERF_PORT)])
    server.stdout?.resume()
    server.stderr?.resume()
    await pollUntil('iperf3 server listening', async () => {
      const r = await tb.exec(b.hostNs, ['ss', '-Hltn', `sport = :${IPERF_PORT}`], { allowFail: true })
      return r.stdout.trim() !== ''
    })
    const client = tb.spawn(a.hostNs, [
      'timeout',
      '60',
      'iperf3',
      '-c',
      b.hostIp,
      '-p',
      String(IPERF_PORT),
      '-t',
      '12',
      '-i',
      '1',
      '-b',
      '20M',
      '-J',
    ])
    let json = ''
    client.stdout?.on('data', (d: Buffer) => {
      json += d.toString()
    })
    client.stderr?.resume()
    // The stream is in steady state (5 MB through b's tunnel from the active gateway), then the
    // active gateway's VM "dies": process and uplink.
    const rxFrom = async (): Promise<number> => {
      const st = JSON.parse(await mesh.agentGet(b, '/status')) as { peers: Array<{ name: string; rxBytes: number }> }
      return st.peers.find((p) => p.name === `a/${active.gw.name}`)?.rxBytes ?? 0
    }
    const base = await rxFrom()
    await pollUntil('5 MB of the stream through the active gateway', async () => (await rxFrom()) - base > 5e6, {
      timeoutMs: 20_000,
      intervalMs: 100,
    })
    const killedAt = Date.now()
    await mesh.stopAgent(active.gw.label, 'SIGKILL')
    await tb.exec(active.gw.ns, ['ip', 'link', 'del', 'eth0'])
    const next = await awaitActive(((await vpc()).gateways.find((g) => g.name === active.gw.name) as { id: string }).id)
    const electedS = (Date.now() - killedAt) / 1000
    const code = await exited(client)
    await exited(server)
    assert.equal(code, 0, `iperf3 exited ${code}: ${json.slice(-500)}`)
    const intervals = (JSON.parse(json) as { intervals: Array<{ sum: { bits_per_second: number } }> }).intervals.map(
      (i) => i.sum.bits_per_second,
    )
    const outage = intervals.filter((bps) => bps < 1e6).length
    process.stdout.write(
      `# failover: new active ${next.gw.name} (epoch ${next.epoch}) ${electedS.toFixed(2)} s after kill -9; ` +
        `iperf3 1 s intervals (Mbit/s): ${intervals.map((x) => (x / 1e6).toFixed(1)).join(' ')}; outage ${outage} s\n`,
    )
    assert.ok(next.epoch > active.epoch, 'the new active gateway holds a newer epoch')
    assert.ok(outage <= 3, `traffic stopped for ${outage} one-second intervals (at most 3 allowed)`)
  })
})

/** Resolves with the exit code of `c` (also when it already exited). */
async function exited(c: ChildProcess): Promise<number> {
  if (c.exitCode !== null) return c.exitCode
  return await new Promise((resolve) => {
    c.once('exit', (code) => {
      resolve(code ?? -1)
    })
  })
}
