import type { CommandRunner, RunOptions, RunResult } from '@vpcmesh/linuxnet'

/**
 * A CommandRunner answering from a script: argv joined by spaces → what the command prints.
 * An argv without an entry exits 1 (thrown unless `allowFail`, like the real runner). Records
 * every argv run.
 */
export class ScriptedRunner implements CommandRunner {
  readonly ran: string[] = []

  constructor(private readonly script: Record<string, Partial<RunResult>>) {}

  async run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const key = argv.join(' ')
    this.ran.push(key)
    const s = this.script[key] ?? { code: 1, stderr: `not scripted: ${key}` }
    const r = { stdout: s.stdout ?? '', stderr: s.stderr ?? '', code: s.code ?? 0 }
    if (r.code !== 0 && opts.allowFail !== true) throw new Error(`command exited with code ${r.code}: ${key}`)
    return r
  }
}
