// The chaos scenarios (docs/testing.md, "Chaos"): each injects one fault into a converged
// 3-VPC mesh while the load (load.ts) runs, and recovers from it. `inject` resolves once
// the system is back in the recovered configuration (process restarted, rule removed).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pollUntil } from '@vpcmesh/common'
import type { LocalMesh, Testbed, TestbedNode } from '@vpcmesh/testbed'

/** What a scenario may touch. */
export interface ChaosContext {
  tb: Testbed
  mesh: LocalMesh
  a: TestbedNode
  b: TestbedNode
  c: TestbedNode
  /** Work directory of the mesh (the controller's embedded Redis is in `controller/`). */
  workDir: string
  /** Names of agents the scenario killed and restarted on purpose. */
  restarted: Set<string>
  /** Wall time of each fault step, for the log. */
  note: (what: string) => void
}

export interface Scenario {
  name: string
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

/** Stateless port rewrite in A's gateway: what a NAT in front of A does to A↔B tunnel traffic. */
const natRules = (b: TestbedNode, port: number): string =>
  'table ip vmchaos {\n' +
  '  chain post { type filter hook postrouting priority -300; policy accept;\n' +
  `    ip daddr ${b.underlayIp} udp sport 51820 udp sport set ${port}\n  }\n` +
  '  chain pre { type filter hook prerouting priority -300; policy accept;\n' +
  // what reaches the NAT on anything but the current mapping is dropped, as a NAT would
  `    ip saddr ${b.underlayIp} udp dport != ${port} drop\n` +
  `    ip saddr ${b.underlayIp} udp dport ${port} udp dport set 51820\n  }\n}\n`

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
      // the black hole bites: a 1300-byte ping (about 1380 bytes on the underlay) is lost
      const big = await x.tb.exec(x.a.hostNs, ['ping', '-c', '2', '-W', '1', '-s', '1300', '-M', 'do', x.b.hostIp], {
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

/** Waits until B's tunnel packets reach A's current NAT mapping: B's agent followed A to the new port. */
async function awaitRoamed(x: ChaosContext, timeoutMs: number): Promise<void> {
  await pollUntil(
    "B's agent roamed to A's new source port",
    async () => {
      const r = await x.tb.exec(x.a.gwNs, ['nft', 'list', 'chain', 'ip', 'vmchaos', 'pre'])
      return Number(/counter packets (\d+)/.exec(r.stdout)?.[1] ?? 0) > 0
    },
    { timeoutMs, intervalMs: 100 },
  )
  x.note('B follows')
}

/**
 * Scenarios outside the default set, run with `--only NAME`. nat-rebind is unfinished: B's
 * tunnel packets never reached the rewritten port within 5 s (docs/testing.md, "Chaos").
 */
export const EXTRA_SCENARIOS: Scenario[] = [
  {
    name: 'nat-rebind',
    seconds: 20,
    inject: async (x) => {
      await nft(x.tb, x.a.gwNs, natRules(x.b, 40000))
      x.note('A behind a NAT: source port 40000 towards B')
      await awaitRoamed(x, 5000)
      await sleep(5000)
      await nft(x.tb, x.a.gwNs, `table ip vmchaos\ndelete table ip vmchaos\n${natRules(x.b, 40001)}`)
      x.note('NAT rebinding: source port 40001')
      await awaitRoamed(x, 5000)
      await sleep(5000)
      await delTable(x.tb, x.a.gwNs, 'ip')
      x.note('NAT removed')
    },
    restore: async (x) => {
      await delTable(x.tb, x.a.gwNs, 'ip')
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
