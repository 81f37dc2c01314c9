import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createConnection, createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CONTROLLER_BIN } from './controller-proc.js'
import { ADMIN_TOKEN } from './harness.js'
import { awaitValue } from '@vpcmesh/testbed'

/** True while a process with this PID exists (a zombie counts). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Resolves true when 127.0.0.1:`port` accepts a TCP connection, false when it is refused. */
async function accepts(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port })
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => {
      resolve(false)
    })
  })
}

describe('controller start-up failure after a partial start', () => {
  let dir: string
  let busy: Server
  let busyPort = 0
  /** PIDs to kill in `after` if the controller under test leaked them. */
  const leaked: number[] = []

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vpcmesh-lifecycle-'))
    busy = createServer()
    await new Promise<void>((resolve) => {
      busy.listen(0, '127.0.0.1', resolve)
    })
    busyPort = (busy.address() as { port: number }).port
  })
  after(async () => {
    for (const pid of leaked) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        /* already gone */
      }
    }
    await new Promise<void>((resolve) => {
      busy.close(() => {
        resolve()
      })
    })
    rmSync(dir, { recursive: true, force: true })
  })

  test('listen address in use with an embedded Redis: exit 1, and the embedded redis-server is stopped and its port closed', async () => {
    const child = spawn(process.execPath, [CONTROLLER_BIN], {
      env: {
        PATH: process.env.PATH ?? '',
        VPCMESH_TEST_RUN: process.env.VPCMESH_TEST_RUN ?? '',
        VPCMESH_ADMIN_TOKEN: ADMIN_TOKEN,
        VPCMESH_DATA_DIR: dir,
        VPCMESH_LISTEN: `127.0.0.1:${busyPort}`,
        VPCMESH_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    leaked.push(child.pid as number)
    let output = ''
    child.stdout.on('data', (b: Buffer) => {
      output += b.toString()
    })
    child.stderr.on('data', (b: Buffer) => {
      output += b.toString()
    })
    const started = await awaitValue(`the embedded redis-server started (output: ${output})`, () => {
      const r = records(output).find((l) => l.msg === 'embedded redis-server started')
      return r === undefined ? undefined : { port: Number(r.port), pid: Number(r.pid) }
    })
    leaked.push(started.pid)
    const code = await awaitValue(
      `the controller exits by itself (output: ${output.slice(-500)})`,
      () => child.exitCode ?? undefined,
      15_000,
    )
    assert.equal(code, 1, output)
    assert.ok(
      records(output).some((l) => l.msg === 'cannot start' && l.step === `listen on 127.0.0.1:${busyPort}`),
      output,
    )
    await awaitValue(`redis-server ${started.pid} gone`, () => !alive(started.pid), 5000)
    assert.equal(await accepts(started.port), false, `port ${started.port} of the embedded Redis still accepts`)
  })
})

/** The JSON log records in `output` (one per line; other lines are skipped). */
function records(output: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = []
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue
    try {
      out.push(JSON.parse(line) as Record<string, unknown>)
    } catch {
      // a partial line still being written
    }
  }
  return out
}
