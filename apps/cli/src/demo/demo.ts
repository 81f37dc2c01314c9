import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { LocalMesh, Testbed, teardown, type TestbedNode } from '@vpcmesh/testbed'
import { renderDemoTable, type PeerSample } from './demo-table.js'

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Absolute path of bin/vpcmesh. */
  launcher: string
  /** Check traffic, clean up and return instead of showing the live table. */
  once: boolean
  /** Where text goes. */
  print: (s: string) => void
  /** Resolves when the user asks to stop (Ctrl-C). */
  stopped: Promise<void>
}

/** Namespace prefix of the demo: fixed, so the printed commands can be copied. */
export const DEMO_PREFIX = 'vmdemo'
const VPCS = [
  { name: 'a', cidr: '10.1.0.0/24' },
  { name: 'b', cidr: '10.2.0.0/24' },
  { name: 'c', cidr: '10.3.0.0/24' },
]

/**
 * `vpcmesh demo`: a private controller (with its own redis-server) and three VPCs in network
 * namespaces, each with an agent and a host, registered through the CLI as an operator would.
 * Returns true when (in --once mode) every pair of hosts reached each other. Always cleans up.
 */
export async function runDemo(o: DemoOptions): Promise<boolean> {
  const work = mkdtempSync(join(tmpdir(), 'vpcmesh-demo-'))
  const left = await Testbed.removeLeftovers(DEMO_PREFIX)
  if (left.length > 0) o.print(`removed ${left.length} namespaces left by an earlier demo`)
  const tb = await Testbed.create({ prefix: DEMO_PREFIX, vpcs: VPCS })
  const mesh = new LocalMesh(tb, { launcher: o.launcher, workDir: work, adminToken: randomBytes(24).toString('hex') })
  try {
    o.print('starting the controller (with a private redis-server) in namespace vmdemo-wan ...')
    await mesh.startController()
    for (const n of tb.nodes) {
      const v = await mesh.addVpc(n)
      o.print(`registered vpc ${n.name} ${n.cidr} (${v.id}); starting its agent in ${n.gwNs}`)
      mesh.startAgent(n, v.joinToken)
    }
    await mesh.awaitConverged(60_000)
    const web = tb.spawn(tb.node('c').hostNs, [process.execPath, '-e', WEB_SERVER])
    o.print('mesh is up.\n')
    if (o.once) {
      const ok = await checkTraffic(tb, o.print)
      await tb.kill(web)
      return ok
    }
    o.print(tryThis(tb))
    await liveTable(mesh, o)
    await tb.kill(web)
    return true
  } finally {
    o.print('cleaning up ...')
    // every step runs whatever the others did; a failure is printed on stderr and fails the demo
    await teardown(
      [
        [
          'stopping the agents and the controller',
          async () => {
            await mesh.stop()
          },
        ],
        [
          'removing the namespaces',
          async () => {
            await tb.destroy()
          },
        ],
        [
          'removing the work dir',
          () => {
            rmSync(work, { recursive: true, force: true })
          },
        ],
      ],
      { timeoutMs: 60_000 },
    )
  }
}

const WEB_SERVER = "require('http').createServer((q,s)=>s.end('hello from vpc c\\n')).listen(80)"

async function checkTraffic(tb: Testbed, print: (s: string) => void): Promise<boolean> {
  let ok = true
  for (const from of tb.nodes) {
    for (const to of tb.nodes) {
      if (from === to) continue
      const r = await tb.exec(from.hostNs, ['ping', '-c', '2', '-i', '0.2', '-W', '2', to.hostIp], { allowFail: true })
      print(`ping ${from.name} → ${to.name} (${to.hostIp}): ${r.code === 0 ? 'ok' : 'FAILED'}`)
      ok &&= r.code === 0
    }
  }
  const c = tb.node('c')
  const r = await tb.exec(tb.node('a').hostNs, ['curl', '-sf', '--max-time', '5', `http://${c.hostIp}/`], {
    allowFail: true,
  })
  print(`curl a → http://${c.hostIp}/: ${r.code === 0 ? r.stdout.trim() : 'FAILED'}`)
  return ok && r.code === 0
}

function tryThis(tb: Testbed): string {
  const [a, b, c] = tb.nodes as [TestbedNode, TestbedNode, TestbedNode]
  return [
    'Try, in another terminal:',
    `  ip netns exec ${a.hostNs} ping ${b.hostIp}`,
    `  ip netns exec ${a.hostNs} ping -6 ${c.hostIp6}`,
    `  ip netns exec ${b.hostNs} curl http://${c.hostIp}/`,
    `  ip netns exec ${a.gwNs} ip route show table all dev vpcmesh0 proto 112`,
    `  ip netns exec ${a.gwNs} nft list table inet vpcmesh`,
    `  ip netns exec ${tb.wanNs} curl -s http://${a.underlayIp}:7701/metrics | grep vpcmesh_agent`,
    'Ctrl-C stops the demo and removes everything it created.',
    '',
  ].join('\n')
}

async function liveTable(mesh: LocalMesh, o: DemoOptions): Promise<void> {
  let stop = false
  void o.stopped.then(() => {
    stop = true
  })
  let last = new Map<string, PeerSample>()
  while (!stop) {
    const samples = new Map<string, PeerSample>()
    for (const n of mesh.tb.nodes) {
      try {
        const s = JSON.parse(await mesh.agentGet(n, '/status')) as {
          peers: Array<{ name: string; up: boolean; rttMs: number | null; txBytes: number; rxBytes: number }>
        }
        for (const p of s.peers) samples.set(`${n.name}>${p.name}`, { ...p, at: Date.now() })
      } catch {
        /* agent restarting */
      }
    }
    o.print(renderDemoTable(samples, last))
    last = samples
    await Promise.race([o.stopped, new Promise((resolve) => setTimeout(resolve, 2000))])
  }
}
