/**
 * One-sided seal benchmark (not a test): one native engine in namespace `gw` seals TUN traffic
 * to one session whose endpoint is a UDP sink in namespace `sink` (veth), where an nftables
 * ingress rule counts and drops the datagrams. A small C generator (fixtures/tun-flood.c, built
 * here with `cc -O2` into a temporary directory) sends 16 UDP flows of MTU-sized packets into
 * the TUN as fast as the engine reads them. Only the sealing side runs, so both cores of a
 * 2-core box are left to the engine's threads and the generator instead of two gateways.
 *
 * The engine runs in its own process (libs/tun/test/fixtures/forwarding-edge.ts) so that its
 * CPU time (/proc/<pid>/stat, all threads) is measured apart from the generator's (its
 * getrusage). For each `workers` value (0 = inline, the JS thread seals: the old path) it prints
 * medians over ROUNDS rounds of SECONDS s: Gbit/s of sealed datagrams (UDP payload) arriving at
 * the sink, datagrams/s, engine CPU seconds per GB sealed, cores the engine and the generator
 * used, the generator's ns per packet, each worker's share of the TUN packets
 * (`engine.forwarding.workerStats()`), and the ratios to workers=1.
 * Usage (root, under flock /tmp/vpcmesh-netns.lock):
 *   node test/dist/bench/seal.bench.js [rounds=3] [seconds=5] [workers=0,1,2] [generator=packet|udp]
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { errorMessage, pollUntil } from '@vpcmesh/common'
import type { GlobalStats, SlotStats } from '@vpcmesh/tun'

const ROUNDS = Math.max(1, Number(process.argv[2] ?? 3))
const SECONDS = Math.min(30, Math.max(1, Number(process.argv[3] ?? 5)))
const WORKERS = (process.argv[4] ?? '0,1,2').split(',').map(Number)
const GENERATOR = process.argv[5] ?? 'tso'
const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..', '..')
const EDGE = join(root, 'libs', 'tun', 'dist', 'test', 'fixtures', 'forwarding-edge.js')
const FLOOD_SRC = join(root, 'test', 'bench', 'fixtures', 'tun-flood.c')

const NS = { gw: `vmseal${process.pid}-gw`, sink: `vmseal${process.pid}-sink` }
const GW_IP = '10.251.0.1'
const SINK_IP = '10.251.0.2'
const PORT = 51820
const TUN = { name: 'vmseal0', address: '10.252.0.1/24' }
/** Routed into the TUN; the generator's flows go to FLOOD_DST, source ports 20000.. */
const FLOOD = { prefix: '10.253.0.0/16', dst: '10.253.0.9', flows: 16 }
const MTU = 1420
/** Inner packet size: the generator's packets fill the MTU. */
const SIZE = MTU
/** A sealed datagram (UDP payload): 16-byte header + inner packet + 16-byte tag. */
const SEALED = SIZE + 32
/** IPv4 + UDP header bytes of each datagram as the sink's counter sees it. */
const IP_UDP = 28
/** The generator's own bound besides SECONDS: at most this many packets per second of its run. */
const MAX_PPS = 5_000_000
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? NaN
}

function run(argv: string[]): string {
  const [cmd = '', ...args] = argv
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}
const inNs = (ns: string, argv: string[]): string => run(['ip', 'netns', 'exec', ns, ...argv])

/** gw ═ veth ═ sink; the sink counts and drops every datagram to PORT at ingress. */
function buildTopology(): void {
  for (const ns of [NS.gw, NS.sink]) {
    run(['ip', 'netns', 'add', ns])
    inNs(ns, ['ip', 'link', 'set', 'lo', 'up'])
  }
  const id = randomBytes(3).toString('hex')
  const [a, b] = [`vs${id}a`, `vs${id}b`]
  run(['ip', 'link', 'add', a, 'netns', NS.gw, 'type', 'veth', 'peer', 'name', b, 'netns', NS.sink])
  inNs(NS.gw, ['ip', 'addr', 'add', `${GW_IP}/30`, 'dev', a])
  inNs(NS.sink, ['ip', 'addr', 'add', `${SINK_IP}/30`, 'dev', b])
  inNs(NS.gw, ['ip', 'link', 'set', a, 'up'])
  inNs(NS.sink, ['ip', 'link', 'set', b, 'up'])
  const rules =
    'table netdev vmseal {\n  counter rx { }\n' +
    `  chain in { type filter hook ingress device ${b} priority 0 ; udp dport ${PORT} counter name rx drop ; }\n}\n`
  execFileSync('ip', ['netns', 'exec', NS.sink, 'nft', '-f', '-'], { input: rules })
}

/** Kills what still runs in our namespaces (by PID) and deletes them; each step on its own. */
function destroyTopology(): void {
  for (const ns of [NS.gw, NS.sink]) {
    try {
      for (const pid of run(['ip', 'netns', 'pids', ns]).split(/\s+/).filter(Boolean))
        process.kill(Number(pid), 'SIGKILL')
    } catch (e) {
      console.error(`teardown: processes of ${ns}: ${errorMessage(e)}`)
    }
    try {
      run(['ip', 'netns', 'del', ns])
    } catch (e) {
      console.error(`teardown: deleting ${ns}: ${errorMessage(e)}`)
    }
  }
}

/** The sink's counter: skbs and bytes (from the IP header) seen at ingress. */
function sinkCounter(): { skbs: number; bytes: number } {
  const j = JSON.parse(inNs(NS.sink, ['nft', '-j', 'list', 'counter', 'netdev', 'vmseal', 'rx'])) as {
    nftables: Array<{ counter?: { packets: number; bytes: number } }>
  }
  const c = j.nftables.find((e) => e.counter !== undefined)?.counter
  if (c === undefined) throw new Error('the sink counter is missing')
  return { skbs: c.packets, bytes: c.bytes }
}

/** CPU seconds the whole machine spent busy (all cores; /proc/stat, everything but idle and iowait). */
function machineBusySeconds(): number {
  const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number)
  const total = f.slice(0, 8).reduce((x, y) => x + y, 0)
  return (total - (f[3] ?? 0) - (f[4] ?? 0)) / CLK_TCK
}

/** CPU seconds (user + system, all threads) of process `pid`. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) / CLK_TCK
}

interface WorkerCount {
  tunPackets: number
  udpDatagrams: number
}
interface EngineStatsReply {
  slot: SlotStats
  global: GlobalStats
  workers: WorkerCount[]
}

/** The engine process (forwarding-edge) in gw; `ip netns exec` execs node, so the PID is the engine's. */
class EngineProcess {
  readonly child: ChildProcess
  private readonly lines: Array<Record<string, unknown>> = []
  private stderr = ''

  constructor(workers: number) {
    const cfg = {
      tunName: TUN.name,
      tunAddress: TUN.address,
      routes: [FLOOD.prefix],
      bindHost: GW_IP,
      bindPort: PORT,
      peer: { address: SINK_IP, port: PORT },
      sendKey: randomBytes(32).toString('hex'),
      recvKey: randomBytes(32).toString('hex'),
      localIndex: 0x5151,
      remoteIndex: 0x5252,
      peerPrefix: '10.254.0.0/24',
      workers,
      mtu: MTU,
    }
    this.child = spawn('ip', ['netns', 'exec', NS.gw, process.execPath, EDGE, JSON.stringify(cfg)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    if (this.child.stdout !== null)
      createInterface({ input: this.child.stdout }).on('line', (l) => {
        this.lines.push(JSON.parse(l) as Record<string, unknown>)
      })
    this.child.stderr?.on('data', (d: Buffer) => {
      this.stderr += d.toString()
    })
  }

  get pid(): number {
    return this.child.pid ?? -1
  }

  async awaitLine(what: string, pred: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    return await pollUntil(
      what,
      () => {
        if (this.child.exitCode !== null || this.child.signalCode !== null)
          throw new Error(`engine exited (${this.child.exitCode ?? this.child.signalCode}): ${this.stderr.trim()}`)
        const i = this.lines.findIndex(pred)
        return i < 0 ? undefined : this.lines.splice(i, 1)[0]
      },
      { intervalMs: 20 },
    )
  }

  async stats(): Promise<EngineStatsReply> {
    this.child.stdin?.write(`${JSON.stringify({ cmd: 'stats' })}\n`)
    return (await this.awaitLine('engine stats', (l) => l.reply === 'stats')) as unknown as EngineStatsReply
  }

  /** Asks it to quit; SIGKILL (by PID) after 3 s. */
  async quit(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = new Promise((resolve) => this.child.once('exit', resolve))
    this.child.stdin?.write(`${JSON.stringify({ cmd: 'quit' })}\n`)
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000)
    await exited
    clearTimeout(timer)
  }
}

interface FloodResult {
  packets: number
  seconds: number
  user: number
  sys: number
  sleeps: number
  dropped: number
  stalls: number
}

/** Runs the generator in gw for `seconds` (it stops itself) and returns its report. */
function flood(bin: string, seconds: number): { done: Promise<FloodResult>; child: ChildProcess } {
  const child = spawn('ip', [
    'netns',
    'exec',
    NS.gw,
    bin,
    GENERATOR,
    TUN.name,
    TUN.address.split('/')[0] ?? '',
    FLOOD.dst,
    String(FLOOD.flows),
    String(SIZE),
    String(seconds),
    String(Math.ceil(seconds * MAX_PPS)),
  ])
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString()
  })
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString()
  })
  const done = new Promise<FloodResult>((resolve, reject) => {
    child.once('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out) as FloodResult)
      else reject(new Error(`tun-flood exited ${code}: ${err.trim()}`))
    })
  })
  done.catch(() => undefined) // awaited by the caller; not an unhandled rejection meanwhile
  return { done, child }
}

interface Round {
  gbps: number
  pps: number
  cpuPerGB: number
  engineCores: number
  genCores: number
  /** Cores busy with anything else (other processes on the machine, softirqs not charged to ours). */
  otherCores: number
  genNsPerPacket: number
  tunDrops: number
  /** The generator's whole run: wire packets the kernel took, and its sleeps on a full backlog. */
  genPackets: number
  genSleeps: number
  /** Waits of 2 ms in which the TUN's counters did not move although the engine had read the packets. */
  genStalls: number
  /** TUN packets (super-packets count once) the engine read in the round. */
  tunReads: number
  shares: number[]
  sendDrops: number
}

async function measureRound(engine: EngineProcess, bin: string): Promise<Round> {
  const before = await engine.stats()
  const gen = flood(bin, SECONDS + 1)
  try {
    await delay(500) // warm-up: the window starts with the TUN queues already busy
    const snap = (): { t: number; cpu: number; gen: number; busy: number; sink: { skbs: number; bytes: number } } => ({
      t: performance.now(),
      cpu: cpuSeconds(engine.pid),
      gen: cpuSeconds(gen.child.pid ?? -1),
      busy: machineBusySeconds(),
      sink: sinkCounter(),
    })
    const a = snap()
    await delay(SECONDS * 1000)
    const b = snap()
    const g = await gen.done
    const after = await engine.stats()
    const dt = (b.t - a.t) / 1000
    const sealedBytes = b.sink.bytes - a.sink.bytes - IP_UDP * (b.sink.skbs - a.sink.skbs)
    const cpu = b.cpu - a.cpu
    const genCores = (b.gen - a.gen) / dt
    const tun = after.workers.map((w, i) => w.tunPackets - (before.workers[i]?.tunPackets ?? 0))
    const tunTotal = tun.reduce((x, y) => x + y, 0)
    const drop = (k: keyof SlotStats): number => after.slot[k] - before.slot[k]
    return {
      gbps: (sealedBytes * 8) / dt / 1e9,
      pps: sealedBytes / SEALED / dt,
      cpuPerGB: cpu / (sealedBytes / 1e9),
      engineCores: cpu / dt,
      genCores,
      otherCores: (b.busy - a.busy) / dt - cpu / dt - genCores,
      genNsPerPacket: ((g.user + g.sys) / g.packets) * 1e9,
      tunDrops: g.dropped,
      genPackets: g.packets,
      genSleeps: g.sleeps,
      genStalls: g.stalls,
      tunReads: after.global.tunReadPackets - before.global.tunReadPackets,
      shares: tun.map((n) => (tunTotal > 0 ? n / tunTotal : 0)),
      sendDrops: drop('txDropSendError') + drop('txDropNoEndpoint') + drop('txDropTooBig'),
    }
  } finally {
    if (gen.child.exitCode === null && gen.child.signalCode === null) gen.child.kill('SIGKILL')
  }
}

async function measureMode(workers: number, bin: string): Promise<Round[]> {
  const engine = new EngineProcess(workers)
  try {
    await engine.awaitLine(`engine (workers=${workers}) ready`, (l) => l.event === 'ready')
    const rounds: Round[] = []
    for (let i = 0; i < ROUNDS; i++) {
      const r = await measureRound(engine, bin)
      rounds.push(r)
      console.log(
        `workers=${workers} round ${i + 1}: ${r.gbps.toFixed(2)} Gbit/s, ${(r.pps / 1e6).toFixed(3)} Mpps, ` +
          `${r.cpuPerGB.toFixed(2)} CPU s/GB, engine ${r.engineCores.toFixed(2)} cores, generator ` +
          `${r.genCores.toFixed(2)} cores (${r.genNsPerPacket.toFixed(0)} ns/packet), others ${r.otherCores.toFixed(2)} cores, TUN drops ${r.tunDrops}, ` +
          `generator sent ${r.genPackets} (${r.genSleeps} sleeps, ${r.genStalls} stalls), engine read ${r.tunReads} TUN packets, ` +
          `send drops ${r.sendDrops}, worker shares ${r.shares.map((s) => s.toFixed(2)).join('/') || '-'}`,
      )
    }
    return rounds
  } finally {
    await engine.quit()
  }
}

function printSummary(results: Map<number, Round[]>): void {
  console.log(
    `\none-sided seal, ${FLOOD.flows} flows of ${SIZE}-byte packets (${GENERATOR} generator), ` +
      `median of ${ROUNDS} × ${SECONDS} s:`,
  )
  console.log(
    '| workers | Gbit/s | Mpps | engine CPU s/GB | engine cores | generator cores | generator ns/pkt | other cores | worker shares |',
  )
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |')
  const m = (rs: Round[], f: (r: Round) => number): number => median(rs.map(f))
  for (const [w, rs] of results) {
    const shares = rs[0]?.shares.map((_, i) => m(rs, (r) => r.shares[i] ?? 0).toFixed(2)).join(' / ') || '-'
    console.log(
      `| ${w === 0 ? '0 (inline)' : w} | ${m(rs, (r) => r.gbps).toFixed(2)} | ${(m(rs, (r) => r.pps) / 1e6).toFixed(3)} | ` +
        `${m(rs, (r) => r.cpuPerGB).toFixed(2)} | ${m(rs, (r) => r.engineCores).toFixed(2)} | ` +
        `${m(rs, (r) => r.genCores).toFixed(2)} | ${m(rs, (r) => r.genNsPerPacket).toFixed(0)} | ` +
        `${m(rs, (r) => r.otherCores).toFixed(2)} | ${shares} |`,
    )
  }
  const one = results.get(1)
  if (one === undefined) return
  for (const [w, rs] of results) {
    if (w === 1) continue
    const ratio = median(rs.map((r) => r.gbps)) / median(one.map((r) => r.gbps))
    console.log(`  ratio workers=${w} / workers=1: ${ratio.toFixed(2)}`)
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root (network namespaces)')
  const work = mkdtempSync(join(tmpdir(), 'vpcmesh-seal-'))
  const bin = join(work, 'tun-flood')
  try {
    run(['cc', '-O2', '-Wall', '-o', bin, FLOOD_SRC])
    buildTopology()
    const results = new Map<number, Round[]>()
    for (const w of WORKERS) {
      try {
        results.set(w, await measureMode(w, bin))
      } catch (e) {
        console.log(`workers=${w}: not measured: ${errorMessage(e)}`)
      }
    }
    printSummary(results)
  } finally {
    destroyTopology()
    rmSync(work, { recursive: true, force: true })
  }
}

main().catch((e: unknown) => {
  console.error(e)
  process.exitCode = 1
})
