/**
 * Control-plane convergence benchmark (not a test): N simulated agents over real WebSockets
 * (this process) against a real controller process and a real redis-server. Registers a new
 * VPC R times and prints how long until every agent acknowledged the new version (p50, p99,
 * max over agents, per round and over all rounds), plus the controller's RSS.
 * Usage: node test/dist/bench/control.bench.js [agents=500] [rounds=5]
 */
import { readFileSync } from 'node:fs'
import { Harness } from '../integration/harness.js'
import { SimAgent } from '../integration/sim-agent.js'
import { awaitValue } from '@vpcmesh/testbed'

const N = Number(process.argv[2] ?? 500)
const ROUNDS = Number(process.argv[3] ?? 5)

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(m?.[1] ?? 0) / 1024
}

/** Frames sent by type, pushes and acks, from the controller's /metrics. */
async function counters(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const out: Record<string, number> = {}
  for (const m of text.matchAll(/^vpcmesh_controller_ws_messages_total\{direction="(in|out)",type="(\w+)"\} (\d+)/gm))
    out[`${m[1]}:${m[2]}`] = Number(m[3])
  out.pushes = Number(/^vpcmesh_controller_push_duration_seconds_count (\d+)/m.exec(text)?.[1] ?? 0)
  return out
}

function counted(c: Record<string, number>): string {
  return ['out:snapshot', 'out:delta', 'in:ack', 'pushes']
    .map((k) => `${k.replace('out:', '').replace('in:', '')} ${c[k] ?? 0}`)
    .join(', ')
}

function cidrOf(i: number): string {
  return `10.${Math.floor(i / 256)}.${i % 256}.0/24`
}

async function main(): Promise<void> {
  // All simulated agents connect from 127.0.0.1, 50 at a time and without waiting for hello to
  // finish (sim agents do not retry a 503): lift the hub's connection and hello limits.
  // BENCH_CONTROLLER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") go to the controller's node only.
  const nodeArgs = (process.env.BENCH_CONTROLLER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '')
  const h = await Harness.start(
    1,
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
    const ctl = h.controllers[0]!
    const rssIdle = rssMiB(ctl.pid as number)
    const t0 = performance.now()
    const tokens: string[] = []
    for (let i = 0; i < N; i++) tokens.push((await h.mustCreateVpc(`a${i}`, [cidrOf(i)])).joinToken)
    const tReg = performance.now()
    for (let i = 0; i < N; i += 50) {
      await Promise.all(
        tokens.slice(i, i + 50).map(async (tok) => {
          const a = new SimAgent()
          a.keepFrames = false
          agents.push(a)
          await a.connect(ctl.wsUrl, tok)
        }),
      )
    }
    // connect() returns once the socket is open; the welcome says the enrolment committed.
    await awaitValue('all agents welcomed', () => agents.every((a) => a.vpcId !== undefined), 120_000, 50)
    const v0 = (await h.api('GET', '/v1/vpcs')).body.version as number
    await awaitValue('all agents at the registration version', () => agents.every((a) => a.version >= v0), 120_000, 50)
    const tConn = performance.now()
    console.log(
      `agents: ${N}; registered ${N} VPCs in ${((tReg - t0) / 1000).toFixed(1)} s; all enrolled and synced in ${((tConn - tReg) / 1000).toFixed(1)} s`,
    )
    const cConn = await counters(ctl.url)
    console.log(`  controller sent while syncing: ${counted(cConn)}`)
    const all: number[] = []
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
          `max ${pct(ms, 100).toFixed(1)} ms; confirmed in controller status after ${confirmed.toFixed(0)} ms`,
      )
    }
    const cEnd = await counters(ctl.url)
    const per = (k: string): string => (((cEnd[k] ?? 0) - (cConn[k] ?? 0)) / (ROUNDS * N)).toFixed(2)
    console.log(`  per agent per new VPC: ${per('out:snapshot')} snapshots, ${per('out:delta')} deltas`)
    console.log(
      `all rounds (${ROUNDS}×${N} acks): p50 ${pct(all, 50).toFixed(1)} ms, p99 ${pct(all, 99).toFixed(1)} ms, max ${pct(all, 100).toFixed(1)} ms`,
    )
    console.log(
      `controller RSS: ${rssMiB(ctl.pid as number).toFixed(1)} MiB with ${N} agents connected (idle before: ${rssIdle.toFixed(1)} MiB)`,
    )
    // Reconnect storm: restart the controller; every agent comes back with its credential and version.
    const vEnd = Math.max(...agents.map((a) => a.version))
    await ctl.stop()
    for (const a of agents) a.appliedAt.clear()
    await ctl.start()
    const tRe = performance.now()
    for (let i = 0; i < N; i += 50)
      await Promise.all(
        agents.slice(i, i + 50).map(async (a) => {
          await a.connect(ctl.wsUrl)
        }),
      )
    await awaitValue(
      'all agents synced again after the restart',
      () => agents.every((a) => a.appliedAt.has(vEnd)),
      120_000,
      50,
    )
    console.log(
      `controller restart: all ${N} agents reconnected and synced in ${((performance.now() - tRe) / 1000).toFixed(1)} s ` +
        `(${counted(await counters(ctl.url))}); RSS ${rssMiB(ctl.pid as number).toFixed(1)} MiB`,
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
