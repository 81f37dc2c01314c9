// The chaos scenarios (docs/testing.md, "Chaos"): each injects one fault into a converged
// 3-VPC mesh while the load (load.ts) runs, and recovers from it. `inject` resolves once
// the system is back in the recovered configuration (process restarted, rule removed).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pollUntil } from '@vpcmesh/common'
import { AGENT_UDP_PORT, type LocalMesh, type Testbed, type TestbedNode } from '@vpcmesh/testbed'
import { api } from './invariants.js'
import type { ChaosRedis } from './redis.js'

/**
 * What a scenario runs on (run.ts builds it): 'embedded' one controller with its embedded
 * Redis; 'replicas' three controller replicas (r0, r1, r2) on one external redis-server
 * (REDIS_URL), agents and the writer given every URL; 'sentinel' one controller finding a
 * primary with one replica through a Sentinel (VPCMESH_REDIS_SENTINELS).
 */
export type Setup = 'embedded' | 'replicas' | 'sentinel'
/** The setups in the order they run. */
export const SETUPS: readonly Setup[] = ['embedded', 'replicas', 'sentinel']

/** The external Redis processes of a setup, in the wan namespace. */
export interface ChaosRedisSet {
  primary?: ChaosRedis
  replica?: ChaosRedis
  sentinel?: ChaosRedis
}

/** What a scenario may touch. */
export interface ChaosContext {
  tb: Testbed
  mesh: LocalMesh
  a: TestbedNode
  b: TestbedNode
  c: TestbedNode
  /** Work directory of the mesh (the controller's embedded Redis is in `controller/`). */
  workDir: string
  /** External Redis of the setup. */
  redis: ChaosRedisSet
  /** The admin token. */
  token: string
  /** Names of agents the scenario killed and restarted on purpose. */
  restarted: Set<string>
  /** Wall time of each fault step, for the log. */
  note: (what: string) => void
}

export interface Scenario {
  name: string
  /** @default 'embedded' */
  setup?: Setup
  /** Load duration, seconds; the fault starts 4 s in. */
  seconds: number
  inject: (ctx: ChaosContext) => Promise<void>
  /** Undo anything `inject` left for the duration of the load (e.g. a reduced MTU), after the load. */
  restore?: (ctx: ChaosContext) => Promise<void>
}

const sleep = async (ms: number): Promise<void> => {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

/** Runs `nft -f -` with `rules` in namespace `ns`. */
async function nft(tb: Testbed, ns: string, rules: string): Promise<void> {
  await tb.exec(ns, ['nft', '-f', '-'], { input: rules })
}

const lossRules = (pct: number): string =>
  'table inet vmchaos {\n' +
  '  chain out { type filter hook output priority 0; policy accept;\n' +
  `    oifname "eth0" numgen random mod 100 < ${pct} drop\n  }\n` +
  '  chain in { type filter hook input priority 0; policy accept;\n' +
  `    iifname "eth0" numgen random mod 100 < ${pct} drop\n  }\n}\n`

/**
 * A NAT in the underlay, in front of A: the wan namespace's bridge rewrites the source port of
 * A's tunnel datagrams to B into `port`, and B's datagrams to `port` back into A's 51820.
 * Stateless (bridge family, no conntrack), so a new `port` takes effect on the next datagram
 * of the running flow: a NAT rebinding. What reaches A from B on any other port is dropped,
 * as a NAT without that mapping would.
 */
const natRules = (a: TestbedNode, b: TestbedNode, port: number): string =>
  'table bridge vmchaos {\n' +
  '  chain nat { type filter hook forward priority -300; policy accept;\n' +
  `    ip saddr ${a.underlayIp} ip daddr ${b.underlayIp} udp sport 51820 counter udp sport set ${port}\n` +
  `    ip saddr ${b.underlayIp} ip daddr ${a.underlayIp} udp dport != ${port} drop\n` +
  `    ip saddr ${b.underlayIp} ip daddr ${a.underlayIp} udp dport ${port} counter udp dport set 51820\n  }\n}\n`

async function delTable(tb: Testbed, ns: string, family: string): Promise<void> {
  await tb.exec(ns, ['nft', 'delete', 'table', family, 'vmchaos'], { allowFail: true })
}

function loss(pct: number): Scenario {
  return {
    name: `underlay-loss-${pct}pct`,
    seconds: 16,
    inject: async (x) => {
      for (const n of [x.a, x.b]) await nft(x.tb, n.gwNs, lossRules(pct))
      x.note(`${pct}% loss on gw a and b`)
      await sleep(10_000)
      for (const n of [x.a, x.b]) await delTable(x.tb, n.gwNs, 'inet')
      x.note('loss removed')
    },
    restore: async (x) => {
      for (const n of [x.a, x.b]) await delTable(x.tb, n.gwNs, 'inet')
    },
  }
}

/** The default set, most valuable first. */
export const SCENARIOS: Scenario[] = [
  {
    name: 'controller-kill9',
    seconds: 20,
    inject: async (x) => {
      await x.mesh.stopController('SIGKILL')
      x.note('controller killed')
      await sleep(2000)
      await x.mesh.startController()
      x.note('controller answering')
    },
  },
  {
    name: 'redis-kill9',
    seconds: 20,
    inject: async (x) => {
      const pidfile = join(x.workDir, 'controller', 'redis-server.pid')
      const pid = Number(readFileSync(pidfile, 'utf8').trim())
      process.kill(pid, 'SIGKILL')
      x.note(`redis-server ${pid} killed`)
      await pollUntil(
        'embedded redis-server restarted',
        () => {
          try {
            const now = Number(readFileSync(pidfile, 'utf8').trim())
            return now !== pid && now > 0 && alive(now)
          } catch {
            return false
          }
        },
        { timeoutMs: 15_000, intervalMs: 50 },
      )
      await pollUntil('API answering', async () => (await x.mesh.cli(['vpc', 'list'])).code === 0, {
        timeoutMs: 15_000,
        intervalMs: 100,
      })
      x.note('redis-server restarted, API answering')
    },
  },
  {
    name: 'agent-kill9',
    seconds: 20,
    inject: async (x) => {
      await x.mesh.stopAgent(x.a.name, 'SIGKILL')
      x.restarted.add(x.a.name)
      x.note('agent a killed')
      await sleep(1000)
      x.mesh.startAgent(x.a)
      x.note('agent a started')
    },
  },
  {
    name: 'agent-sigstop-5s',
    seconds: 20,
    inject: async (x) => {
      const p = x.mesh.agentProcess(x.b.name)
      if (p?.pid === undefined) throw new Error('agent b is not running')
      process.kill(p.pid, 'SIGSTOP')
      x.note('agent b stopped')
      await sleep(5000)
      process.kill(p.pid, 'SIGCONT')
      x.note('agent b continued')
    },
  },
  {
    name: 'nat-rebind',
    seconds: 20,
    inject: async (x) => {
      await nft(x.tb, x.tb.wanNs, natRules(x.a, x.b, 40000))
      x.note('A behind a NAT in the underlay: source port 40000 towards B')
      await awaitRoamed(x, 40000, 5000)
      await sleep(4000)
      await nft(x.tb, x.tb.wanNs, `table bridge vmchaos\ndelete table bridge vmchaos\n${natRules(x.a, x.b, 40001)}`)
      x.note('NAT rebinding: source port 40001')
      await awaitRoamed(x, 40001, 5000)
      await sleep(4000)
      await delTable(x.tb, x.tb.wanNs, 'bridge')
      x.note('NAT removed')
      await awaitRoamed(x, AGENT_UDP_PORT, 5000)
    },
    restore: async (x) => {
      await delTable(x.tb, x.tb.wanNs, 'bridge')
    },
  },
  loss(1),
  loss(5),
  loss(20),
  {
    name: 'underlay-mtu-1280',
    seconds: 20,
    inject: async (x) => {
      // the bridge ports towards A and B: frames over 1280 bytes are dropped silently, no ICMP
      for (const port of ['wan0', 'wan1']) await x.tb.exec(x.tb.wanNs, ['ip', 'link', 'set', port, 'mtu', '1280'])
      x.note('underlay MTU 1280 between A and B (black hole)')
      // The black hole bites: a 1300-byte ping with DF between the two gateways' underlay
      // addresses is lost. Checked on the underlay itself, not through the tunnel: whether the
      // sending kernel fragments a tunnel datagram (seen in CI, 2026-12-01) says nothing about
      // the black hole.
      const big = await x.tb.exec(x.a.gwNs, ['ping', '-c', '1', '-W', '1', '-s', '1300', '-M', 'do', x.b.underlayIp], {
        allowFail: true,
      })
      if (!/ 0 received/.test(big.stdout))
        throw new Error(`a 1300-byte ping crossed the 1280 MTU: ${big.stdout.trim()}`)
    },
    restore: async (x) => {
      for (const port of ['wan0', 'wan1']) await x.tb.exec(x.tb.wanNs, ['ip', 'link', 'set', port, 'mtu', '1500'])
    },
  },
]

/**
 * Waits until B's agent roamed to A's NAT mapping `port`: B's /status shows A's endpoint on
 * that port and B's datagrams reach it (the rule's counter on the way back moves; with the NAT
 * removed, A's own port).
 */
async function awaitRoamed(x: ChaosContext, port: number, timeoutMs: number): Promise<void> {
  const back = async (): Promise<number> => {
    const r = await x.tb.exec(x.tb.wanNs, ['nft', 'list', 'chain', 'bridge', 'vmchaos', 'nat'])
    const counters = [...r.stdout.matchAll(/counter packets (\d+)/g)].map((m) => Number(m[1]))
    return counters[1] ?? 0
  }
  await pollUntil(
    `B's agent roamed to A's NAT port ${port}`,
    async () => {
      const st = JSON.parse(await x.mesh.agentGet(x.b, '/status')) as {
        peers: Array<{ name: string; endpoint: { port: number } | null }>
      }
      const seen = st.peers.find((p) => p.name === x.a.name)?.endpoint?.port === port
      return seen && (port === AGENT_UDP_PORT || (await back()) > 0)
    },
    { timeoutMs, intervalMs: 100 },
  )
  x.note(`B follows to port ${port}`)
}

/** The replica (`r<i>`) holding each agent's session, from /v1/status. */
async function agentReplicas(x: ChaosContext): Promise<Map<string, string | null>> {
  const st = (await api(x.tb, x.mesh.controllerUrl, x.token, 'GET', '/v1/status')) as {
    agents: Array<{ name: string; connected: boolean; replica: string | null }>
  }
  return new Map(st.agents.map((a) => [a.name, a.connected ? a.replica : null]))
}

/** Waits until the API answers again (through the first running replica). */
async function awaitApi(x: ChaosContext, timeoutMs: number): Promise<void> {
  await pollUntil('API answering', async () => (await x.mesh.cli(['vpc', 'list'])).code === 0, {
    timeoutMs,
    intervalMs: 100,
  })
}

/** Scenarios of the 'replicas' and 'sentinel' setups, in the default set. */
export const REDIS_SCENARIOS: Scenario[] = [
  {
    name: 'controller-replica-kill9',
    setup: 'replicas',
    seconds: 20,
    inject: async (x) => {
      const held = new Set([...(await agentReplicas(x)).values()].filter((r): r is string => r !== null))
      const killed = [...held].map((r) => Number(r.slice(1))).sort()
      if (killed.length === 0 || killed.length >= x.mesh.controllerUrls.length)
        throw new Error(`agents on replicas [${[...held].join(', ')}]: nothing to kill, or no replica left`)
      for (const i of killed) await x.mesh.stopController('SIGKILL', i)
      x.note(`replica ${killed.map((i) => `r${i}`).join(', ')} killed (holding the agents' sessions)`)
      await sleep(2000)
      for (const i of killed) await x.mesh.startController(i)
      x.note('replicas restarted')
      // the agents moved on while it was down: each is on another replica
      await pollUntil(
        'every agent connected on a replica that was not killed',
        async () => {
          const now = await agentReplicas(x)
          return [...now.values()].every((r) => r !== null && !killed.includes(Number(r.slice(1))))
        },
        { timeoutMs: 10_000, intervalMs: 200 },
      )
      const now = await agentReplicas(x)
      x.note(`agents on ${[...now].map(([a, r]) => `${a}:${r}`).join(' ')}`)
    },
  },
  {
    name: 'redis-external-kill9',
    setup: 'replicas',
    seconds: 20,
    inject: async (x) => {
      const r = x.redis.primary
      if (r === undefined) throw new Error('no external redis-server')
      await r.kill('SIGKILL')
      x.note('external redis-server killed')
      await sleep(2000)
      await r.start()
      x.note('redis-server restarted on its data dir (AOF)')
      await awaitApi(x, 15_000)
      x.note('API answering')
    },
  },
  {
    name: 'redis-sentinel-failover',
    setup: 'sentinel',
    seconds: 24,
    inject: async (x) => {
      const { primary, replica, sentinel } = x.redis
      if (primary === undefined || replica === undefined || sentinel === undefined) throw new Error('no Sentinel setup')
      const offset = async (r: ChaosRedis): Promise<string> =>
        /master_repl_offset:(\d+)/.exec(await r.cli(['info', 'replication']))?.[1] ?? '?'
      x.note(`replication offsets: primary ${await offset(primary)}, replica ${await offset(replica)}`)
      await primary.kill('SIGKILL')
      x.note('primary redis-server killed')
      await pollUntil(
        'Sentinel promoted the replica',
        async () =>
          (await sentinel.cli(['sentinel', 'get-master-addr-by-name', 'mymaster'])).endsWith(String(replica.port)),
        { timeoutMs: 20_000, intervalMs: 100 },
      )
      x.note(`Sentinel promoted the replica (port ${replica.port})`)
      await awaitApi(x, 15_000)
      x.note('API answering')
    },
  },
]

/**
 * Scenarios outside the default set, run with `--only NAME`. redis-sentinel-lag shows what
 * asynchronous replication allows (docs/testing.md, "Chaos"): the primary's stream to the
 * replica is cut (its datagrams to the replica's connection dropped, a partition) while the
 * primary acknowledges writes, then the primary dies and Sentinel promotes the replica
 * without them. It violates "no acknowledged write lost" on purpose.
 */
export const EXTRA_SCENARIOS: Scenario[] = [
  {
    name: 'redis-sentinel-lag',
    setup: 'sentinel',
    seconds: 24,
    inject: async (x) => {
      const { primary, replica, sentinel } = x.redis
      if (primary === undefined || replica === undefined || sentinel === undefined) throw new Error('no Sentinel setup')
      const offset = async (r: ChaosRedis): Promise<string> =>
        /master_repl_offset:(\d+)/.exec(await r.cli(['info', 'replication']))?.[1] ?? '?'
      const addr = /addr=127\.0\.0\.1:(\d+)/.exec(await primary.cli(['client', 'list', 'type', 'replica']))?.[1]
      if (addr === undefined) throw new Error('the primary lists no replica connection')
      const cut =
        'table inet vmchaos {\n  chain out { type filter hook output priority 0; policy accept;\n' +
        `    tcp sport ${primary.port} tcp dport ${addr} drop\n  }\n}\n`
      const adds = async (): Promise<string[]> =>
        ((await api(x.tb, x.mesh.controllerUrl, x.token, 'GET', '/v1/vpcs')) as { vpcs: Array<{ name: string }> }).vpcs
          .map((v) => v.name)
          .filter((n) => /^cx\d+$/.test(n))
      const had = await adds()
      await nft(x.tb, x.tb.wanNs, cut)
      x.note('replication stream cut')
      // kill the primary right after it committed (and the controller acknowledged) the writer's next add
      await pollUntil('a new add committed on the primary', async () => (await adds()).some((n) => !had.includes(n)), {
        timeoutMs: 3000,
        intervalMs: 20,
      })
      const before = `replication offsets: primary ${await offset(primary)}, replica ${await offset(replica)}`
      await primary.kill('SIGKILL')
      x.note(`primary killed; ${before}`)
      await pollUntil(
        'Sentinel promoted the replica',
        async () =>
          (await sentinel.cli(['sentinel', 'get-master-addr-by-name', 'mymaster'])).endsWith(String(replica.port)),
        { timeoutMs: 20_000, intervalMs: 100 },
      )
      x.note('Sentinel promoted the replica')
      await delTable(x.tb, x.tb.wanNs, 'inet')
      await awaitApi(x, 15_000)
      x.note('API answering')
    },
    restore: async (x) => {
      await delTable(x.tb, x.tb.wanNs, 'inet')
    },
  },
]

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
