import { MeshError, errorMessage, hasCode } from '@vpcmesh/common'
import { WireErrorCode } from '@vpcmesh/protocol'

/**
 * The controller's error registry: every code the REST API can answer with, its HTTP status
 * and whether a retry may help. docs/errors.md documents each (checked by test/docs.test.ts).
 */
export const ERROR_REGISTRY: Readonly<Record<string, { status: number; retryable: boolean }>> = Object.freeze({
  [WireErrorCode.authMissing]: { status: 401, retryable: false },
  [WireErrorCode.authInvalid]: { status: 401, retryable: false },
  [WireErrorCode.validation]: { status: 400, retryable: false },
  [WireErrorCode.badJson]: { status: 400, retryable: false },
  [WireErrorCode.bodyTooLarge]: { status: 413, retryable: false },
  [WireErrorCode.unsupportedMediaType]: { status: 415, retryable: false },
  [WireErrorCode.rateLimited]: { status: 429, retryable: true },
  [WireErrorCode.connectLimited]: { status: 429, retryable: true },
  [WireErrorCode.connectBusy]: { status: 503, retryable: true },
  [WireErrorCode.notFound]: { status: 404, retryable: false },
  [WireErrorCode.cidrInvalid]: { status: 400, retryable: false },
  [WireErrorCode.cidrHostBits]: { status: 400, retryable: false },
  [WireErrorCode.cidrOverlap]: { status: 409, retryable: false },
  [WireErrorCode.globalPoolExhausted]: { status: 409, retryable: false },
  [WireErrorCode.prefixReserved]: { status: 400, retryable: false },
  [WireErrorCode.prefixCoversUnderlay]: { status: 409, retryable: false },
  [WireErrorCode.endpointTaken]: { status: 409, retryable: false },
  [WireErrorCode.endpointInvalid]: { status: 400, retryable: false },
  [WireErrorCode.vpcNameTaken]: { status: 409, retryable: false },
  [WireErrorCode.vpcNotFound]: { status: 404, retryable: false },
  [WireErrorCode.routeNotFound]: { status: 404, retryable: false },
  [WireErrorCode.gatewayNotFound]: { status: 404, retryable: false },
  [WireErrorCode.gatewayNotActive]: { status: 409, retryable: false },
  [WireErrorCode.noStandby]: { status: 409, retryable: true },
  [WireErrorCode.storeUnavailable]: { status: 503, retryable: true },
  [WireErrorCode.storeConflict]: { status: 503, retryable: true },
  [WireErrorCode.internal]: { status: 500, retryable: false },
})

/** An error the API answers with: a registered code and a message that says what to fix. */
export class ApiError extends MeshError {
  constructor(code: WireErrorCode, message: string, cause?: unknown) {
    super(code, message, { cause, retryable: ERROR_REGISTRY[code]?.retryable ?? false })
    this.name = 'ApiError'
  }
}

/**
 * The store could not be reached or answered with an error. The message is the same for
 * every cause: the client's driver's wording (connection states, option names) is no part of
 * the API. The cause stays on the error for the controller's log.
 */
export function storeUnavailable(cause: unknown): ApiError {
  return new ApiError(
    WireErrorCode.storeUnavailable,
    'state store (Redis) unavailable; nothing was changed; retry when it is back',
    cause,
  )
}

/** The detail of an error's cause, for logs only (never for answers). Undefined without a cause. */
export function causeDetail(e: unknown): string | undefined {
  const cause = e instanceof Error ? e.cause : undefined
  if (cause === undefined) return undefined
  return errorMessage(cause)
}

/** True when `e` carries a code from the registry. */
export function isRegistered(e: unknown): e is { code: string; message: string } {
  return hasCode(e) && ERROR_REGISTRY[e.code] !== undefined
}

/** The VPC id is unknown. */
export function gatewayNotFound(vpcName: string, gateway: string): ApiError {
  return new ApiError(
    WireErrorCode.gatewayNotFound,
    `VPC "${vpcName}" has no gateway ${gateway}; list its gateways with \`vpcmesh vpc show ${vpcName}\``,
  )
}

export function vpcNotFound(id: string): ApiError {
  return new ApiError(WireErrorCode.vpcNotFound, `no VPC with id ${id}; list them with GET /v1/vpcs`)
}
