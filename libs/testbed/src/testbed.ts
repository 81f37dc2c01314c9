import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { createExecRunner, type CommandRunner, type RunOptions, type RunResult } from '@vpcmesh/linuxnet'
import { stopProcess, teardown, type TeardownStep } from './teardown.js'
import { planNodes, UNDERLAY, type TestbedNode, type TestbedVpc } from './topology.js'

/** Options of {@link Testbed.create}. */
export interface TestbedOptions {
  /** Prefix of every namespace name; must be unique per run (e.g. `vm${process.pid}`). */
  prefix: string
  vpcs: TestbedVpc[]
}

/**
 * A local mesh topology in network namespaces:
 *
 *   host-a ─lan─ gw-a ─┐                     (each gw: eth0 on the underlay, lan0 to its host)
 *   host-b ─lan─ gw-b ─┼─ br0 in the wan namespace (100.64.0.254: controller, Redis)
 *   host-c ─lan─ gw-c ─┘
 *
 * Traffic stays inside these namespaces. `destroy()` kills the processes it spawned (by PID)
 * and deletes its namespaces (by name); it is safe to call twice and after a failed create.
 */
export class Testbed {
  readonly wanNs: string
  readonly nodes: TestbedNode[]
  private readonly children = new Set<ChildProcess>()
  /** Namespaces added after the build by {@link Testbed.addNamespace}. */
  private readonly extra: string[] = []

  private constructor(
    readonly prefix: string,
    vpcs: TestbedVpc[],
    private readonly runner: CommandRunner,
  ) {
    this.wanNs = `${prefix}-wan`
    this.nodes = planNodes(prefix, vpcs)
  }

  /** Builds the namespaces, links and addresses. On failure, removes what it made and rethrows. */
  static async create(opts: TestbedOptions, runner: CommandRunner = createExecRunner()): Promise<Testbed> {
    const tb = new Testbed(opts.prefix, opts.vpcs, runner)
    try {
      await tb.build()
    } catch (e) {
      // destroy logs its own failures; the build error is the one to report
      await tb.destroy().catch(() => undefined)
      throw e
    }
    return tb
  }

  /**
   * Removes namespaces named `${prefix}-*` left by an earlier run that was killed, after
   * stopping the processes inside them (`ip netns pids`). Returns the names removed.
   */
  static async removeLeftovers(prefix: string, runner: CommandRunner = createExecRunner()): Promise<string[]> {
    const list = await runner.run(['ip', 'netns', 'list'], { allowFail: true })
    const names = list.stdout
      .split('\n')
      .map((l) => l.split(' ')[0] ?? '')
      .filter((n) => n.startsWith(`${prefix}-`))
    await teardown(names.flatMap((ns) => removeSteps(runner, ns)))
    return names
  }

  /** The node called `name`; throws if none. */
  node(name: string): TestbedNode {
    const n = this.nodes.find((x) => x.name === name)
    if (n === undefined) throw new Error(`testbed has no VPC "${name}"`)
    return n
  }

  /**
   * Adds namespace `${prefix}-${name}` (lo up) beside the topology, for a test's own network;
   * `destroy` removes it with the others. Returns its full name.
   */
  async addNamespace(name: string): Promise<string> {
    const ns = `${this.prefix}-${name}`
    if (this.namespaces().includes(ns)) throw new Error(`testbed already has namespace ${ns}`)
    await this.runner.run(['ip', 'netns', 'add', ns])
    this.extra.push(ns)
    await this.exec(ns, ['ip', 'link', 'set', 'lo', 'up'])
    return ns
  }

  /** Runs a command inside namespace `ns`. */
  async exec(ns: string, argv: readonly string[], opts?: RunOptions): Promise<RunResult> {
    return await this.runner.run(['ip', 'netns', 'exec', ns, ...argv], opts)
  }

  /** Starts a long-running process inside `ns`; it is killed by `kill` or `destroy`. */
  spawn(ns: string, argv: readonly string[], opts: SpawnOptions = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], ...opts })
    this.children.add(child)
    child.once('exit', () => {
      this.children.delete(child)
    })
    return child
  }

  /**
   * Stops a spawned process by PID: `signal`, then SIGKILL after `graceMs`; resolves when it
   * exited. @throws if it has not exited 5 s after the SIGKILL (never waits forever)
   */
  async kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<void> {
    await stopProcess(child, signal, graceMs)
  }

  /** Adds plain kernel routes between the gateways (no tunnel), for baselines. */
  async kernelRouting(on: boolean): Promise<void> {
    for (const a of this.nodes) {
      for (const b of this.nodes) {
        if (a === b) continue
        await this.exec(a.gwNs, ['ip', 'route', on ? 'replace' : 'del', b.cidr, 'via', b.underlayIp], {
          allowFail: !on,
        })
      }
    }
  }

  /**
   * Kills every spawned process by PID (SIGTERM, SIGKILL after 3 s), then any process still
   * inside our namespaces (e.g. a grandchild orphaned by a SIGKILLed parent), and deletes
   * every namespace of this testbed. Each step runs whatever the previous ones did; failures
   * are logged to stderr. @throws after all steps, if any failed (e.g. a namespace remains)
   */
  async destroy(): Promise<void> {
    const children = [...this.children]
    await teardown([
      [
        `stopping ${children.length} spawned processes`,
        async () => {
          const results = await Promise.allSettled(
            children.map(async (c) => {
              await stopProcess(c, 'SIGTERM', 3000)
            }),
          )
          const failed = results.flatMap((r, i) =>
            r.status === 'rejected'
              ? [`${children[i]?.spawnargs.slice(3, 5).join(' ') ?? '?'}: ${String(r.reason)}`]
              : [],
          )
          if (failed.length > 0) throw new Error(failed.join('; '))
        },
      ],
      ...this.namespaces().flatMap((ns) => removeSteps(this.runner, ns)),
    ])
  }

  /** Names of every namespace of this testbed. */
  namespaces(): string[] {
    return [this.wanNs, ...this.nodes.flatMap((n) => [n.gwNs, n.hostNs]), ...this.extra]
  }

  private async build(): Promise<void> {
    const ip = async (ns: string, ...args: string[]): Promise<void> => {
      await this.exec(ns, ['ip', ...args])
    }
    for (const ns of this.namespaces()) {
      await this.runner.run(['ip', 'netns', 'add', ns])
      await ip(ns, 'link', 'set', 'lo', 'up')
    }
    await ip(this.wanNs, 'link', 'add', 'br0', 'type', 'bridge')
    await ip(this.wanNs, 'addr', 'add', `${UNDERLAY.wanIp}/${UNDERLAY.bits}`, 'dev', 'br0')
    await ip(this.wanNs, '-6', 'addr', 'add', `${UNDERLAY.wanIp6}/64`, 'dev', 'br0', 'nodad')
    await ip(this.wanNs, 'link', 'set', 'br0', 'up')
    for (const [i, n] of this.nodes.entries()) {
      await ip(this.wanNs, 'link', 'add', `wan${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', n.gwNs)
      await ip(this.wanNs, 'link', 'set', `wan${i}`, 'master', 'br0', 'up')
      await ip(n.gwNs, 'addr', 'add', `${n.underlayIp}/${UNDERLAY.bits}`, 'dev', 'eth0')
      await ip(n.gwNs, '-6', 'addr', 'add', `${n.underlayIp6}/64`, 'dev', 'eth0', 'nodad')
      await ip(n.gwNs, 'link', 'set', 'eth0', 'up')
      await ip(n.gwNs, 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', n.hostNs)
      await ip(n.gwNs, 'addr', 'add', `${n.lanIp}/24`, 'dev', 'lan0')
      await ip(n.gwNs, 'link', 'set', 'lan0', 'up')
      await ip(n.hostNs, 'addr', 'add', `${n.hostIp}/24`, 'dev', 'eth0')
      await ip(n.hostNs, 'link', 'set', 'eth0', 'up')
      await ip(n.hostNs, 'route', 'add', 'default', 'via', n.lanIp)
      await ip(n.gwNs, '-6', 'addr', 'add', `${n.lanIp6}/64`, 'dev', 'lan0', 'nodad')
      await ip(n.hostNs, '-6', 'addr', 'add', `${n.hostIp6}/64`, 'dev', 'eth0', 'nodad')
      await ip(n.hostNs, '-6', 'route', 'add', 'default', 'via', n.lanIp6)
      await this.exec(n.gwNs, ['sysctl', '-qw', 'net.ipv4.ip_forward=1'])
    }
  }
}

/** The steps that empty and delete namespace `ns`: kill what runs inside, then `ip netns del`. */
function removeSteps(runner: CommandRunner, ns: string): TeardownStep[] {
  return [
    [
      `killing the processes in ${ns}`,
      async () => {
        await killInside(runner, ns)
      },
    ],
    [
      `deleting namespace ${ns}`,
      async () => {
        const r = await runner.run(['ip', 'netns', 'del', ns], { allowFail: true })
        if (r.code !== 0 && (await namespaceExists(runner, ns)))
          throw new Error(`ip netns del ${ns}: ${r.stderr.trim()}`)
      },
    ],
  ]
}

async function namespaceExists(runner: CommandRunner, ns: string): Promise<boolean> {
  const list = await runner.run(['ip', 'netns', 'list'], { allowFail: true })
  return list.stdout.split('\n').some((l) => l.split(' ')[0] === ns)
}

/**
 * SIGKILLs every process inside namespace `ns` (ours by construction: we created it) and
 * waits, up to 5 s, until `ip netns pids` lists none. A namespace that does not exist has none.
 */
async function killInside(runner: CommandRunner, ns: string): Promise<void> {
  const pidsOf = async (): Promise<number[]> => {
    const r = await runner.run(['ip', 'netns', 'pids', ns], { allowFail: true })
    return r.stdout
      .split(/\s+/)
      .filter((p) => /^\d+$/.test(p))
      .map(Number)
  }
  const deadline = Date.now() + 5000
  for (let pids = await pidsOf(); pids.length > 0; pids = await pidsOf()) {
    if (Date.now() > deadline) throw new Error(`pids ${pids.join(' ')} still run in ${ns} 5 s after SIGKILL`)
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        /* already gone */
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
