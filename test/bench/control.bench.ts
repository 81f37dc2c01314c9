/**
 * Control-plane convergence benchmark (not a test): N simulated agents over real WebSockets
 * (this process) against real controller processes (one, or R sharing one redis-server) and a
 * real redis-server. Measures the cold start (enrolment storm), registers a new VPC ROUNDS
 * times through replica 1 and prints how long until every agent acknowledged it (p50, p99,
 * max; with replicas also for the agents on the last replica), the controllers' RSS, and the
 * reconnect storm after kill -9 of every controller: time to all synced again and the
 * controller's event-loop lag (p99 and max over the storm, prom-client's monitorEventLoopDelay
 * from /metrics). Every wait has a deadline; all traffic is on loopback.
 * Usage: node test/dist/bench/control.bench.js [agents=500] [rounds=5] [--replicas R]
 */
import { Harness } from '../integration/harness.js'
import { SimAgent } from '../integration/sim-agent.js'
import { awaitValue } from '@vpcmesh/testbed'
import { allCounters, counted, pct, rssMiB } from './controller-scrape.js'

const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--replicas')
const N = Number(positional[0] ?? 500)
const ROUNDS = Number(positional[1] ?? 5)
const flag = process.argv.indexOf('--replicas')
const REPLICAS = flag === -1 ? 1 : Number(process.argv[flag + 1])

function cidrOf(i: number): string {
  return `10.${Math.floor(i / 256)}.${i % 256}.0/24`
}

async function main(): Promise<void> {
  // All simulated agents connect from 127.0.0.1, 50 at a time and without waiting for hello to
  // finish (sim agents do not retry a 503): lift the hub's connection and hello limits.
  // BENCH_CONTROLLER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") go to the controller's node only;
  // with BENCH_STOP_SIGNAL=SIGTERM the first controller exits cleanly and writes its profile.
  const nodeArgs = (process.env.BENCH_CONTROLLER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '')
  const h = await Harness.start(
    REPLICAS,
    {
      VPCMESH_RATE_LIMIT_PER_MIN: '0',
      VPCMESH_HEARTBEAT_MS: '10000',
      VPCMESH_UNAUTH_PER_ADDRESS: '0',
      VPCMESH_UNAUTH_MAX: '0',
      VPCMESH_HELLO_RATE_PER_S: '0',
    },
    nodeArgs,
  )
  const agents: SimAgent[] = []
  try {
    const ctls = h.controllers
    const urls = ctls.map((c) => c.url)
    /** Agent i connects to replica i mod R. */
    const home = (i: number) => ctls[i % REPLICAS]!
    const rss = (): string => ctls.map((c) => rssMiB(c.pid as number).toFixed(1)).join(' + ')
    const rssIdle = rss()
    const t0 = performance.now()
    const tokens: string[] = []
    for (let i = 0; i < N; i++) tokens.push((await h.mustCreateVpc(`a${i}`, [cidrOf(i)])).joinToken)
    const tReg = performance.now()
    for (let i = 0; i < N; i += 50) {
      await Promise.all(
        tokens.slice(i, i + 50).map(async (tok, j) => {
          const a = new SimAgent()
          a.keepFrames = false
          a.keepPeers = false
          agents[i + j] = a
          await a.connect(home(i + j).wsUrl, tok)
        }),
      )
    }
    // connect() returns once the socket is open; the welcome says the enrolment committed.
    await awaitValue('all agents welcomed', () => agents.every((a) => a.vpcId !== undefined), 300_000, 50)
    const v0 = (await h.api('GET', '/v1/vpcs')).body.version as number
    await awaitValue('all agents at the registration version', () => agents.every((a) => a.version >= v0), 300_000, 50)
    const tConn = performance.now()
    console.log(
      `agents: ${N} on ${REPLICAS} controller(s); registered ${N} VPCs in ${((tReg - t0) / 1000).toFixed(1)} s; ` +
        `all enrolled and synced in ${((tConn - tReg) / 1000).toFixed(1)} s`,
    )
    const cConn = await allCounters(urls)
    console.log(`  controller sent while syncing: ${counted(cConn)}`)
    const all: number[] = []
    const last: number[] = []
    for (let r = 0; r < ROUNDS; r++) {
      const start = performance.now()
      const res = await h.api('POST', '/v1/vpcs', {
        name: `new-${r}`,
        cidrs: [`172.16.${r}.0/24`],
        endpoint: `192.0.2.250:${51820 + r}`,
      })
      const v = res.body.vpc.version as number
      await awaitValue(`all agents acked version ${v}`, () => agents.every((a) => a.appliedAt.has(v)), 60_000, 5)
      const ms = agents.map((a) => (a.appliedAt.get(v) as number) - start)
      all.push(...ms)
      const onLast = ms.filter((_, i) => i % REPLICAS === REPLICAS - 1)
      last.push(...onLast)
      const confirmed = await awaitValue(
        'controller status shows every agent at the new version',
        async () => {
          const st = await h.api('GET', '/v1/status')
          const mine = st.body.agents.filter((x: { enrolled: boolean }) => x.enrolled)
          return mine.length === N && mine.every((x: { appliedVersion: number }) => x.appliedVersion >= v)
            ? performance.now() - start
            : undefined
        },
        60_000,
        10,
      )
      console.log(
        `round ${r + 1}: version ${v}: ack time p50 ${pct(ms, 50).toFixed(1)} ms, p99 ${pct(ms, 99).toFixed(1)} ms, ` +
          `max ${pct(ms, 100).toFixed(1)} ms; confirmed in controller status after ${confirmed.toFixed(0)} ms` +
          (REPLICAS > 1 ? `; agents on replica ${REPLICAS}: p99 ${pct(onLast, 99).toFixed(1)} ms` : ''),
      )
    }
    const cEnd = await allCounters(urls)
    const per = (k: string): string => (((cEnd[k] ?? 0) - (cConn[k] ?? 0)) / (ROUNDS * N)).toFixed(2)
    console.log(`  per agent per new VPC: ${per('out:snapshot')} snapshots, ${per('out:delta')} deltas`)
    console.log(
      `all rounds (${ROUNDS}×${N} acks): p50 ${pct(all, 50).toFixed(1)} ms, p99 ${pct(all, 99).toFixed(1)} ms, max ${pct(all, 100).toFixed(1)} ms` +
        (REPLICAS > 1
          ? `; agents on replica ${REPLICAS} (changes made through replica 1): p99 ${pct(last, 99).toFixed(1)} ms`
          : ''),
    )
    console.log(`controller RSS: ${rss()} MiB with ${N} agents connected (idle before: ${rssIdle} MiB)`)
    // Reconnect storm: kill -9 every controller with all agents connected and start it again;
    // every agent comes back with its credential and version.
    const vEnd = Math.max(...agents.map((a) => a.version))
    // BENCH_STOP_SIGNAL=SIGTERM lets a --cpu-prof controller write its profile of the cold start.
    for (const c of ctls) await c.stop((process.env.BENCH_STOP_SIGNAL ?? 'SIGKILL') as NodeJS.Signals)
    for (const a of agents) a.appliedAt.clear()
    await awaitValue(
      'every agent saw its connection drop',
      () => agents.every((a) => a.closeCode !== undefined),
      30_000,
      50,
    )
    for (const c of ctls) await c.start()
    await allCounters(urls) // resets the event-loop delay histograms: the next scrape covers the storm
    const tRe = performance.now()
    for (let i = 0; i < N; i += 50)
      await Promise.all(
        agents.slice(i, i + 50).map(async (a, j) => {
          await a.connect(home(i + j).wsUrl)
        }),
      )
    await awaitValue(
      'all agents synced again after kill -9 and restart',
      () => agents.every((a) => a.appliedAt.has(vEnd)),
      120_000,
      50,
    )
    const tSynced = performance.now()
    const cRe = await allCounters(urls)
    console.log(
      `controller kill -9 and restart: all ${N} agents reconnected and synced in ${((tSynced - tRe) / 1000).toFixed(1)} s ` +
        `(${counted(cRe)}); event-loop lag during the storm p99 ${((cRe.lagP99 ?? Number.NaN) * 1000).toFixed(0)} ms, ` +
        `max ${((cRe.lagMax ?? Number.NaN) * 1000).toFixed(0)} ms; RSS ${rss()} MiB`,
    )
  } finally {
    for (const a of agents) a.terminate()
    await h.stop()
  }
}

main().catch((e: unknown) => {
  console.error(e)
  process.exitCode = 1
})
