/**
 * Data-plane benchmark (not a test): in one run and one topology (host A → gateway A →
 * underlay → gateway B → host B, network namespaces), measures iperf3 single-stream TCP
 * throughput and ping RTT through plain kernel routing, then through the vpcmesh tunnel
 * (real controller and agents), then with both VPCs switched to global mode (the same tunnel
 * plus 1:1 prefix NAT on both gateways, host B reached at its global address), and prints
 * medians of ROUNDS runs each and their ratios.
 * Usage (root): node test/dist/bench/tunnel.bench.js [rounds=3] [seconds=5]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { mapAddress, parseAddress, parsePrefix } from '@vpcmesh/cidr'
import { pollUntil } from '@vpcmesh/common'
import { LocalMesh, Testbed, type TestbedNode } from '@vpcmesh/testbed'

const ROUNDS = Number(process.argv[2] ?? 3)
const SECONDS = Math.min(30, Number(process.argv[3] ?? 5))
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? NaN
}

async function iperf(
  tb: Testbed,
  a: TestbedNode,
  b: TestbedNode,
  dst: string,
): Promise<{ gbps: number; retransmits: number }> {
  const srv = tb.spawn(b.hostNs, ['iperf3', '-s', '-1', '-p', '5201'])
  try {
    await pollUntil(
      'iperf3 server listening',
      async () => (await tb.exec(b.hostNs, ['ss', '-Hltn', 'sport = :5201'])).stdout.includes('5201'),
      { intervalMs: 50 },
    )
    const out = await tb.exec(a.hostNs, ['iperf3', '-c', dst, '-p', '5201', '-t', String(SECONDS), '-J'], {
      allowFail: true,
    })
    const j = JSON.parse(out.stdout) as {
      error?: string
      end: { sum_received?: { bits_per_second: number }; sum_sent?: { retransmits?: number } }
    }
    if (j.end.sum_received === undefined) throw new Error(`iperf3 failed: ${j.error ?? out.stderr}`)
    return { gbps: j.end.sum_received.bits_per_second / 1e9, retransmits: j.end.sum_sent?.retransmits ?? 0 }
  } finally {
    await tb.kill(srv)
  }
}

async function rttMs(tb: Testbed, a: TestbedNode, dst: string): Promise<number> {
  const r = await tb.exec(a.hostNs, ['ping', '-c', '40', '-i', '0.05', '-q', dst])
  const m = /= [\d.]+\/([\d.]+)\//.exec(r.stdout)
  return Number(m?.[1] ?? NaN)
}

async function measure(
  label: string,
  tb: Testbed,
  a: TestbedNode,
  b: TestbedNode,
  dst = b.hostIp,
): Promise<{ gbps: number; rtt: number }> {
  const g: number[] = []
  const t: number[] = []
  for (let i = 0; i < ROUNDS; i++) {
    const r = await iperf(tb, a, b, dst)
    g.push(r.gbps)
    t.push(await rttMs(tb, a, dst))
    console.log(
      `${label} round ${i + 1}: ${r.gbps.toFixed(2)} Gbit/s (${r.retransmits} retransmits), RTT ${t.at(-1)?.toFixed(3)} ms`,
    )
  }
  return { gbps: median(g), rtt: median(t) }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root (network namespaces)')
  const work = mkdtempSync(join(tmpdir(), 'vpcmesh-bench-'))
  const tb = await Testbed.create({
    prefix: `vmb${process.pid}`,
    vpcs: [
      { name: 'a', cidr: '10.1.0.0/24' },
      { name: 'b', cidr: '10.2.0.0/24' },
    ],
  })
  const mesh = new LocalMesh(tb, {
    launcher: join(root, 'bin', 'vpcmesh'),
    workDir: work,
    adminToken: 'bench-admin-token-0123456789abcdef',
  })
  try {
    const [a, b] = [tb.node('a'), tb.node('b')]
    await tb.kernelRouting(true)
    const kernel = await measure('kernel', tb, a, b)
    await tb.kernelRouting(false)
    await mesh.startController()
    for (const n of [a, b]) mesh.startAgent(n, (await mesh.addVpc(n)).joinToken)
    await mesh.awaitConverged(45_000)
    const tunnel = await measure('tunnel', tb, a, b)
    for (const n of ['a', 'b']) await mesh.mustCli(['vpc', 'set', n, '--global'])
    await mesh.awaitConverged(45_000)
    const vb = (
      await mesh.mustCli<{ vpc: { globalPrefixes: Array<{ local: string; global: string }> } }>(['vpc', 'show', 'b'])
    ).vpc
    const gb = vb.globalPrefixes.find((g) => g.local === b.cidr)?.global ?? ''
    const dst = mapAddress(parseAddress(b.hostIp), parsePrefix(b.cidr), parsePrefix(gb)) as string
    await pollUntil('host B answers at its global address', async () => (await rttMs(tb, a, dst)) > 0, {
      timeoutMs: 20_000,
    })
    const global = await measure('global', tb, a, b, dst)
    console.log(`\nsingle TCP stream, ${SECONDS} s, median of ${ROUNDS}:`)
    console.log(`  kernel routing: ${kernel.gbps.toFixed(2)} Gbit/s, RTT ${kernel.rtt.toFixed(3)} ms`)
    console.log(`  vpcmesh tunnel: ${tunnel.gbps.toFixed(2)} Gbit/s, RTT ${tunnel.rtt.toFixed(3)} ms`)
    console.log(
      `  ratio tunnel/kernel: ${(tunnel.gbps / kernel.gbps).toFixed(3)}; added RTT ${(tunnel.rtt - kernel.rtt).toFixed(3)} ms`,
    )
    console.log(
      `  vpcmesh, both VPCs global (prefix NAT, host B at ${dst}): ${global.gbps.toFixed(2)} Gbit/s, RTT ${global.rtt.toFixed(3)} ms`,
    )
    console.log(
      `  ratio global/tunnel: ${(global.gbps / tunnel.gbps).toFixed(3)}; added RTT ${(global.rtt - tunnel.rtt).toFixed(3)} ms`,
    )
  } finally {
    await mesh.stop().catch(() => undefined)
    await tb.destroy()
    rmSync(work, { recursive: true, force: true })
  }
}

main().catch((e: unknown) => {
  console.error(e)
  process.exitCode = 1
})
