/**
 * Test harness for network namespaces (not a test itself): namespaces and veth pairs
 * with names unique to this process, edge processes inside them and tcpdump captures (read
 * with `readPcapFrames`, over the testbed's pcap reader). Everything created here is removed by {@link Topology.destroy}.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { errorMessage } from '@vpcmesh/common'
import { awaitValue, pcapFrames, udpPayloads } from '@vpcmesh/testbed'
import { fileURLToPath } from 'node:url'
import type { ForwardingEdgeConfig } from './fixtures/forwarding-edge.js'
import type { EdgeConfig } from './fixtures/static-edge.js'

export const EDGE_SCRIPT = fileURLToPath(new URL('./fixtures/static-edge.js', import.meta.url))
/** The edge with worker threads and a forwarding table (fixtures/forwarding-edge.ts). */
export const FORWARDING_EDGE_SCRIPT = fileURLToPath(new URL('./fixtures/forwarding-edge.js', import.meta.url))

/** Runs a command (argv, no shell); throws with its output on failure. */
export function mustRun(argv: string[], opts: { input?: string } = {}): string {
  const [cmd = '', ...args] = argv
  try {
    return execFileSync(cmd, args, {
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
      input: opts.input,
      env: { ...process.env, LC_ALL: 'C' },
    })
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string }
    throw new Error(`${argv.join(' ')} failed: ${err.stderr ?? ''}${err.stdout ?? ''}`)
  }
}

/** Runs `argv` inside namespace `ns`. */
export function nsRun(ns: string, argv: string[]): string {
  return mustRun(['ip', 'netns', 'exec', ns, ...argv])
}

/** Namespaces named `vmtun-<pid>-<tag>-<name>`; veth links between them. */
export class Topology {
  readonly prefix: string
  readonly namespaces: string[] = []
  private readonly children: ChildProcess[] = []

  constructor(tag: string) {
    this.prefix = `vmtun-${process.pid}-${tag}`
  }

  /** Creates namespace `<prefix>-<name>` with lo up; returns its full name. */
  addNamespace(name: string): string {
    const ns = `${this.prefix}-${name}`
    mustRun(['ip', 'netns', 'add', ns])
    this.namespaces.push(ns)
    nsRun(ns, ['ip', 'link', 'set', 'lo', 'up'])
    return ns
  }

  /** A veth pair between two namespaces with the given addresses (CIDR); returns the link names. */
  link(nsA: string, addrA: string, nsB: string, addrB: string): [string, string] {
    const id = randomBytes(3).toString('hex')
    const [a, b] = [`vt${id}a`, `vt${id}b`]
    mustRun(['ip', 'link', 'add', a, 'netns', nsA, 'type', 'veth', 'peer', 'name', b, 'netns', nsB])
    nsRun(nsA, ['ip', 'addr', 'add', addrA, 'dev', a])
    nsRun(nsB, ['ip', 'addr', 'add', addrB, 'dev', b])
    nsRun(nsA, ['ip', 'link', 'set', a, 'up'])
    nsRun(nsB, ['ip', 'link', 'set', b, 'up'])
    return [a, b]
  }

  /** Spawns `argv` inside `ns`, tracked for cleanup. */
  spawnIn(ns: string, argv: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] })
    this.children.push(child)
    return child
  }

  /**
   * Kills our children (by PID), then whatever still runs inside our namespaces (`ip netns
   * pids`), and deletes our namespaces (veths go with them). Every step runs whatever the
   * others did; failures are logged to stderr. @throws at the end if a namespace remains
   */
  destroy(): void {
    const log = (what: string, e: unknown): void => {
      process.stderr.write(`teardown: ${what} failed: ${errorMessage(e)}\n`)
    }
    for (const c of this.children) {
      try {
        if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) c.kill('SIGKILL')
      } catch (e) {
        log(`killing pid ${c.pid ?? '?'}`, e)
      }
    }
    const remaining: string[] = []
    for (const ns of this.namespaces) {
      try {
        for (const pid of mustRun(['ip', 'netns', 'pids', ns])
          .split(/\s+/)
          .filter((p) => /^\d+$/.test(p))) {
          try {
            process.kill(Number(pid), 'SIGKILL')
          } catch {
            /* already gone */
          }
        }
      } catch (e) {
        log(`listing the processes in ${ns}`, e)
      }
      try {
        mustRun(['ip', 'netns', 'del', ns])
      } catch (e) {
        if (
          mustRun(['ip', 'netns', 'list'])
            .split('\n')
            .some((l) => l.split(' ')[0] === ns)
        ) {
          log(`deleting ${ns}`, e)
          remaining.push(ns)
        }
      }
    }
    this.namespaces.length = 0
    if (remaining.length > 0) throw new Error(`namespaces left: ${remaining.join(' ')}`)
  }
}

/** An edge child process (static-edge, or forwarding-edge with its script) with a line-JSON request/event channel. */
export class EdgeProcess {
  readonly child: ChildProcess
  readonly lines: Array<Record<string, unknown>> = []
  stderr = ''

  constructor(topo: Topology, ns: string, cfg: EdgeConfig | ForwardingEdgeConfig, script = EDGE_SCRIPT) {
    this.child = topo.spawnIn(ns, [process.execPath, script, JSON.stringify(cfg)])
    let buf = ''
    this.child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString()
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        this.lines.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>)
        buf = buf.slice(nl + 1)
      }
    })
    this.child.stderr?.on('data', (d: Buffer) => {
      this.stderr += d.toString()
    })
  }

  /** Waits for the first line matching `pred` (and removes it). */
  async awaitLine(
    what: string,
    pred: (l: Record<string, unknown>) => boolean,
    timeoutMs = 10000,
  ): Promise<Record<string, unknown>> {
    return await awaitValue(
      what,
      () => {
        if (this.child.exitCode !== null || this.child.signalCode !== null)
          throw new Error(`edge exited (${this.child.exitCode ?? this.child.signalCode}): ${this.stderr}`)
        const i = this.lines.findIndex(pred)
        return i < 0 ? undefined : this.lines.splice(i, 1)[0]
      },
      timeoutMs,
    ).catch((e: Error) => {
      throw new Error(`${e.message}; edge stderr: ${this.stderr}; unclaimed lines: ${JSON.stringify(this.lines)}`)
    })
  }

  /** Sends a command and waits for its reply. */
  async request(cmd: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.child.stdin?.write(`${JSON.stringify(cmd)}\n`)
    return await this.awaitLine(`reply to ${String(cmd.cmd)}`, (l) => l.reply === cmd.cmd)
  }

  /** Slot-0 and global counters. */
  async stats(): Promise<{ slot: Record<string, number>; global: Record<string, number> }> {
    const r = await this.request({ cmd: 'stats' })
    return { slot: r.slot as Record<string, number>, global: r.global as Record<string, number> }
  }

  /** Asks the edge to close and exit; kills it (by PID) if it has not exited within `timeoutMs`. */
  async quit(timeoutMs = 3000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = new Promise((resolve) => this.child.once('exit', resolve))
    this.child.stdin?.write(`${JSON.stringify({ cmd: 'quit' })}\n`)
    const timer = setTimeout(() => {
      this.child.kill('SIGKILL')
    }, timeoutMs)
    await exited
    clearTimeout(timer)
  }
}

/** A tcpdump writing a pcap file; stop() ends it by PID. */
export class Capture {
  private readonly child: ChildProcess
  readonly file: string
  private stderr = ''

  constructor(topo: Topology, ns: string, dev: string, file: string, filter: string[]) {
    this.file = file
    this.child = topo.spawnIn(ns, ['tcpdump', '-i', dev, '--immediate-mode', '-U', '-n', '-w', file, ...filter])
    this.child.stderr?.on('data', (d: Buffer) => {
      this.stderr += d.toString()
    })
  }

  async ready(): Promise<void> {
    await awaitValue('tcpdump to listen', () => (this.stderr.includes('listening on') ? true : undefined))
  }

  /** Waits until the file holds at least `n` frames. */
  async awaitFrames(n: number): Promise<void> {
    await awaitValue(`${n} captured frames in ${this.file}`, () =>
      readPcapFrames(this.file).frames.length >= n ? true : undefined,
    )
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = new Promise((resolve) => this.child.once('exit', resolve))
    this.child.kill('SIGINT')
    await exited
  }
}

/** Link-layer frames of the pcap file `file` (the testbed's reader). */
export function readPcapFrames(file: string): { linkType: number; frames: Buffer[] } {
  return pcapFrames(readFileSync(file))
}

export { awaitValue, udpPayloads }
