/**
 * Data-plane benchmark (not a test): in one run and one topology (host A → gateway A →
 * underlay → gateway B → host B, network namespaces), measures one table, a row per path:
 * plain kernel routing; the userspace floor (fixtures/udp-relay.c, built here with `cc -O2`: one
 * thread per gateway relaying TUN ↔ UDP with no encryption, the least any userspace tunnel
 * does); nebula (when installed: one per gateway, unsafe_routes for the VPCs);
 * vpcmesh (real controller and agents, inner MTU 1400) with the inline engine, with 2 native
 * packet threads (`--dataplane-workers 2`) and with `--no-offload` (inline). Columns: iperf3
 * TCP with 1 and 4 streams (Gbit/s), idle ping RTT, the CPU seconds of both gateway processes
 * (all threads, /proc/PID/stat utime + stime; for agents also their JS threads alone) per GB
 * delivered by the 1-stream run, the 1-stream run's retransmits per 10 s, and the RTT of a
 * ping every 10 ms during a 1-stream iperf3 (median, p99). Medians of ROUNDS runs of SECONDS
 * each, ratios against kernel routing. For both vpcmesh engines it also pings the idle tunnel
 * and then while agent A applies a 2,000-VPC map (2,000 registrations arriving as map changes:
 * the JS thread's heaviest work); for the inline engine, last, both VPCs switched to global
 * mode (the same tunnel plus 1:1 prefix NAT on both gateways, host B at its global address).
 * Usage (root): node test/dist/bench/tunnel.bench.js [rounds=3] [seconds=10]
 */
import { type ChildProcess, execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { mapAddress, parseAddress, parsePrefix } from '@vpcmesh/cidr'
import { pollUntil } from '@vpcmesh/common'
import { LocalMesh, Testbed, type TestbedNode, UNDERLAY } from '@vpcmesh/testbed'

const ROUNDS = Number(process.argv[2] ?? 3)
const SECONDS = Math.min(30, Number(process.argv[3] ?? 10))
const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..', '..')
const node = process.execPath
const ADMIN = 'bench-admin-token-0123456789abcdef'

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? NaN
}

/** One iperf3 run a → dst with `streams` TCP streams: Gbit/s and bytes received, the sender's retransmits. */
async function iperf(
  tb: Testbed,
  a: TestbedNode,
  b: TestbedNode,
  dst: string,
  streams = 1,
): Promise<{ gbps: number; bytes: number; retransmits: number }> {
  const srv = tb.spawn(b.hostNs, ['iperf3', '-s', '-1', '-p', '5201'])
  try {
    await pollUntil(
      'iperf3 server listening',
      async () => (await tb.exec(b.hostNs, ['ss', '-Hltn', 'sport = :5201'])).stdout.includes('5201'),
      { intervalMs: 50 },
    )
    const out = await tb.exec(
      a.hostNs,
      ['iperf3', '-c', dst, '-p', '5201', '-t', String(SECONDS), '-P', String(streams), '-J'],
      { allowFail: true },
    )
    const j = JSON.parse(out.stdout) as {
      error?: string
      end: { sum_received?: { bits_per_second: number; bytes: number }; sum_sent?: { retransmits?: number } }
    }
    if (j.end.sum_received === undefined) throw new Error(`iperf3 failed: ${j.error ?? out.stderr}`)
    return {
      gbps: j.end.sum_received.bits_per_second / 1e9,
      bytes: j.end.sum_received.bytes,
      retransmits: j.end.sum_sent?.retransmits ?? 0,
    }
  } finally {
    await tb.kill(srv)
  }
}

async function rttMs(tb: Testbed, a: TestbedNode, dst: string): Promise<number> {
  const r = await tb.exec(a.hostNs, ['ping', '-c', '40', '-i', '0.05', '-q', dst])
  const m = /= [\d.]+\/([\d.]+)\//.exec(r.stdout)
  return Number(m?.[1] ?? NaN)
}

/** Percentile `q` (0-1) of `xs`, nearest rank. */
const pct = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN
}

/**
 * A ping every 10 ms (as asked; iputils reaches about every 16 ms here) for `seconds` from a's
 * host to `dst`: every reply's RTT in ms, and how many of those sent got no reply.
 */
interface Ping {
  /** RTT of every reply, ms. */
  rtts: number[]
  lost: number
}

async function ping10ms(
  tb: Testbed,
  a: TestbedNode,
  dst: string,
  seconds: number,
): Promise<{ rtts: number[]; lost: number }> {
  const count = Math.round(seconds * 100)
  const r = await tb.exec(
    a.hostNs,
    ['ping', '-i', '0.01', '-c', String(count), '-w', String(seconds + 3), '-W', '1', dst],
    { allowFail: true },
  )
  const rtts = [...r.stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]))
  // ping sends more slowly than -i 0.01 asks (timer granularity): what it sent, from its summary.
  const sent = Number(/(\d+) packets transmitted/.exec(r.stdout)?.[1] ?? count)
  return { rtts, lost: sent - rtts.length }
}

/** RTT (ms) of a ping every 10 ms during a single-stream iperf3 a → dst: median and p99 over every round. */
async function rttUnderLoad(
  tb: Testbed,
  a: TestbedNode,
  b: TestbedNode,
  dst: string,
): Promise<{ p50: number; p99: number }> {
  const all: number[] = []
  for (let i = 0; i < ROUNDS; i++) {
    const [, p] = await Promise.all([iperf(tb, a, b, dst), ping10ms(tb, a, dst, SECONDS - 1)])
    all.push(...p.rtts)
  }
  return { p50: median(all), p99: pct(all, 0.99) }
}

/** Runs argv in `ns` to its end (the fixture bounds itself); its stdout, trimmed. @throws on a non-zero exit */
async function runToEnd(tb: Testbed, ns: string, argv: string[]): Promise<string> {
  const child = tb.spawn(ns, argv)
  let out = ''
  let err = ''
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString()
  })
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString()
  })
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  if (code !== 0) throw new Error(`${argv.join(' ')} exited ${code}: ${err.trim()}`)
  return out.trim()
}

/**
 * Both agents cut off from the controller (their packets to the controller port dropped)
 * while 2,000 VPCs are registered; a 10 s ping on the idle tunnel; then A's block lifted and
 * a ping for 20 s while A reconnects and applies the map with them (B stays cut off, so only
 * A's JS thread is busy); then B's block lifted. Returns both pings, the bulk registration's
 * report and the seconds from lifting A's block to A having applied the map.
 */
async function bigMapApply(
  tb: Testbed,
  mesh: LocalMesh,
  a: TestbedNode,
  b: TestbedNode,
): Promise<{ idle: Ping; busy: Ping; bulk: string; applyS: number }> {
  const nft = (n: TestbedNode, ...args: string[]): Promise<unknown> => tb.exec(n.gwNs, ['nft', ...args])
  for (const n of [a, b]) {
    await nft(n, 'add', 'table', 'inet', 'vmbench')
    await nft(n, 'add', 'chain', 'inet', 'vmbench', 'out', '{ type filter hook output priority 0 ; }')
    await nft(n, 'add', 'rule', 'inet', 'vmbench', 'out', 'ip', 'daddr', UNDERLAY.wanIp, 'tcp', 'dport', '7700', 'drop')
  }
  const bulk = await runToEnd(tb, tb.wanNs, [
    node,
    join(here, 'fixtures', 'bulk-vpcs.js'),
    mesh.controllerUrl,
    ADMIN,
    '2000',
    '8',
  ])
  const idle = await ping10ms(tb, a, b.hostIp, 10)
  const version = (await mesh.mustCli<{ version: number }>(['status'])).version
  const t0 = Date.now()
  await nft(a, 'delete', 'table', 'inet', 'vmbench')
  let applyS = NaN
  const [busy] = await Promise.all([
    ping10ms(tb, a, b.hostIp, 20),
    pollUntil(
      'agent A applied the 2,000-VPC map',
      async () => {
        const st = JSON.parse(await mesh.agentGet(a, '/status')) as { appliedVersion: number }
        if (st.appliedVersion < version) return false
        applyS = (Date.now() - t0) / 1000
        return true
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    ),
  ])
  await nft(b, 'delete', 'table', 'inet', 'vmbench')
  return { idle, busy, bulk, applyS }
}

/** Inner (TUN) MTU of every tunnel row: the issue's harness measured at 1400. */
const INNER_MTU = 1400
/** Label of the inline engine's row (packets on the agent's JS thread). */
const INLINE = 'vpcmesh, offloads on, --dataplane-workers 0 (inline)'
const RELAY = 'userspace floor: 1-thread TUN ↔ UDP relay, no crypto (fixtures/udp-relay.c)'

/** One row of the table: medians over ROUNDS rounds. */
interface Row {
  label: string
  /** TCP, 1 stream and 4 streams, Gbit/s. */
  gbps1: number
  gbps4: number
  /** Idle ping RTT, ms. */
  rtt: number
  /** CPU seconds of both gateway processes per GB delivered by the 1-stream run; NaN for kernel routing. */
  cpuSPerGb: number
  /** Of which the agents' main (JS) threads; NaN unless the gateways are agents. */
  jsCpuSPerGb: number
  /** The 1-stream run's retransmits, per 10 s. */
  retransmits10s: number
  loaded: { p50: number; p99: number }
}

/** A path that failed to come up or to measure: printed as such, never as numbers. */
interface FailedRow {
  label: string
  failed: string
}

let clockTicks = 0
/**
 * CPU seconds (user + system) process `pid` has used so far, from /proc: all its threads, or
 * with `mainThread` only its main thread (an agent's JS thread).
 */
function cpuSeconds(pid: number, mainThread = false): number {
  const stat = readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8')
  // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) / clockTicks
}

/**
 * Measures one path ROUNDS times: 1-stream iperf3 (with the gateway processes' CPU around it),
 * 4-stream iperf3, idle ping; then the RTT under load. `gw.pids` are the gateway processes
 * (none for kernel routing); `gw.js`: they are agents, whose main threads are also counted apart.
 */
async function measure(
  label: string,
  tb: Testbed,
  a: TestbedNode,
  b: TestbedNode,
  gw: { pids: number[]; js?: boolean },
  dst = b.hostIp,
): Promise<Row> {
  const g1: number[] = []
  const g4: number[] = []
  const rtt: number[] = []
  const cpu: number[] = []
  const retr: number[] = []
  const jsCpu: number[] = []
  const cpuNow = (main = false): number => gw.pids.reduce((s, pid) => s + cpuSeconds(pid, main), 0)
  for (let i = 0; i < ROUNDS; i++) {
    const [c0, js0] = [cpuNow(), cpuNow(true)]
    const one = await iperf(tb, a, b, dst, 1)
    const [cpuS, jsS] = [cpuNow() - c0, cpuNow(true) - js0]
    const four = await iperf(tb, a, b, dst, 4)
    g1.push(one.gbps)
    g4.push(four.gbps)
    cpu.push(gw.pids.length === 0 ? NaN : cpuS / (one.bytes / 1e9))
    jsCpu.push(gw.js === true ? jsS / (one.bytes / 1e9) : NaN)
    retr.push((one.retransmits * 10) / SECONDS)
    rtt.push(await rttMs(tb, a, dst))
    console.log(
      `${label} round ${i + 1}: 1 stream ${one.gbps.toFixed(2)} Gbit/s (${one.retransmits} retransmits, ` +
        `gateways ${cpuS.toFixed(2)} CPU s${gw.js === true ? ` (JS threads ${jsS.toFixed(2)})` : ''} for ${(one.bytes / 1e9).toFixed(2)} GB), ` +
        `4 streams ${four.gbps.toFixed(2)} Gbit/s (${four.retransmits} retransmits), RTT ${rtt.at(-1)?.toFixed(3)} ms`,
    )
  }
  const loaded = await rttUnderLoad(tb, a, b, dst)
  return {
    label,
    gbps1: median(g1),
    gbps4: median(g4),
    rtt: median(rtt),
    cpuSPerGb: median(cpu),
    jsCpuSPerGb: median(jsCpu),
    retransmits10s: median(retr),
    loaded,
  }
}

/** Waits until host A gets an answer from host B (a tunnel's first handshake), at most `timeoutMs`. */
async function awaitPath(tb: Testbed, a: TestbedNode, dst: string, timeoutMs: number): Promise<void> {
  await pollUntil(
    `host A reaches ${dst}`,
    async () => (await tb.exec(a.hostNs, ['ping', '-c', '1', '-W', '1', dst], { allowFail: true })).code === 0,
    { timeoutMs, intervalMs: 200 },
  )
}

/** Nebula's overlay address of node i (its certificate's IP; tunnel traffic uses the VPC prefixes). */
const nebulaIp = (i: number): string => `192.168.100.${i + 1}`

/**
 * Starts one nebula per gateway namespace (lighthouse-less: static_host_map of the peer's
 * underlay address; inner MTU 1400; every VPC prefix an unsafe_route via the peer's overlay
 * address, its certificate signed for that prefix), so host A → host B crosses it as it
 * crosses vpcmesh. Returns the processes, running and carrying traffic.
 */
async function startNebula(tb: Testbed, nodes: TestbedNode[], dir: string): Promise<ChildProcess[]> {
  const cert = async (...args: string[]): Promise<void> => {
    await tb.exec(tb.wanNs, ['nebula-cert', ...args])
  }
  await cert('ca', '-name', 'vpcmesh-bench', '-out-crt', join(dir, 'ca.crt'), '-out-key', join(dir, 'ca.key'))
  const procs: ChildProcess[] = []
  for (const [i, n] of nodes.entries()) {
    const crt = join(dir, `${n.name}.crt`)
    const key = join(dir, `${n.name}.key`)
    await cert(
      'sign',
      '-name',
      n.name,
      '-ip',
      `${nebulaIp(i)}/24`,
      '-subnets',
      n.cidr,
      '-ca-crt',
      join(dir, 'ca.crt'),
      '-ca-key',
      join(dir, 'ca.key'),
      '-out-crt',
      crt,
      '-out-key',
      key,
    )
    const peers = nodes.flatMap((p, j) => (p === n ? [] : [{ p, ip: nebulaIp(j) }]))
    const any = [{ port: 'any', proto: 'any', host: 'any' }]
    // JSON is YAML: nebula reads it as its config file.
    const config = {
      pki: { ca: join(dir, 'ca.crt'), cert: crt, key },
      static_host_map: Object.fromEntries(peers.map(({ p, ip }) => [ip, [`${p.underlayIp}:4242`]])),
      lighthouse: { am_lighthouse: false, hosts: [] },
      listen: { host: '0.0.0.0', port: 4242 },
      punchy: { punch: false },
      tun: {
        dev: 'nebula1',
        mtu: INNER_MTU,
        unsafe_routes: peers.map(({ p, ip }) => ({ route: p.cidr, via: ip })),
      },
      logging: { level: 'warning' },
      firewall: { outbound: any, inbound: any },
    }
    const file = join(dir, `${n.name}.yml`)
    writeFileSync(file, JSON.stringify(config, null, 2))
    procs.push(tb.spawn(n.gwNs, ['nebula', '-config', file]))
  }
  return procs
}

const RELAY_SRC = join(root, 'test', 'bench', 'fixtures', 'udp-relay.c')
const RELAY_PORT = 6000

/**
 * Builds fixtures/udp-relay.c into `dir` and starts one per gateway namespace (TUN vmrelay0, MTU
 * INNER_MTU, the peer's VPC routed into it), each exiting by itself after `seconds`. Returns the
 * relays, running and carrying traffic.
 */
async function startRelays(
  tb: Testbed,
  a: TestbedNode,
  b: TestbedNode,
  dir: string,
  seconds: number,
): Promise<ChildProcess[]> {
  const bin = join(dir, 'udp-relay')
  execFileSync('cc', ['-O2', '-Wall', '-o', bin, RELAY_SRC])
  const procs: ChildProcess[] = []
  try {
    for (const [n, peer] of [
      [a, b],
      [b, a],
    ] as const) {
      const args = ['vmrelay0', String(RELAY_PORT), peer.underlayIp, String(RELAY_PORT), String(seconds)]
      procs.push(tb.spawn(n.gwNs, [bin, ...args]))
      await pollUntil(
        `relay TUN in ${n.gwNs}`,
        async () => (await tb.exec(n.gwNs, ['ip', 'link', 'show', 'vmrelay0'], { allowFail: true })).code === 0,
        { timeoutMs: 10_000, intervalMs: 50 },
      )
      await tb.exec(n.gwNs, ['ip', 'link', 'set', 'vmrelay0', 'mtu', String(INNER_MTU), 'up'])
      await tb.exec(n.gwNs, ['ip', 'route', 'replace', peer.cidr, 'dev', 'vmrelay0'])
    }
    return procs
  } catch (e) {
    for (const p of procs) await tb.kill(p)
    throw e
  }
}

/** Rejects when the agent of `name` exits (e.g. it refused a flag), with the end of its output. */
function agentExit(mesh: LocalMesh, name: string): Promise<never> {
  return new Promise((_, reject) => {
    const child = mesh.agentProcess(name)
    const fail = (): void => {
      const log = (mesh.logs.get(`agent-${name}`) ?? '').trim().split('\n').slice(-3).join(' | ')
      reject(new Error(`agent ${name} exited ${child?.exitCode ?? child?.signalCode}: ${log.slice(-400)}`))
    }
    if (child === undefined || child.exitCode !== null) fail()
    else child.once('exit', fail)
  })
}

/** A fresh controller (state in `work/label`) and one agent per VPC with `args`, converged. */
async function startMesh(tb: Testbed, work: string, label: string, args: string[]): Promise<LocalMesh> {
  const mesh = new LocalMesh(tb, {
    launcher: join(root, 'bin', 'vpcmesh'),
    workDir: join(work, label),
    adminToken: ADMIN,
    controllerEnv: { VPCMESH_RATE_LIMIT_PER_MIN: '0' },
  })
  try {
    await mesh.startController()
    for (const n of tb.nodes) mesh.startAgent(n, (await mesh.addVpc(n)).joinToken, { args })
    await Promise.race([mesh.awaitConverged(45_000), ...tb.nodes.map((n) => agentExit(mesh, n.name))])
    return mesh
  } catch (e) {
    await mesh.stop().catch(() => undefined)
    throw e
  }
}

const agentPids = (mesh: LocalMesh, nodes: TestbedNode[]): number[] =>
  nodes.map((n) => mesh.agentProcess(n.name)?.pid ?? NaN)

/** What the busy-JS-thread measurement of one engine printed. */
interface BusyJs {
  label: string
  idle: Ping
  busy: Ping
  bulk: string
  applyS: number
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root (network namespaces)')
  clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim())
  const work = mkdtempSync(join(tmpdir(), 'vpcmesh-bench-'))
  const tb = await Testbed.create({
    prefix: `vmb${process.pid}`,
    vpcs: [
      { name: 'a', cidr: '10.1.0.0/24' },
      { name: 'b', cidr: '10.2.0.0/24' },
    ],
  })
  const load0 = loadavg()
  const rows: Array<Row | FailedRow> = []
  const busyJs: BusyJs[] = []
  let global: { row: Row; dst: string } | FailedRow | undefined
  const mtu = ['--mtu', String(INNER_MTU)]
  // The agent's default is one packet thread per core: every row names its engine.
  const engines: Array<{ label: string; args: string[]; busyJs: boolean; global: boolean }> = [
    { label: INLINE, args: [...mtu, '--dataplane-workers', '0'], busyJs: true, global: true },
    {
      label: 'vpcmesh, offloads on, --dataplane-workers 2',
      args: [...mtu, '--dataplane-workers', '2'],
      busyJs: true,
      global: false,
    },
    {
      label: 'vpcmesh --no-offload, --dataplane-workers 0',
      args: [...mtu, '--no-offload', '--dataplane-workers', '0'],
      busyJs: false,
      global: false,
    },
  ]
  const attempt = async (label: string, run: () => Promise<void>): Promise<void> => {
    try {
      await run()
    } catch (e) {
      const failed = (e as Error).message.split('\n')[0] ?? String(e)
      console.log(`${label}: NOT MEASURED: ${failed}`)
      rows.push({ label, failed })
    }
  }
  try {
    const [a, b] = [tb.node('a'), tb.node('b')]
    await tb.kernelRouting(true)
    rows.push(await measure('plain kernel routing', tb, a, b, { pids: [] }))
    await tb.kernelRouting(false)

    await attempt(RELAY, async () => {
      const dir = join(work, 'relay')
      mkdirSync(dir)
      // Long enough for every measurement of the row; the relays exit by themselves after it.
      const procs = await startRelays(tb, a, b, dir, ROUNDS * (3 * SECONDS + 20) + 120)
      try {
        await awaitPath(tb, a, b.hostIp, 20_000)
        rows.push(await measure(RELAY, tb, a, b, { pids: procs.map((p) => p.pid ?? NaN) }))
      } finally {
        for (const p of procs) await tb.kill(p)
      }
    })

    const nebulaLabel = 'nebula 1.6 (userspace, unsafe_routes)'
    await attempt(nebulaLabel, async () => {
      execFileSync('nebula', ['-version'])
      const dir = join(work, 'nebula')
      mkdirSync(dir)
      const procs = await startNebula(tb, tb.nodes, dir)
      try {
        await awaitPath(tb, a, b.hostIp, 20_000)
        const version = execFileSync('nebula', ['-version']).toString().trim().replace('Version: ', '')
        const pids = procs.map((p) => p.pid ?? NaN)
        rows.push(await measure(nebulaLabel.replace('1.6', version), tb, a, b, { pids }))
      } finally {
        for (const p of procs) await tb.kill(p)
      }
    })

    for (const engine of engines) {
      await attempt(engine.label, async () => {
        const mesh = await startMesh(tb, work, `mesh${engines.indexOf(engine)}`, engine.args)
        try {
          rows.push(await measure(engine.label, tb, a, b, { pids: agentPids(mesh, [a, b]), js: true }))
          // The JS thread busy with a big map: agent A is cut off from the controller while 2,000
          // VPCs are registered, then let back; it applies them as one map while the ping runs.
          if (engine.busyJs) busyJs.push({ label: engine.label, ...(await bigMapApply(tb, mesh, a, b)) })
          if (engine.global) global = await globalMode(tb, mesh, a, b)
        } finally {
          await mesh.stop()
        }
      })
    }
    report(rows, busyJs, global)
    const la = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' ')
    console.log(`\nload average (1, 5, 15 min) at the start: ${la(load0)}; at the end: ${la(loadavg())}`)
  } finally {
    await tb.destroy()
    rmSync(work, { recursive: true, force: true })
  }
}

/** Both VPCs switched to global mode: the same tunnel plus 1:1 prefix NAT, host B at its global address. */
async function globalMode(
  tb: Testbed,
  mesh: LocalMesh,
  a: TestbedNode,
  b: TestbedNode,
): Promise<{ row: Row; dst: string } | FailedRow> {
  const label = 'vpcmesh --dataplane-workers 0, both VPCs global'
  try {
    for (const n of ['a', 'b']) await mesh.mustCli(['vpc', 'set', n, '--global'])
    await mesh.awaitConverged(45_000)
    const vb = (
      await mesh.mustCli<{ vpc: { globalPrefixes: Array<{ local: string; global: string }> } }>(['vpc', 'show', 'b'])
    ).vpc
    const gb = vb.globalPrefixes.find((g) => g.local === b.cidr)?.global ?? ''
    const dst = mapAddress(parseAddress(b.hostIp), parsePrefix(b.cidr), parsePrefix(gb)) as string
    await awaitPath(tb, a, dst, 20_000)
    return { row: await measure(label, tb, a, b, { pids: agentPids(mesh, [a, b]), js: true }, dst), dst }
  } catch (e) {
    return { label, failed: (e as Error).message.split('\n')[0] ?? String(e) }
  }
}

const f2 = (x: number): string => (Number.isNaN(x) ? '—' : x.toFixed(2))
const f3 = (x: number): string => (Number.isNaN(x) ? '—' : x.toFixed(3))

function report(
  rows: Array<Row | FailedRow>,
  busyJs: BusyJs[],
  global: { row: Row; dst: string } | FailedRow | undefined,
): void {
  const kernel = rows.find((r): r is Row => !('failed' in r) && r.label === 'plain kernel routing')
  console.log(`\nmedians of ${ROUNDS} rounds of ${SECONDS} s, inner MTU ${INNER_MTU} on every tunnel:`)
  console.log(
    '| path | TCP 1 stream Gbit/s | 4 streams Gbit/s | idle RTT ms | tunnel CPU s/GB (JS threads) | retransmits /10 s ' +
      '| RTT under load median / p99 ms | 1 stream / kernel | added idle RTT ms |',
  )
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |')
  for (const r of rows) {
    if ('failed' in r) {
      console.log(`| ${r.label} | not measured: ${r.failed} | | | | | | | |`)
      continue
    }
    const ratio = kernel === undefined || r === kernel ? '—' : (r.gbps1 / kernel.gbps1).toFixed(3)
    const added = kernel === undefined || r === kernel ? '—' : (r.rtt - kernel.rtt).toFixed(3)
    console.log(
      `| ${r.label} | ${f2(r.gbps1)} | ${f2(r.gbps4)} | ${f3(r.rtt)} | ${f2(r.cpuSPerGb)} (${f2(r.jsCpuSPerGb)}) | ` +
        `${Math.round(r.retransmits10s)} | ${f3(r.loaded.p50)} / ${f3(r.loaded.p99)} | ${ratio} | ${added} |`,
    )
  }
  const floor = rows.find((r): r is Row => !('failed' in r) && r.label === RELAY)
  if (floor !== undefined && kernel !== undefined) {
    console.log(
      `\nidle RTT the userspace floor adds to kernel routing: ${(floor.rtt - kernel.rtt).toFixed(3)} ms; ` +
        'each tunnel above the floor:',
    )
    for (const r of rows) {
      if ('failed' in r || r === kernel || r === floor) continue
      console.log(`  ${r.label}: ${(r.rtt - floor.rtt).toFixed(3)} ms`)
    }
  }
  const inline = rows.find((r): r is Row => !('failed' in r) && r.label === INLINE)
  if (global !== undefined && 'failed' in global) console.log(`\nglobal mode: NOT MEASURED: ${global.failed}`)
  else if (global !== undefined && inline !== undefined) {
    const g = global.row
    console.log(
      `\nvpcmesh --dataplane-workers 0, both VPCs global (prefix NAT, host B at ${global.dst}): 1 stream ${f2(g.gbps1)} Gbit/s, ` +
        `4 streams ${f2(g.gbps4)} Gbit/s, RTT ${f3(g.rtt)} ms; ratio global/local ${(g.gbps1 / inline.gbps1).toFixed(3)}, ` +
        `added RTT ${(g.rtt - inline.rtt).toFixed(3)} ms`,
    )
  }
  const line = (what: string, p: Ping): string =>
    `  ${what}: median ${median(p.rtts).toFixed(3)} ms, p99 ${pct(p.rtts, 0.99).toFixed(3)} ms, ` +
    `max ${Math.max(...p.rtts).toFixed(3)} ms, lost ${p.lost}`
  for (const j of busyJs) {
    console.log(
      `\n${j.label}: RTT of a ping every 10 ms through the tunnel, idle (10 s) vs while agent A applies a map`,
    )
    console.log(
      `with 2,000 new VPCs (20 s) (${j.bulk}; agent A back on the controller and done applying ` +
        `${j.applyS.toFixed(1)} s after its block was lifted):`,
    )
    console.log(line('idle', j.idle))
    console.log(line('busy', j.busy))
    console.log(`  p99 added by the busy JS thread: ${(pct(j.busy.rtts, 0.99) - pct(j.idle.rtts, 0.99)).toFixed(3)} ms`)
  }
}

main().catch((e: unknown) => {
  console.error(e)
  process.exitCode = 1
})
