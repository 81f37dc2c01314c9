import { MeshError, hasCode } from '@vpcmesh/common'

/**
 * Stable error codes raised by `@vpcmesh/linuxnet`. Codes are never reused; each is listed in
 * docs/errors.md.
 */
export const LINUXNET_ERROR_CODES = Object.freeze({
  /** A host command (`ip`, `nft`, `sysctl`) could not be started or exited non-zero. */
  command: 'VPCMESH_ERR_LINUXNET_COMMAND',
  /** A host command succeeded but printed something we cannot read (unexpected JSON or text). */
  output: 'VPCMESH_ERR_LINUXNET_OUTPUT',
  /** The RouterConfig is invalid; nothing was changed on the host. */
  config: 'VPCMESH_ERR_LINUXNET_CONFIG',
  /** The TUN link named in the RouterConfig does not exist (yet); retry once it is created. */
  noLink: 'VPCMESH_ERR_LINUXNET_NO_LINK',
} as const)

/** One of the {@link LINUXNET_ERROR_CODES} values. */
export type LinuxNetErrorCode = (typeof LINUXNET_ERROR_CODES)[keyof typeof LINUXNET_ERROR_CODES]

/** Details a {@link LinuxNetError} may carry about the command that failed. */
export interface CommandDetails {
  /** The full argv that was run, including any `ip netns exec NAME` prefix. */
  argv: readonly string[]
  /** Exit status; undefined when the process could not start or was killed by a signal. */
  exitCode?: number | undefined
  /** stdout then stderr of the command, trimmed; may be shortened for very long output. */
  output: string
}

/**
 * LinuxNetError is thrown by `@vpcmesh/linuxnet` for failed host commands, unreadable command
 * output, an invalid RouterConfig or a missing TUN link. Command errors carry the argv, exit
 * code and output both as properties and in the message.
 */
export class LinuxNetError extends MeshError {
  declare readonly code: LinuxNetErrorCode
  /** The command involved, when the error is about a command. */
  readonly command: CommandDetails | undefined

  /**
   * @param code - which failure this is
   * @param message - human text; for command errors it already names the argv and output
   */
  constructor(
    code: LinuxNetErrorCode,
    message: string,
    opts: { cause?: unknown; retryable?: boolean; command?: CommandDetails } = {},
  ) {
    super(code, message, { cause: opts.cause, retryable: opts.retryable ?? code === LINUXNET_ERROR_CODES.noLink })
    this.name = 'LinuxNetError'
    this.command = opts.command
  }
}

/** True when `e` is a LinuxNetError (checked by code, so it also works across package copies). */
export function isLinuxNetError(e: unknown): e is LinuxNetError {
  return hasCode(e) && (Object.values(LINUXNET_ERROR_CODES) as string[]).includes(e.code)
}
