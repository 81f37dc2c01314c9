import { spawn, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { awaitValue, stopProcess } from '@vpcmesh/testbed'

const require = createRequire(import.meta.url)
/** Path of the compiled controller entry. */
export const CONTROLLER_BIN = join(dirname(require.resolve('@vpcmesh/controller')), 'bin.js')

/** A real controller process on 127.0.0.1. */
export class ControllerProc {
  private child: ChildProcess | undefined
  output = ''

  /** `nodeArgs` go to node before the entry script (e.g. `--cpu-prof`, which NODE_OPTIONS refuses). */
  constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
    private readonly nodeArgs: string[] = [],
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }
  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/v1/agents/connect`
  }
  get pid(): number | undefined {
    return this.child?.pid
  }

  /** Starts the process and waits until /readyz answers 200. */
  async start(): Promise<void> {
    const child = spawn(process.execPath, [...this.nodeArgs, CONTROLLER_BIN], {
      // VPCMESH_TEST_RUN: the run's marker (scripts/test.mjs), so the leftover check finds the embedded redis-server too
      env: {
        PATH: process.env.PATH ?? '',
        VPCMESH_TEST_RUN: process.env.VPCMESH_TEST_RUN ?? '',
        ...this.env,
        VPCMESH_LISTEN: `127.0.0.1:${this.port}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.child = child
    child.stdout?.on('data', (b: Buffer) => {
      this.output += b.toString()
    })
    child.stderr?.on('data', (b: Buffer) => {
      this.output += b.toString()
    })
    await awaitValue(
      `controller on ${this.port} ready (output: ${this.output.slice(-300)})`,
      async () => {
        if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${this.output}`)
        const r = await fetch(`${this.url}/readyz`)
        return r.status === 200
      },
      15_000,
      50,
    )
  }

  /** SIGTERM, wait for exit (SIGKILL after 5 s). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child !== undefined) await stopProcess(this.child, signal, 5000)
  }
}
