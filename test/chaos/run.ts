// The chaos suite (docs/testing.md, "Chaos"): builds a 3-VPC mesh in network namespaces (real
// controllers and Redis as each scenario's setup asks, real agents), then runs each scenario
// of scenarios.ts under load (load.ts) and checks the invariants (invariants.ts). Scenarios
// are grouped by setup; each group gets a fresh testbed and mesh. One result line per
// scenario; exit 1 when any invariant is violated. Needs root; run it through
// scripts/chaos.mjs, which holds the netns lock and runs the leftover check afterwards.
//
// Usage: node test/dist/chaos/run.js [--long] [--verbose] [--only NAME[,NAME...]]
//   --long     every scenario runs three times as long (also VPCMESH_CHAOS_LONG=1)
//   --verbose  the fault timeline under every result line, not only under a failed one
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { errorMessage } from '@vpcmesh/common'
import { LocalMesh, Testbed, teardown } from '@vpcmesh/testbed'
import { api, awaitAgentsCurrent, checkWrites, meshShape, shapeDiff, type MeshShape } from './invariants.js'
import { Load } from './load.js'
import { ChaosRedis } from './redis.js'
import {
  EXTRA_SCENARIOS,
  REDIS_SCENARIOS,
  SCENARIOS,
  SETUPS,
  type ChaosContext,
  type ChaosRedisSet,
  type Scenario,
  type Setup,
} from './scenarios.js'

const TOKEN = 'chaos-admin-token-0123456789abcdef'
const FAULT_AT_MS = 4000
const RECOVERY_MS = 10_000

const args = process.argv.slice(2)
const long = args.includes('--long') || process.env.VPCMESH_CHAOS_LONG === '1'
const verbose = args.includes('--verbose')
const onlyArg = args[args.indexOf('--only') + 1]
const only = args.includes('--only') && onlyArg !== undefined ? onlyArg.split(',') : undefined
const DEFAULT = [...SCENARIOS, ...REDIS_SCENARIOS]
const ALL = [...DEFAULT, ...EXTRA_SCENARIOS]
const unknown = only?.filter((n) => !ALL.some((s) => s.name === n)) ?? []
if (unknown.length > 0) {
  process.stderr.write(`chaos: unknown scenario ${unknown.join(', ')}; known: ${ALL.map((s) => s.name).join(', ')}\n`)
  process.exit(2)
}
if (process.getuid?.() !== 0) {
  process.stderr.write('chaos: needs root (network namespaces, TUN, nftables)\n')
  process.exit(2)
}

const root = join(import.meta.dirname, '..', '..', '..')
const work = mkdtempSync(join(tmpdir(), 'vpcmesh-chaos-'))
const started = Date.now()
const log = (line: string): void => {
  process.stdout.write(`${line}\n`)
}
let failed = 0
const selected = only === undefined ? DEFAULT : ALL.filter((x) => only.includes(x.name))
for (const setup of SETUPS) {
  const group = selected.filter((s) => (s.setup ?? 'embedded') === setup)
  if (group.length > 0) failed += await runGroup(setup, group)
}
rmSync(work, { recursive: true, force: true })
log(`chaos: ${failed === 0 ? 'ok' : `${failed} failed`} in ${((Date.now() - started) / 1000).toFixed(0)} s`)
process.exit(failed === 0 ? 0 : 1)

/**
 * Builds the testbed and mesh of `setup`: 'embedded' one controller with its embedded Redis;
 * 'replicas' three controller replicas on an external redis-server (REDIS_URL); 'sentinel'
 * one controller finding a primary with one replica through a Sentinel. Runs `group` on it
 * and tears it down; returns how many scenarios failed.
 */
async function runGroup(setup: Setup, group: Scenario[]): Promise<number> {
  const t0 = Date.now()
  const dir = join(work, setup)
  let tb: Testbed | undefined
  let mesh: LocalMesh | undefined
  let failed = 0
  const redis: ChaosRedisSet = {}
  try {
    tb = await Testbed.create({
      prefix: `vmch${process.pid}`,
      vpcs: [
        { name: 'a', cidr: '10.1.0.0/24' },
        { name: 'b', cidr: '10.2.0.0/24' },
        { name: 'c', cidr: '10.3.0.0/24' },
      ],
    })
    if (setup !== 'embedded') {
      redis.primary = ChaosRedis.server(tb, join(dir, 'redis-primary'), 6390)
      await redis.primary.start()
    }
    if (setup === 'sentinel') {
      redis.replica = ChaosRedis.server(tb, join(dir, 'redis-replica'), 6391, 6390)
      await redis.replica.start()
      redis.sentinel = ChaosRedis.sentinel(tb, join(dir, 'sentinel'), 26390, 6390)
      await redis.sentinel.start()
    }
    mesh = new LocalMesh(tb, {
      launcher: join(root, 'bin', 'vpcmesh'),
      workDir: dir,
      adminToken: TOKEN,
      ...(setup === 'replicas' ? { redisUrl: `redis://${redis.primary?.address}`, replicas: 3 } : {}),
      ...(setup === 'sentinel' ? { redisSentinels: redis.sentinel?.address } : {}),
    })
    for (let i = 0; i < mesh.controllerUrls.length; i++) await mesh.startController(i)
    for (const n of tb.nodes) mesh.startAgent(n, (await mesh.addVpc(n)).joinToken)
    await mesh.awaitConverged(45_000)
    const baseline = await meshShape(tb, tb.nodes)
    log(
      `chaos: [${setup}] mesh of 3 VPCs converged in ${((Date.now() - t0) / 1000).toFixed(1)} s${long ? '; --long' : ''}`,
    )
    for (const s of group) {
      const problems = await runScenario(tb, mesh, redis, s, baseline).catch((e: unknown) => [
        `scenario aborted: ${errorMessage(e)}`,
      ])
      if (problems.length > 0) failed++
    }
  } catch (e) {
    failed++
    log(`chaos: [${setup}] setup failed: ${errorMessage(e)}`)
  } finally {
    if (failed > 0) {
      for (const [k, v] of mesh?.logs ?? []) process.stderr.write(`--- ${k}\n${v.slice(-3000)}\n`)
      for (const [k, r] of Object.entries(redis)) process.stderr.write(`--- redis ${k}\n${r.log}\n`)
    }
    await teardown(
      [
        ['stopping the mesh', async () => await mesh?.stop()],
        ['destroying the testbed', async () => await tb?.destroy()],
        ['removing the work dir', () => rmSync(dir, { recursive: true, force: true })],
      ],
      { timeoutMs: 60_000 },
    ).catch(() => {
      failed++
    })
  }
  return failed
}

/** Runs one scenario under load, prints its result line; returns the violated invariants. */
async function runScenario(
  tb: Testbed,
  mesh: LocalMesh,
  redis: ChaosRedisSet,
  s: Scenario,
  baseline: MeshShape,
): Promise<string[]> {
  const [a, b, c] = tb.nodes as [(typeof tb.nodes)[0], (typeof tb.nodes)[0], (typeof tb.nodes)[0]]
  const t0 = Date.now()
  const notes: string[] = []
  const x: ChaosContext = {
    tb,
    mesh,
    a,
    b,
    c,
    workDir: join(work, s.setup ?? 'embedded'),
    redis,
    token: TOKEN,
    restarted: new Set(),
    note: (what) => notes.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${what}`),
  }
  const problems: string[] = []
  const seconds = long ? s.seconds * 3 : s.seconds
  const load = new Load(tb, mesh, TOKEN)
  await load.start(a, b, seconds)
  await new Promise((resolve) => setTimeout(resolve, FAULT_AT_MS))
  try {
    await s.inject(x)
  } catch (e) {
    await load.abort()
    await s.restore?.(x)
    log(`chaos: ${s.name}: fault injection failed, state FAIL`)
    for (const p of [...notes, errorMessage(e)]) log(`  ${p}`)
    return [errorMessage(e)]
  }
  const names = tb.nodes.map((n) => n.name)
  const current = awaitAgentsCurrent(mesh, TOKEN, names, RECOVERY_MS).then(
    (sec) => sec,
    (e: unknown) => {
      problems.push(`agents not at the latest version within 10 s of recovery: ${errorMessage(e)}`)
      return Number.NaN
    },
  )
  const res = await load.finish()
  const currentS = await current
  await s.restore?.(x)
  const vpcs = ((await api(tb, mesh.controllerUrl, TOKEN, 'GET', '/v1/vpcs')) as { vpcs: any[] }).vpcs
  const w = checkWrites(res.writes, vpcs)
  problems.push(...w.lost)
  for (const v of vpcs.filter((y) => /^cx\d+$/.test(y.name)))
    await api(tb, mesh.controllerUrl, TOKEN, 'DELETE', `/v1/vpcs/${v.id}`)
  await mesh
    .awaitConverged(RECOVERY_MS)
    .catch((e: unknown) => problems.push(`not converged after the load: ${errorMessage(e)}`))
  problems.push(...shapeDiff(baseline, await meshShape(tb, tb.nodes)))
  if (res.iperfCode !== 0) problems.push(`iperf3 exited ${res.iperfCode}: ${res.iperfTail.trim()}`)
  for (const n of names) {
    const p = mesh.agentProcess(n)
    if (p === undefined || p.exitCode !== null || p.signalCode !== null)
      problems.push(`agent ${n} is not running (exit ${p?.exitCode ?? '?'}, signal ${p?.signalCode ?? '-'})`)
  }
  log(
    `chaos: ${s.name}: outage ${res.outageS.toFixed(2)} s, lost pings ${res.lost}/${res.sent}, ` +
      `writes ${w.acked} acked ${w.failed} failed ${w.repeated} repeated ${w.lost.length} lost, ` +
      `agents current ${Number.isNaN(currentS) ? '>10' : currentS.toFixed(1)} s after recovery, ` +
      `state ${problems.length === 0 ? 'ok' : 'FAIL'}`,
  )
  if (problems.length > 0 || verbose) for (const p of [...notes, ...problems]) log(`  ${p}`)
  if (verbose)
    for (const w of res.writes)
      log(`  write ${((w.t - t0) / 1000).toFixed(1)}s ${w.op} ${w.name} ${w.status} ${w.result}`)
  return problems
}
