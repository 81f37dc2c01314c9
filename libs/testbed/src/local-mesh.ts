import type { ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { pollUntil } from '@vpcmesh/common'
import { teardown } from './teardown.js'
import type { Testbed } from './testbed.js'
import { UNDERLAY, type TestbedNode } from './topology.js'

/** Options of {@link LocalMesh}. */
export interface LocalMeshOptions {
  /** Absolute path of the `bin/vpcmesh` launcher. */
  launcher: string
  /** Directory for the controller's Redis data and each agent's state. */
  workDir: string
  adminToken: string
  /** Agents' tunnel keepalive, ms. @default 1000 */
  keepaliveMs?: number
  /** Tunnels over the IPv6 underlay: endpoints `[fd64::N]:51820`, agents bound to `::`. @default false */
  ipv6Underlay?: boolean
  /**
   * Redis URL for the controller (reachable from the wan namespace). Absent: the controller's
   * embedded redis-server in `workDir`.
   */
  redisUrl?: string
  /** Sentinels (`host:port,…`, reachable from the wan namespace) instead of `redisUrl`. */
  redisSentinels?: string
  /**
   * Controller replicas on the one Redis (needs `redisUrl` or `redisSentinels` above 1), replica
   * i on port 7700 + 10·i with replica id `r<i>`; agents are given every URL. @default 1
   */
  replicas?: number
  /** Controller heartbeat (`VPCMESH_HEARTBEAT_MS`); the active-gateway lease is three of them. @default 2000 */
  heartbeatMs?: number
}

/** Where and as what {@link LocalMesh.startAgent} runs an agent, when not as the node's only gateway. */
export interface AgentPlacement {
  /** Process label and state-directory name. @default the node's name */
  label?: string
  /** Namespace. @default the node's gateway namespace */
  ns?: string
  /** Address of its status server. @default the node's underlay address */
  statusIp?: string
  /** More agent flags (`--gateway-name`, `--advertise-endpoint`, `--vip-interface`, …). */
  args?: string[]
}

/** Answer of a CLI call. */
export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Port of the controller in the wan namespace and of each agent's status server. */
export const CONTROLLER_PORT = 7700
export const AGENT_STATUS_PORT = 7701
export const AGENT_UDP_PORT = 51820

/**
 * Runs the real thing on a {@link Testbed}: the controller (with its embedded redis-server)
 * in the wan namespace, one agent per VPC in its gateway namespace, and the operator CLI in
 * the wan namespace, all through `bin/vpcmesh` exactly as an operator would run them.
 * Process output is kept per process for diagnostics (`logs`).
 */
export class LocalMesh {
  readonly logs = new Map<string, string>()
  private readonly controllers: Array<ChildProcess | undefined> = []
  private readonly agents = new Map<string, ChildProcess>()

  constructor(
    readonly tb: Testbed,
    private readonly o: LocalMeshOptions,
  ) {}

  /** Base URL of every controller replica, reachable from every namespace of the testbed. */
  get controllerUrls(): string[] {
    return Array.from(
      { length: this.o.replicas ?? 1 },
      (_, i) => `http://${UNDERLAY.wanIp}:${CONTROLLER_PORT + 10 * i}`,
    )
  }

  /** Base URL of the first running controller replica (of replica 0 when none runs). */
  get controllerUrl(): string {
    const i = this.controllers.findIndex((c) => c !== undefined)
    return this.controllerUrls[Math.max(0, i)]!
  }

  /** Starts controller replica `replica` and waits until the CLI can talk to it. */
  async startController(replica = 0): Promise<void> {
    const url = this.controllerUrls[replica]
    if (url === undefined) throw new Error(`no controller replica ${replica}`)
    const store =
      this.o.redisSentinels !== undefined
        ? ['--redis-sentinels', this.o.redisSentinels]
        : this.o.redisUrl !== undefined
          ? ['--redis-url', this.o.redisUrl]
          : ['--data-dir', join(this.o.workDir, 'controller')]
    this.controllers[replica] = this.run(
      replica === 0 ? 'controller' : `controller-r${replica}`,
      this.tb.wanNs,
      ['controller', '--listen', new URL(url).host, '--replica-id', `r${replica}`, ...store],
      {
        VPCMESH_ADMIN_TOKEN: this.o.adminToken,
        VPCMESH_HEARTBEAT_MS: String(this.o.heartbeatMs ?? 2000),
        VPCMESH_LOG_LEVEL: 'warn',
      },
    )
    await pollUntil(`controller r${replica} answering`, async () => (await this.cli(['vpc', 'list'], url)).code === 0, {
      timeoutMs: 20_000,
      intervalMs: 100,
    })
  }

  /** Stops controller replica `replica` (SIGTERM, or SIGKILL to simulate a crash). */
  async stopController(signal: NodeJS.Signals = 'SIGTERM', replica = 0): Promise<void> {
    const c = this.controllers[replica]
    this.controllers[replica] = undefined
    if (c !== undefined) await this.tb.kill(c, signal)
  }

  /** Runs `vpcmesh ARGS --json` in the wan namespace with the admin token, against `url`. */
  async cli(args: readonly string[], url = this.controllerUrl): Promise<CliResult> {
    const r = await this.tb.exec(
      this.tb.wanNs,
      [
        'env',
        `VPCMESH_CONTROLLER=${url}`,
        `VPCMESH_TOKEN=${this.o.adminToken}`,
        process.execPath,
        this.o.launcher,
        ...args,
        '--json',
      ],
      { allowFail: true },
    )
    return { code: r.code, stdout: r.stdout, stderr: r.stderr }
  }

  /** Like {@link cli} but throws unless exit 0, and parses the JSON output. */
  async mustCli<T = any>(args: readonly string[]): Promise<T> {
    const r = await this.cli(args)
    if (r.code !== 0) throw new Error(`vpcmesh ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`)
    return JSON.parse(r.stdout) as T
  }

  /**
   * Calls the REST API (curl in the wan namespace, with the admin token) for what the CLI has
   * no flag for; returns the parsed answer, or undefined for an empty one (204).
   */
  async api(method: string, path: string, body?: unknown): Promise<any> {
    const args = ['curl', '-sS', '--max-time', '5', '-X', method, '-H', `Authorization: Bearer ${this.o.adminToken}`]
    if (body !== undefined) args.push('-H', 'Content-Type: application/json', '-d', JSON.stringify(body))
    const r = await this.tb.exec(this.tb.wanNs, [...args, `${this.controllerUrl}${path}`])
    return r.stdout.trim() === '' ? undefined : JSON.parse(r.stdout)
  }

  /** Registers a testbed VPC (its /24 and /64, endpoint on the underlay); returns id and join token. */
  async addVpc(n: TestbedNode, extraArgs: readonly string[] = []): Promise<{ id: string; joinToken: string }> {
    const endpoint =
      this.o.ipv6Underlay === true ? `[${n.underlayIp6}]:${AGENT_UDP_PORT}` : `${n.underlayIp}:${AGENT_UDP_PORT}`
    const r = await this.mustCli<{ vpc: { id: string }; joinToken: string }>([
      'vpc',
      'add',
      n.name,
      '--cidr',
      n.cidr,
      '--cidr',
      n.cidr6,
      '--endpoint',
      endpoint,
      ...extraArgs,
    ])
    return { id: r.vpc.id, joinToken: r.joinToken }
  }

  /**
   * Starts the agent of `n` (with a join token the first time); `at` places a further gateway
   * of the same VPC in another namespace, under its own label.
   */
  startAgent(n: TestbedNode, joinToken?: string, at: AgentPlacement = {}): void {
    const label = at.label ?? n.name
    const args = [
      'agent',
      ...this.controllerUrls.flatMap((u) => ['--controller', u]),
      '--state-dir',
      join(this.o.workDir, label),
      '--listen-port',
      String(AGENT_UDP_PORT),
      '--status-listen',
      `${at.statusIp ?? n.underlayIp}:${AGENT_STATUS_PORT}`,
      '--keepalive-ms',
      String(this.o.keepaliveMs ?? 1000),
      '--log-level',
      'warn',
    ]
    if (joinToken !== undefined) args.push('--join-token', joinToken)
    if (this.o.ipv6Underlay === true) args.push('--bind', '::')
    args.push(...(at.args ?? []))
    this.agents.set(label, this.run(`agent-${label}`, at.ns ?? n.gwNs, args))
  }

  /** Stops the agent of `name` and waits for it to exit. */
  async stopAgent(name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const c = this.agents.get(name)
    this.agents.delete(name)
    if (c !== undefined) await this.tb.kill(c, signal)
  }

  /** The running agent process of `name`, if any (e.g. to watch it exit). */
  agentProcess(name: string): ChildProcess | undefined {
    return this.agents.get(name)
  }

  /** GET a path of an agent's status server (from the wan namespace). */
  async agentGet(n: TestbedNode, path: string): Promise<string> {
    const r = await this.tb.exec(this.tb.wanNs, [
      'curl',
      '-sf',
      '--max-time',
      '5',
      `http://${n.underlayIp}:${AGENT_STATUS_PORT}${path}`,
    ])
    return r.stdout
  }

  /** Waits until every running agent has applied the controller's version and sees all its peers up. */
  async awaitConverged(timeoutMs = 30_000): Promise<void> {
    await pollUntil(
      'mesh converged (all agents applied the latest version, all peers up)',
      async () => {
        const st = await this.mustCli<{ version: number; agents: Array<{ name: string; appliedVersion: number }> }>([
          'status',
        ])
        for (const name of this.agents.keys()) {
          const a = st.agents.find((x) => x.name === name)
          if (a === undefined || a.appliedVersion !== st.version) return false
          const s = JSON.parse(await this.agentGet(this.tb.node(name), '/status')) as { peers: Array<{ up: boolean }> }
          if (s.peers.length !== this.agents.size - 1 || !s.peers.every((p) => p.up)) return false
        }
        return true
      },
      { timeoutMs, intervalMs: 250 },
    )
  }

  /**
   * Stops every agent and the controller (SIGTERM, SIGKILL after 5 s, by PID), each even
   * when stopping another failed. @throws after all of them, if any failed
   */
  async stop(): Promise<void> {
    await teardown([
      ...[...this.agents.keys()].map(
        (name) =>
          [
            `stopping agent ${name}`,
            async () => {
              await this.stopAgent(name)
            },
          ] as const,
      ),
      ...this.controllerUrls.map(
        (_, i) =>
          [
            `stopping controller r${i}`,
            async () => {
              await this.stopController('SIGTERM', i)
            },
          ] as const,
      ),
    ])
  }

  private run(label: string, ns: string, args: string[], env: Record<string, string> = {}): ChildProcess {
    const child = this.tb.spawn(ns, [
      'env',
      ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
      process.execPath,
      this.o.launcher,
      ...args,
    ])
    const keep = (b: Buffer): void => {
      this.logs.set(label, ((this.logs.get(label) ?? '') + b.toString()).slice(-20_000))
    }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    return child
  }
}
