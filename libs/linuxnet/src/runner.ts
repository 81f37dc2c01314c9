/**
 * The command seam: every `ip`, `nft` and `sysctl` call of this package goes through a
 * CommandRunner, as an argv array, never a shell string (tailscale osrouter/runner.go).
 */
import { execFile } from 'node:child_process'
import { LINUXNET_ERROR_CODES, LinuxNetError } from './errors.js'

/** Options of one {@link CommandRunner.run} call. */
export interface RunOptions {
  /** Text written to the command's stdin, then stdin is closed. Undefined: stdin is closed at once. */
  input?: string
  /** When true a non-zero exit is returned in `code` instead of thrown. @default false */
  allowFail?: boolean
}

/** What a finished command printed and how it exited. */
export interface RunResult {
  stdout: string
  stderr: string
  /** Exit status: 0 unless `allowFail` was set. */
  code: number
}

/**
 * CommandRunner runs one host command. Contract:
 * - `argv[0]` is the program (looked up in PATH), the rest are its arguments, passed verbatim.
 * - A non-zero exit throws LinuxNetError VPCMESH_ERR_LINUXNET_COMMAND carrying the argv, the
 *   exit code and the combined output, unless `allowFail` is set. A command that cannot start
 *   (missing program, timeout) always throws.
 * - Commands run one at a time in call order when the caller awaits each call.
 */
export interface CommandRunner {
  /** Runs `argv` to completion. @throws LinuxNetError as described on the interface */
  run(argv: readonly string[], opts?: RunOptions): Promise<RunResult>
}

/** Options for {@link createExecRunner}. */
export interface ExecRunnerOptions {
  /** Run every command inside this network namespace (`ip netns exec NAME …`); for tests. */
  netns?: string
  /** Kill a command that runs longer than this many milliseconds. @default 30000 */
  timeoutMs?: number
  /** PATH given to commands; the environment is otherwise only `LC_ALL=C`. @default DEFAULT_COMMAND_PATH */
  path?: string
}

/** PATH used for host commands: the usual root directories, as in a systemd service. */
export const DEFAULT_COMMAND_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
/** Longest command output kept in an error message, in characters. */
const MAX_OUTPUT = 4000

/** Formats argv for messages: words with spaces or quotes are JSON-quoted. */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')
}

/** Builds the COMMAND error for a failed command. */
export function commandError(
  argv: readonly string[],
  exitCode: number | undefined,
  stdout: string,
  stderr: string,
  why?: string,
): LinuxNetError {
  let output = [stdout.trim(), stderr.trim()].filter((s) => s !== '').join('\n')
  if (output.length > MAX_OUTPUT) output = `${output.slice(0, MAX_OUTPUT)}…`
  const status = why ?? (exitCode === undefined ? 'did not finish' : `exited with code ${exitCode}`)
  return new LinuxNetError(
    LINUXNET_ERROR_CODES.command,
    `command ${status}: ${formatArgv(argv)}${output === '' ? '' : `: ${output}`}`,
    { command: { argv: [...argv], exitCode, output } },
  )
}

/** ExecRunner runs commands with `child_process.execFile` (no shell), `LC_ALL=C`. */
class ExecRunner implements CommandRunner {
  private readonly prefix: string[]
  private readonly timeoutMs: number
  private readonly env: Record<string, string>

  constructor(options: ExecRunnerOptions) {
    this.prefix = options.netns === undefined ? [] : ['ip', 'netns', 'exec', options.netns]
    this.timeoutMs = options.timeoutMs ?? 30_000
    this.env = { LC_ALL: 'C', PATH: options.path ?? DEFAULT_COMMAND_PATH }
  }

  async run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const full = [...this.prefix, ...argv]
    const [file, ...args] = full
    if (file === undefined) throw commandError(full, undefined, '', '', 'is empty')
    return await new Promise<RunResult>((resolve, reject) => {
      const child = execFile(
        file,
        args,
        {
          env: this.env,
          timeout: this.timeoutMs,
          maxBuffer: 64 * 1024 * 1024,
          encoding: 'utf8',
        },
        (err, stdout, stderr) => {
          if (err === null) {
            resolve({ stdout, stderr, code: 0 })
            return
          }
          const code = typeof err.code === 'number' ? err.code : undefined
          if (code !== undefined && err.killed !== true && opts.allowFail === true) {
            resolve({ stdout, stderr, code })
            return
          }
          const why = code === undefined ? `could not run (${err.code ?? err.signal ?? err.message})` : undefined
          reject(
            commandError(
              full,
              code,
              stdout,
              stderr,
              err.killed === true ? `timed out after ${this.timeoutMs} ms` : why,
            ),
          )
        },
      )
      child.stdin?.on('error', () => {}) // EPIPE when the command exits without reading; the exit status tells.
      child.stdin?.end(opts.input ?? '')
    })
  }
}

/**
 * Creates the real CommandRunner over `execFile`. The environment of every command is only
 * `LC_ALL=C` and PATH, so output is parsable and independent of the caller's locale.
 */
export function createExecRunner(options: ExecRunnerOptions = {}): CommandRunner {
  return new ExecRunner(options)
}
