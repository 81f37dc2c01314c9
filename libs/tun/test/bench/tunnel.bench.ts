// Tunnel throughput benchmark (not a test): one TCP stream with iperf3 -t 5 through
//
//   host-a ─veth─ edge-a ══veth══ edge-b ─veth─ host-b      (all in namespaces we create)
//   10.210.1.2    10.210.1.1 / 10.201.0.1 ══ 10.201.0.2 / 10.210.2.1    10.210.2.2
//
// first with plain kernel routing between the edges, then with the packet engine on both
// edges (test/fixtures/static-edge.ts: one peer, static keys, everything to the peer), per
// cipher with offload off and on. Each configuration is the median of RUNS iperf3 runs.
// Prints Gbit/s and the ratio. Usage: npm run bench -w @vpcmesh/tun [-- seconds [runs]]
// Run it on an otherwise idle machine (uptime load < 0.5): both edges, both hosts and
// iperf3 share the cores.
//
// Recorded 2026-11-25 on the 2-core dev VM (kernel 6.18, Node 20), load 0.37 at start, median of 3 x 5 s:
//   kernel routing                        15.76 Gbit/s  (runs 16.58 15.76 13.14)
//   engine aes-256-gcm offload off         0.97 Gbit/s  (runs 0.97 0.97 0.99)
//   engine aes-256-gcm offload on          5.27 Gbit/s  (runs 5.16 5.27 5.40)
//   engine chacha20-poly1305 offload off   0.84 Gbit/s  (runs 0.97 0.84 0.83)
//   engine chacha20-poly1305 offload on    4.21 Gbit/s  (runs 4.21 4.01 4.39)
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { EdgeProcess, nsRun, Topology } from '../netns.js'
import type { CipherName } from '../../src/index.js'

const SECONDS = Number(process.argv[2] ?? 5)
const RUNS = Number(process.argv[3] ?? 3)
const HOST_MTU = 1420 // = the TUN MTU, so both runs carry the same packet sizes
const PORT = 51820

interface Result {
  label: string
  gbps: number
  retransmits: number
  all?: number[]
}

/** The run with the median throughput of `runs` (odd counts; the lower middle otherwise). */
function median(label: string, runs: Result[]): Result {
  const sorted = [...runs].sort((a, b) => a.gbps - b.gbps)
  const m = sorted[Math.floor((sorted.length - 1) / 2)] ?? { label, gbps: 0, retransmits: 0 }
  return { ...m, label, all: runs.map((r) => r.gbps) }
}

/** RUNS bounded iperf3 runs; their median. */
function iperfMedian(ns: Record<string, string>, label: string): Result {
  return median(
    label,
    Array.from({ length: RUNS }, () => iperf(ns, label)),
  )
}

function build(topo: Topology): Record<'ha' | 'ea' | 'eb' | 'hb', string> {
  const ns = {
    ha: topo.addNamespace('ha'),
    ea: topo.addNamespace('ea'),
    eb: topo.addNamespace('eb'),
    hb: topo.addNamespace('hb'),
  }
  const [ha] = topo.link(ns.ha, '10.210.1.2/24', ns.ea, '10.210.1.1/24')
  topo.link(ns.ea, '10.201.0.1/30', ns.eb, '10.201.0.2/30')
  const [hb] = topo.link(ns.hb, '10.210.2.2/24', ns.eb, '10.210.2.1/24')
  nsRun(ns.ha, ['ip', 'link', 'set', ha, 'mtu', String(HOST_MTU)])
  nsRun(ns.hb, ['ip', 'link', 'set', hb, 'mtu', String(HOST_MTU)])
  nsRun(ns.ha, ['ip', 'route', 'add', 'default', 'via', '10.210.1.1'])
  nsRun(ns.hb, ['ip', 'route', 'add', 'default', 'via', '10.210.2.1'])
  for (const e of [ns.ea, ns.eb]) nsRun(e, ['sysctl', '-qw', 'net.ipv4.ip_forward=1'])
  return ns
}

/** One bounded iperf3 run host-a → host-b. */
function iperf(ns: Record<string, string>, label: string): Result {
  const server = spawnSync('ip', ['netns', 'exec', ns.hb ?? '', 'iperf3', '-s', '-1', '-D', '-B', '10.210.2.2'], {
    encoding: 'utf8',
  })
  if (server.status !== 0) throw new Error(`iperf3 server: ${server.stderr}`)
  spawnSync('sleep', ['0.3']) // -D returns before the server listens; the client retries below anyway
  let out = spawnSync('ip', ['netns', 'exec', ns.ha ?? '', 'iperf3', '-c', '10.210.2.2', '-t', String(SECONDS), '-J'], {
    encoding: 'utf8',
    timeout: (SECONDS + 20) * 1000,
  })
  if (out.status !== 0) {
    spawnSync('sleep', ['1'])
    out = spawnSync('ip', ['netns', 'exec', ns.ha ?? '', 'iperf3', '-c', '10.210.2.2', '-t', String(SECONDS), '-J'], {
      encoding: 'utf8',
      timeout: (SECONDS + 20) * 1000,
    })
  }
  const j = JSON.parse(out.stdout) as {
    error?: string
    end?: { sum_received?: { bits_per_second: number }; sum_sent?: { retransmits?: number } }
  }
  if (j.error !== undefined || j.end?.sum_received === undefined) throw new Error(`iperf3: ${j.error ?? out.stderr}`)
  return { label, gbps: j.end.sum_received.bits_per_second / 1e9, retransmits: j.end.sum_sent?.retransmits ?? 0 }
}

async function tunnel(
  topo: Topology,
  ns: Record<string, string>,
  cipher: CipherName,
  offload: boolean,
): Promise<{ result: Result; stats: unknown }> {
  const kAB = randomBytes(32).toString('hex')
  const kBA = randomBytes(32).toString('hex')
  const common = { tunName: 'vmtun0', bindPort: PORT, cipher, mtu: HOST_MTU, offload }
  const a = new EdgeProcess(topo, ns.ea ?? '', {
    ...common,
    tunAddress: '10.202.1.1/24',
    routes: ['10.210.2.0/24'],
    bindHost: '10.201.0.1',
    peer: { address: '10.201.0.2', port: PORT },
    sendKey: kAB,
    recvKey: kBA,
    localIndex: 1,
    remoteIndex: 2,
    peerPrefix: '10.210.2.0/24',
  })
  const b = new EdgeProcess(topo, ns.eb ?? '', {
    ...common,
    tunAddress: '10.202.2.1/24',
    routes: ['10.210.1.0/24'],
    bindHost: '10.201.0.2',
    peer: { address: '10.201.0.1', port: PORT },
    sendKey: kBA,
    recvKey: kAB,
    localIndex: 2,
    remoteIndex: 1,
    peerPrefix: '10.210.1.0/24',
  })
  try {
    await a.awaitLine('edge a ready', (l) => l.event === 'ready')
    await b.awaitLine('edge b ready', (l) => l.event === 'ready')
    const result = iperfMedian(ns, `engine ${cipher} offload ${offload ? 'on' : 'off'}`)
    return { result, stats: { a: await a.stats(), b: await b.stats() } }
  } finally {
    await Promise.allSettled([a.quit(), b.quit()])
  }
}

async function main(): Promise<void> {
  const topo = new Topology('bench')
  try {
    const ns = build(topo)
    nsRun(ns.ea, ['ip', 'route', 'add', '10.210.2.0/24', 'via', '10.201.0.2'])
    nsRun(ns.eb, ['ip', 'route', 'add', '10.210.1.0/24', 'via', '10.201.0.1'])
    const results = [iperfMedian(ns, 'kernel routing')]
    nsRun(ns.ea, ['ip', 'route', 'del', '10.210.2.0/24'])
    nsRun(ns.eb, ['ip', 'route', 'del', '10.210.1.0/24'])
    for (const cipher of ['aes-256-gcm', 'chacha20-poly1305'] as const) {
      for (const offload of [false, true]) {
        const { result, stats } = await tunnel(topo, ns, cipher, offload)
        results.push(result)
        if (process.env.BENCH_VERBOSE !== undefined) console.log(JSON.stringify(stats))
      }
    }
    const kernel = results[0]?.gbps ?? 1
    console.log(`iperf3 single TCP stream, median of ${RUNS} x ${SECONDS} s, MTU ${HOST_MTU}, host-a -> host-b`)
    for (const r of results) {
      const runs = (r.all ?? []).map((g) => g.toFixed(2)).join(' ')
      const share = ((r.gbps / kernel) * 100).toFixed(1).padStart(5)
      console.log(
        `${r.label.padEnd(36)} ${r.gbps.toFixed(2).padStart(6)} Gbit/s  ${share} % of kernel  ` +
          `retransmits ${r.retransmits}  runs [${runs}]`,
      )
    }
  } finally {
    topo.destroy()
  }
}

// `node --test <dir>` runs every file below test/: a benchmark is not a test, stay inert there.
if (process.env.NODE_TEST_CONTEXT === undefined) await main()
