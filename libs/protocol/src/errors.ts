import { z } from 'zod'

/** Body of every error answer of the REST API. */
export const ErrorBody = z.object({
  /** Stable code, e.g. VPCMESH_ERR_CIDR_OVERLAP; see docs/errors.md. */
  code: z.string(),
  /** What went wrong and what to change, for people. */
  message: z.string(),
  /** True when the same request may succeed later unchanged (e.g. store unavailable). */
  retryable: z.boolean(),
})
export type ErrorBody = z.infer<typeof ErrorBody>

/**
 * Error codes that cross the wire (REST answers and WebSocket error frames). Codes are never
 * reused; each is documented in docs/errors.md (checked by test/docs.test.ts).
 */
export const WireErrorCode = Object.freeze({
  authMissing: 'VPCMESH_ERR_AUTH_MISSING',
  authInvalid: 'VPCMESH_ERR_AUTH_INVALID',
  validation: 'VPCMESH_ERR_VALIDATION',
  badJson: 'VPCMESH_ERR_BAD_JSON',
  bodyTooLarge: 'VPCMESH_ERR_BODY_TOO_LARGE',
  unsupportedMediaType: 'VPCMESH_ERR_UNSUPPORTED_MEDIA_TYPE',
  rateLimited: 'VPCMESH_ERR_RATE_LIMITED',
  notFound: 'VPCMESH_ERR_NOT_FOUND',
  cidrInvalid: 'VPCMESH_ERR_CIDR_INVALID',
  cidrHostBits: 'VPCMESH_ERR_CIDR_HOST_BITS',
  cidrOverlap: 'VPCMESH_ERR_CIDR_OVERLAP',
  prefixReserved: 'VPCMESH_ERR_PREFIX_RESERVED',
  globalPoolExhausted: 'VPCMESH_ERR_GLOBAL_POOL_EXHAUSTED',
  prefixCoversUnderlay: 'VPCMESH_ERR_PREFIX_COVERS_UNDERLAY',
  endpointTaken: 'VPCMESH_ERR_ENDPOINT_TAKEN',
  endpointInvalid: 'VPCMESH_ERR_ENDPOINT_INVALID',
  vpcNameTaken: 'VPCMESH_ERR_VPC_NAME_TAKEN',
  vpcNotFound: 'VPCMESH_ERR_VPC_NOT_FOUND',
  routeNotFound: 'VPCMESH_ERR_ROUTE_NOT_FOUND',
  gatewayNotFound: 'VPCMESH_ERR_GATEWAY_NOT_FOUND',
  gatewayNotActive: 'VPCMESH_ERR_GATEWAY_NOT_ACTIVE',
  noStandby: 'VPCMESH_ERR_GATEWAY_NO_STANDBY',
  storeUnavailable: 'VPCMESH_ERR_STORE_UNAVAILABLE',
  storeConflict: 'VPCMESH_ERR_STORE_CONFLICT',
  internal: 'VPCMESH_ERR_INTERNAL',
  wsBadFrame: 'VPCMESH_ERR_WS_BAD_FRAME',
  wsUnauthorized: 'VPCMESH_ERR_WS_UNAUTHORIZED',
  wsProtocolVersion: 'VPCMESH_ERR_WS_PROTOCOL_VERSION',
  wsVpcDeleted: 'VPCMESH_ERR_WS_VPC_DELETED',
  wsReplaced: 'VPCMESH_ERR_WS_REPLACED',
  wsHeartbeatTimeout: 'VPCMESH_ERR_WS_HEARTBEAT_TIMEOUT',
  wsKeyInvalid: 'VPCMESH_ERR_WS_KEY_INVALID',
  wsKeyInUse: 'VPCMESH_ERR_WS_KEY_IN_USE',
  wsHelloTimeout: 'VPCMESH_ERR_WS_HELLO_TIMEOUT',
  wsRateLimited: 'VPCMESH_ERR_WS_RATE_LIMITED',
  connectLimited: 'VPCMESH_ERR_CONNECT_LIMITED',
  connectBusy: 'VPCMESH_ERR_CONNECT_BUSY',
} as const)
export type WireErrorCode = (typeof WireErrorCode)[keyof typeof WireErrorCode]
