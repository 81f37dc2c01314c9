/**
 * MeshError is the base of every error vpcmesh raises on purpose. `code` is stable
 * (`VPCMESH_ERR_<AREA>_<WHAT>`), never reused, and documented in docs/errors.md.
 * `retryable` says whether the same call may succeed later without a change of input.
 */
export class MeshError extends Error {
  readonly code: string
  readonly retryable: boolean

  constructor(code: string, message: string, opts: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'MeshError'
    this.code = code
    this.retryable = opts.retryable ?? false
  }
}

/** True when `e` carries a string `code` (any MeshError, also across package copies). */
export function hasCode(e: unknown): e is { code: string; message: string; retryable?: boolean } {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string'
}

/** True when `e` is an error carrying exactly this `code`. */
export function isCode(e: unknown, code: string): boolean {
  return hasCode(e) && e.code === code
}

/** The error message of any thrown value, for logs. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}
