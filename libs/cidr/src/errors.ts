import { MeshError, hasCode } from '@vpcmesh/common'

/**
 * Stable error codes raised by `@vpcmesh/cidr`. Codes are never reused; each is listed in
 * docs/errors.md. Neither is retryable: the same input always fails the same way.
 */
export const CIDR_ERROR_CODES = Object.freeze({
  /** The text is not an IP address or prefix we accept (syntax, range, or missing /length). */
  invalid: 'VPCMESH_ERR_CIDR_INVALID',
  /** A prefix has bits set past its length in strict mode, e.g. `10.0.0.1/16`. */
  hostBits: 'VPCMESH_ERR_CIDR_HOST_BITS',
} as const)

/** One of the {@link CIDR_ERROR_CODES} values. */
export type CidrErrorCode = (typeof CIDR_ERROR_CODES)[keyof typeof CIDR_ERROR_CODES]

/**
 * CidrError is thrown for text that is not a valid IP address or prefix. The message quotes
 * the input and says what to change; `code` is one of {@link CIDR_ERROR_CODES}.
 */
export class CidrError extends MeshError {
  declare readonly code: CidrErrorCode

  /**
   * @param code - which rule the input broke
   * @param message - human text quoting the input and naming the fix
   */
  constructor(code: CidrErrorCode, message: string) {
    super(code, message, { retryable: false })
    this.name = 'CidrError'
  }
}

/** True when `e` is a CidrError (checked by code, so it also works across package copies). */
export function isCidrError(e: unknown): e is CidrError {
  return hasCode(e) && (e.code === CIDR_ERROR_CODES.invalid || e.code === CIDR_ERROR_CODES.hostBits)
}

/** Builds the VPCMESH_ERR_CIDR_INVALID error for `input` (quoted) with a reason and a fix. */
export function invalidInput(what: 'IP address' | 'IP prefix', input: string, reason: string): CidrError {
  return new CidrError(CIDR_ERROR_CODES.invalid, `invalid ${what} ${JSON.stringify(input)}: ${reason}`)
}
