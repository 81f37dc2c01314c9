import assert from 'node:assert/strict'
import { runCli } from '../src/main.js'

/** The admin token every test uses; {@link run} fails the test if it is ever printed. */
export const TOKEN = 'admin-7f3c9e1d2b4a6f8e0c1d3b5a'

/** What one CLI run produced. */
export interface RunResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Options of {@link run}. */
export interface RunOptions {
  /** Controller URL put in VPCMESH_CONTROLLER. */
  readonly controller?: string
  /** Environment; replaces the default `{ VPCMESH_TOKEN, VPCMESH_CONTROLLER }`. */
  readonly env?: Record<string, string | undefined>
  /** Fetch to use. @default a fetch that fails the test (no request expected) */
  readonly fetch?: typeof fetch
  readonly now?: () => number
}

/** A fetch for runs that must not reach the network (usage errors, help). */
export const noFetch: typeof fetch = async () => {
  throw new Error('fetch must not be called')
}

/**
 * Runs the CLI in-process and returns exit code and output. Always asserts that the admin
 * token is not printed and that stderr holds at most one line.
 */
export async function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  let stdout = ''
  let stderr = ''
  const env = opts.env ?? { VPCMESH_TOKEN: TOKEN, VPCMESH_CONTROLLER: opts.controller }
  const code = await runCli(argv, {
    env,
    stdout: (s) => {
      stdout += s
    },
    stderr: (s) => {
      stderr += s
    },
    fetch: opts.fetch ?? (opts.controller === undefined ? noFetch : globalThis.fetch),
    now: opts.now,
  })
  assert.ok(!stdout.includes(TOKEN) && !stderr.includes(TOKEN), `token printed by ${argv.join(' ')}`)
  assert.ok(stderr.split('\n').length <= 2, `more than one stderr line: ${stderr}`)
  return { code, stdout, stderr }
}

/** Asserts a failed run: `code`, exactly one stderr line matching `line`, nothing on stdout. */
export function assertFailure(r: RunResult, code: number, line: RegExp): void {
  assert.equal(r.code, code, `exit code; stderr: ${r.stderr}`)
  assert.equal(r.stdout, '')
  assert.match(r.stderr, /^vpcmesh: [^\n]+\n$/)
  assert.match(r.stderr, line)
}
