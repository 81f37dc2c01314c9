import { MeshError } from '@vpcmesh/common'

/**
 * Every code a {@link DataplaneError} can carry. Stable, never reused; documented in
 * docs/errors.md. None is retryable: each needs a change of configuration or of the caller.
 */
export const DATAPLANE_ERROR_CODES = Object.freeze({
  /** The configuration is not the expected shape (missing or mistyped field, empty id or name). */
  invalidConfig: 'VPCMESH_ERR_DATAPLANE_INVALID_CONFIG',
  /** A private or public key is not base64 of 32 bytes, or a peer has our own public key. */
  invalidKey: 'VPCMESH_ERR_DATAPLANE_INVALID_KEY',
  /** A peer endpoint is not an IP literal with a port 1-65535, or IPv6 on an IPv4-only engine. */
  invalidEndpoint: 'VPCMESH_ERR_DATAPLANE_INVALID_ENDPOINT',
  /** An allowed prefix does not parse as a canonical CIDR prefix. */
  invalidPrefix: 'VPCMESH_ERR_DATAPLANE_INVALID_PREFIX',
  /** Two peers share an id, a name or a public key. */
  duplicatePeer: 'VPCMESH_ERR_DATAPLANE_DUPLICATE_PEER',
  /** Allowed prefixes of two different peers overlap, so routing would be ambiguous. */
  prefixOverlap: 'VPCMESH_ERR_DATAPLANE_PREFIX_OVERLAP',
  /** More peers than the engine's session slots allow (3 slots per peer). */
  tooManyPeers: 'VPCMESH_ERR_DATAPLANE_TOO_MANY_PEERS',
  /** start() or reconfig() after close(). */
  closed: 'VPCMESH_ERR_DATAPLANE_CLOSED',
  /** start() called twice. */
  alreadyStarted: 'VPCMESH_ERR_DATAPLANE_ALREADY_STARTED',
} as const)

/** One of the {@link DATAPLANE_ERROR_CODES} values. */
export type DataplaneErrorCode = (typeof DATAPLANE_ERROR_CODES)[keyof typeof DATAPLANE_ERROR_CODES]

/** One thing wrong with a configuration: a code and a message naming the field. */
export interface ConfigProblem {
  readonly code: DataplaneErrorCode
  readonly message: string
}

/**
 * DataplaneError is what the data plane throws (only from `createDataplane`, `start`,
 * `reconfig` and key helpers; never from packet paths). A rejected configuration lists every
 * problem in `problems` (the error's `code` is the first one's) and nothing was applied.
 */
export class DataplaneError extends MeshError {
  /** Every problem found; a single entry for errors that are not about configuration. */
  readonly problems: readonly ConfigProblem[]

  constructor(
    code: DataplaneErrorCode,
    message: string,
    opts: { cause?: unknown; problems?: readonly ConfigProblem[] } = {},
  ) {
    super(code, message, { cause: opts.cause, retryable: false })
    this.name = 'DataplaneError'
    this.problems = opts.problems ?? [{ code, message }]
  }

  /** One error for a non-empty list of problems. */
  static fromProblems(problems: readonly ConfigProblem[]): DataplaneError {
    const first = problems[0] ?? { code: 'VPCMESH_ERR_DATAPLANE_INVALID_CONFIG', message: 'invalid configuration' }
    const text =
      problems.length === 1
        ? first.message
        : `${problems.length} problems: ${problems.map((p) => p.message).join('; ')}`
    return new DataplaneError(first.code, `data plane configuration rejected: ${text}`, { problems })
  }
}

/** True if `code` is one of ours. */
export function isDataplaneErrorCode(code: unknown): code is DataplaneErrorCode {
  return typeof code === 'string' && (Object.values(DATAPLANE_ERROR_CODES) as string[]).includes(code)
}
