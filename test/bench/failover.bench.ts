/**
 * Gateway failover benchmark (not a test). VPC a has two gateways on one LAN with a floating
 * address (docs/operations.md, "Gateway high availability"), VPC b one gateway; controller
 * heartbeat 1 s (lease 3 s), agent keepalive 1 s. Under load (iperf3 at 20 Mbit/s and a ping
 * every 10 ms from host a to host b) it fails the active gateway ROUNDS times in each of two
 * ways and prints each outage (the longest gap between ping replies) with the median and
 * maximum:
 *   process  kill -9 of the active agent: its connection closes, the lease is released at once;
 *   vm       its uplink goes down first, then kill -9: no close reaches the controller, the
 *            role moves when the heartbeat times out (three heartbeats).
 * After each failover the failed gateway is brought back and both must be connected again.
 * Usage (root): node test/dist/bench/failover.bench.js [rounds=5]
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pollUntil } from '@vpcmesh/common'
import { type HaGateway, LocalMesh, Testbed, buildHaLan, startHaGateway } from '@vpcmesh/testbed'

const ROUNDS = Math.max(1, Math.min(20, Number(process.argv[2] ?? 5)))
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const ADMIN = 'bench-admin-token-ha-0123456789abcdef'

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? Number.NaN
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root (network namespaces)')
  const work = mkdtempSync(join(tmpdir(), 'vpcmesh-bench-ha-'))
  const tb = await Testbed.create({
    prefix: `vmf${process.pid}`,
    vpcs: [
      { name: 'a', cidr: '10.1.0.0/24' },
      { name: 'b', cidr: '10.2.0.0/24' },
    ],
  })
  const [a, b] = [tb.node('a'), tb.node('b')]
  const mesh = new LocalMesh(tb, {
    launcher: join(root, 'bin', 'vpcmesh'),
    workDir: work,
    adminToken: ADMIN,
    heartbeatMs: 1000,
  })
  const load: ChildProcess[] = []
  try {
    const lan = await buildHaLan(tb, a)
    await mesh.startController()
    const created = await mesh.api('POST', '/v1/vpcs', {
      name: 'a',
      cidrs: [a.cidr],
      endpoint: `${a.underlayIp}:51820`,
      masquerade: false,
      routeTable: { provider: 'vip', vip: lan.vipPrefix },
    })
    const id = created.vpc.id as string
    mesh.startAgent(b, (await mesh.addVpc(b)).joinToken)
    const gateways = async (): Promise<Array<{ id: string; name: string }>> =>
      (await mesh.api('GET', `/v1/vpcs/${id}`)).vpc.gateways
    const [g1, g2] = lan.gateways as [HaGateway, HaGateway]
    startHaGateway(mesh, a, g1, created.joinToken)
    await pollUntil('gateway 1 enrolled', async () => (await gateways()).length === 1, { timeoutMs: 30_000 })
    startHaGateway(mesh, a, g2, (await mesh.api('POST', `/v1/vpcs/${id}/join-token`)).joinToken)
    const bothConnected = async (): Promise<boolean> => {
      const st = await mesh.api('GET', '/v1/status')
      const gs = (st.agents as Array<{ id: string; gateways: Array<{ connected: boolean }> }>).find((x) => x.id === id)
      return gs?.gateways.length === 2 && gs.gateways.every((x) => x.connected)
    }
    await pollUntil('both gateways connected', bothConnected, { timeoutMs: 30_000, intervalMs: 200 })
    const activeGw = async (): Promise<HaGateway | undefined> => {
      const v = (await mesh.api('GET', `/v1/vpcs/${id}`)).vpc as {
        active: { gateway: string } | null
        gateways: Array<{ id: string; name: string }>
      }
      const name = v.gateways.find((g) => g.id === v.active?.gateway)?.name
      return lan.gateways.find((g) => g.name === name)
    }
    const reach = async (): Promise<boolean> =>
      (await tb.exec(a.hostNs, ['ping', '-c', '1', '-W', '1', b.hostIp], { allowFail: true })).code === 0
    await pollUntil('host a reaches host b', reach, { timeoutMs: 30_000, intervalMs: 200 })

    // Load: iperf3 at 20 Mbit/s and a timestamped ping every 10 ms, both bounded in time.
    const seconds = ROUNDS * 2 * 20 + 30
    const srv = tb.spawn(b.hostNs, ['iperf3', '-s', '-1', '-p', '5202'])
    load.push(srv)
    srv.stdout?.resume()
    srv.stderr?.resume()
    await pollUntil('iperf3 server listening', async () =>
      (await tb.exec(b.hostNs, ['ss', '-Hltn', 'sport = :5202'])).stdout.includes('5202'),
    )
    const iperf = tb.spawn(a.hostNs, ['iperf3', '-c', b.hostIp, '-p', '5202', '-t', String(seconds), '-b', '20M'])
    load.push(iperf)
    iperf.stdout?.resume()
    iperf.stderr?.resume()
    const replies: number[] = []
    // Bounded by `timeout`, not `-w`: with a deadline, ping exits at the first ICMP error (a dead
    // gateway's "net unreachable"), which is exactly what a failover produces.
    const ping = tb.spawn(a.hostNs, ['timeout', String(seconds), 'ping', '-D', '-n', '-i', '0.01', b.hostIp])
    load.push(ping)
    let buf = ''
    ping.stdout?.on('data', (d: Buffer) => {
      buf += d.toString()
      const lines = buf.split('\n')
      buf = lines.pop() ?? ''
      for (const l of lines) {
        const m = /^\[(\d+\.\d+)\].*bytes from/.exec(l)
        if (m !== null) replies.push(Number(m[1]))
      }
    })
    ping.stderr?.resume()
    await pollUntil('ping replies flowing', async () => replies.length > 100, { timeoutMs: 10_000 })

    /** On a failed wait: what the ping saw, who is active, who holds the VIP, the host's ARP cache. */
    const diagnose = async (e: unknown): Promise<never> => {
      const ago = (Date.now() / 1000 - (replies.at(-1) ?? 0)).toFixed(1)
      console.error(
        `replies ${replies.length}, last ${ago} s ago, ping exit ${ping.exitCode}; tail: ${buf.slice(-300)}`,
      )
      console.error(`active: ${(await activeGw())?.name}`)
      console.error(`host neigh: ${(await tb.exec(a.hostNs, ['ip', 'neigh'])).stdout}`)
      for (const g of lan.gateways)
        console.error(`${g.name}: ${(await tb.exec(g.ns, ['ip', '-o', '-4', 'addr', 'show', 'dev', 'lan0'])).stdout}`)
      throw e
    }
    const results: Record<string, number[]> = { process: [], vm: [] }
    for (const mode of ['process', 'vm'] as const) {
      for (let i = 0; i < ROUNDS; i++) {
        const victim = await activeGw()
        if (victim === undefined) throw new Error('no active gateway')
        const from = Date.now() / 1000
        if (mode === 'vm') await tb.exec(victim.ns, ['ip', 'link', 'set', 'eth0', 'down'])
        await mesh.stopAgent(victim.label, 'SIGKILL')
        await pollUntil(
          'the other gateway active and replies flowing again',
          async () => (await activeGw()) !== victim && (replies.at(-1) ?? 0) > Date.now() / 1000 - 0.2,
          { timeoutMs: 30_000, intervalMs: 50 },
        ).catch(diagnose)
        // Let replies accumulate past the outage, then measure the longest gap since the failure.
        const settleFrom = Date.now() / 1000
        await pollUntil(
          'two seconds of replies after the failover',
          async () => (replies.at(-1) ?? 0) > settleFrom + 2,
          { timeoutMs: 30_000, intervalMs: 50 },
        ).catch(diagnose)
        const window = [from, ...replies.filter((t) => t >= from)]
        let gap = 0
        for (let k = 1; k < window.length; k++) gap = Math.max(gap, (window[k] as number) - (window[k - 1] as number))
        results[mode]?.push(gap)
        console.log(`${mode} round ${i + 1}: ${victim.name} failed, outage ${gap.toFixed(2)} s`)
        if (mode === 'vm') await tb.exec(victim.ns, ['ip', 'link', 'set', 'eth0', 'up'])
        startHaGateway(mesh, a, victim)
        await pollUntil('both gateways connected again', bothConnected, { timeoutMs: 30_000, intervalMs: 200 })
      }
    }
    console.log(`\nfailover of the active gateway under load (ping every 10 ms, iperf3 20 Mbit/s), ${ROUNDS} each:`)
    for (const [mode, xs] of Object.entries(results)) {
      const label = mode === 'process' ? 'kill -9 (connection closes)' : 'uplink down, then kill -9  '
      const all = xs.map((x) => x.toFixed(2)).join(' ')
      console.log(`  ${label}: median ${median(xs).toFixed(2)} s, max ${Math.max(...xs).toFixed(2)} s (${all})`)
    }
  } finally {
    for (const c of load) await tb.kill(c, 'SIGKILL').catch(() => undefined)
    await mesh.stop().catch(() => undefined)
    await tb.destroy()
    rmSync(work, { recursive: true, force: true })
  }
}

main().catch((e: unknown) => {
  console.error(e)
  process.exitCode = 1
})
