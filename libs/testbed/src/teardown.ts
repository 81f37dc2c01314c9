import type { ChildProcess } from 'node:child_process'
import { errorMessage } from '@vpcmesh/common'

/** One cleanup step: what it does (for the log) and the work. */
export type TeardownStep = readonly [what: string, fn: () => unknown]

/** Options of {@link teardown}. */
export interface TeardownOptions {
  /** Deadline of each step, ms. @default 30000 */
  timeoutMs?: number
  /** Where failures are reported. @default a line on stderr */
  log?: (line: string) => void
}

/**
 * Runs every cleanup step in order, each on its own: a step that throws or does not settle
 * within `timeoutMs` is logged and the next step runs anyway. The deadline timer also keeps
 * the process alive while a step waits, so a step awaiting something that never happens
 * cannot end the test process quietly with the remaining steps skipped.
 * @throws AggregateError listing the failed steps, after all steps ran
 */
export async function teardown(steps: readonly TeardownStep[], opts: TeardownOptions = {}): Promise<void> {
  const log =
    opts.log ??
    ((line: string) => {
      process.stderr.write(`${line}\n`)
    })
  const timeoutMs = opts.timeoutMs ?? 30_000
  const failures: Error[] = []
  for (const [what, fn] of steps) {
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([
        Promise.resolve().then(fn),
        new Promise((_resolve, reject) => {
          timer = setTimeout(() => {
            reject(new Error(`did not finish within ${timeoutMs} ms`))
          }, timeoutMs)
        }),
      ])
    } catch (e) {
      const msg = errorMessage(e)
      log(`teardown: ${what} failed: ${msg}`)
      failures.push(new Error(`${what}: ${msg}`))
    } finally {
      clearTimeout(timer)
    }
  }
  if (failures.length > 0)
    throw new AggregateError(
      failures,
      `teardown: ${failures.length} of ${steps.length} steps failed: ${failures.map((f) => f.message).join('; ')}`,
    )
}

/**
 * Stops `child` by PID: `signal`, SIGKILL after `graceMs`. Resolves when it exited (at once if
 * it already had); throws if it still runs 5 s after the SIGKILL: never waits forever.
 */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  const done = (): boolean => child.exitCode !== null || child.signalCode !== null
  if (done() || child.pid === undefined) return
  let onExit = (): void => {}
  const exited = new Promise<void>((resolve) => {
    onExit = resolve
    child.once('exit', onExit)
  })
  const timers: NodeJS.Timeout[] = []
  try {
    child.kill(signal)
    timers.push(
      setTimeout(() => {
        if (!done()) child.kill('SIGKILL')
      }, graceMs),
    )
    const gaveUp = new Promise<never>((_resolve, reject) => {
      timers.push(
        setTimeout(() => {
          reject(new Error(`pid ${child.pid ?? '?'} still runs 5 s after SIGKILL`))
        }, graceMs + 5000),
      )
    })
    if (!done()) await Promise.race([exited, gaveUp])
  } finally {
    for (const t of timers) clearTimeout(t)
    child.off('exit', onExit)
  }
}
