import { MeshError, errorMessage, hasCode } from '@vpcmesh/common'

/**
 * Error codes the CLI raises itself. Codes from the controller travel unchanged in
 * {@link ApiCallError}; these cover what happens before or around a request.
 */
export const CliErrorCode = Object.freeze({
  /** Bad command line: unknown command or flag, missing argument, bad flag value, no token. Exit 2. */
  usage: 'VPCMESH_ERR_CLI_USAGE',
  /** The controller could not be reached (refused, DNS, TLS, timeout). Exit 1. */
  unreachable: 'VPCMESH_ERR_CLI_UNREACHABLE',
  /** The controller answered with a body that does not match the protocol schemas. Exit 1. */
  badResponse: 'VPCMESH_ERR_CLI_BAD_RESPONSE',
  /** The URL given to `agent-status` answered, but not with an agent status document. Exit 2. */
  badAgentStatus: 'VPCMESH_ERR_CLI_BAD_AGENT_STATUS',
  /** `vpcmesh explain` found a broken hop (the hops are printed on stdout first). Exit 1. */
  flowBroken: 'VPCMESH_ERR_CLI_FLOW_BROKEN',
  /** `route list ADDRESS`: no prefix routed in the mesh holds the address. Exit 1. */
  notRouted: 'VPCMESH_ERR_CLI_NOT_ROUTED',
} as const)

/** One of the {@link CliErrorCode} values. */
export type CliErrorCode = (typeof CliErrorCode)[keyof typeof CliErrorCode]

/** A usage error: the command line is wrong. `vpcmesh` exits 2 and prints the message on one line. */
export class CliError extends MeshError {
  constructor(message: string) {
    super(CliErrorCode.usage, message)
    this.name = 'CliError'
  }
}

/** Builds a {@link CliError} that points at the help of `command` (e.g. `vpc add`; '' for the root). */
export function usageError(what: string, command: string): CliError {
  const see = command === '' ? 'vpcmesh --help' : `vpcmesh ${command} --help`
  return new CliError(`${what} (see ${see})`)
}

/** `route list ADDRESS` for an address no routed prefix holds. Exit 1. */
export class NotRoutedError extends MeshError {
  constructor(message: string) {
    super(CliErrorCode.notRouted, message)
    this.name = 'NotRoutedError'
  }
}

/** An error answer of the controller, carrying its ErrorBody `code` and HTTP `status`. */
export class ApiCallError extends MeshError {
  /** HTTP status of the answer; 0 when the error was decided by the CLI without an answer. */
  readonly status: number

  constructor(code: string, message: string, opts: { status: number; retryable?: boolean }) {
    super(code, message, { retryable: opts.retryable ?? false })
    this.name = 'ApiCallError'
    this.status = opts.status
  }
}

/** The controller (or, for `agent-status`, the agent) did not answer at all; `message` names the URL and the reason. */
export class UnreachableError extends MeshError {
  constructor(baseUrl: string, reason: string, cause?: unknown, what: 'controller' | 'agent' = 'controller') {
    super(CliErrorCode.unreachable, `cannot reach ${what} at ${baseUrl}: ${reason}`, { cause, retryable: true })
    this.name = 'UnreachableError'
  }
}

/**
 * The URL given to `agent-status` answered with an error status, not JSON, or JSON that is not
 * an agent status: it is not an agent's status server (or the versions are incompatible).
 */
export class BadAgentStatusError extends MeshError {
  constructor(message: string) {
    super(CliErrorCode.badAgentStatus, message)
    this.name = 'BadAgentStatusError'
  }
}

/** `vpcmesh explain` found a broken hop: exit 1 with one line naming it. */
export class FlowBrokenError extends MeshError {
  constructor(hop: string) {
    super(CliErrorCode.flowBroken, `the flow breaks at hop ${hop}; see its fix above`)
    this.name = 'FlowBrokenError'
  }
}

/** True when `e` is a usage error (by code, so it also holds across package copies). */
export function isUsageError(e: unknown): boolean {
  return hasCode(e) && e.code === CliErrorCode.usage
}

/**
 * The exit status and the single stderr line (without `vpcmesh: ` and newline) for a thrown
 * value: 2 for usage errors and a URL that serves no agent status, 1 for everything else.
 * Newlines inside messages are folded.
 */
export function describeFailure(e: unknown): { exitCode: number; line: string } {
  if (isUsageError(e)) return { exitCode: 2, line: oneLine((e as Error).message) }
  if (hasCode(e) && e.code === CliErrorCode.badAgentStatus)
    return { exitCode: 2, line: oneLine(`${e.code}: ${e.message}`) }
  if (hasCode(e) && e.code === CliErrorCode.unreachable) return { exitCode: 1, line: oneLine(e.message) }
  if (hasCode(e)) return { exitCode: 1, line: oneLine(`${e.code}: ${e.message}`) }
  const message = errorMessage(e)
  return { exitCode: 1, line: oneLine(`internal error: ${message}`) }
}

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim()
}
