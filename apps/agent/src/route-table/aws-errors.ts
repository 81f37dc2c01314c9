import { ROUTE_TABLE_ERROR_CODES, RouteTableError } from './provider.js'

/** EC2 (and STS/credential chain) codes meaning the credentials were refused, missing or expired. */
const CREDENTIAL_CODES: ReadonlySet<string> = new Set([
  'AuthFailure',
  'RequestExpired',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'InvalidAccessKeyId',
  'CredentialsProviderError',
])

/** Codes EC2 uses for rate limiting (RequestLimitExceeded comes with HTTP 503). */
const THROTTLING_CODES: ReadonlySet<string> = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'EC2ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
])

/** Longest cloud message quoted in an `api` error. */
const MESSAGE_MAX = 300

interface SdkErrorShape {
  readonly name?: unknown
  readonly code?: unknown
  readonly message?: unknown
  readonly $metadata?: { readonly httpStatusCode?: number; readonly attempts?: number }
}

/**
 * Maps an error of an EC2 call (after the SDK's own retries) to a {@link RouteTableError}:
 * refused or expired credentials → `credentials`, throttling → `throttled`, anything else →
 * `api`. The message names the call and the cloud's code; it never carries credentials (for a
 * credential error not even the cloud's message is quoted).
 * @param call - the EC2 action, e.g. `CreateRoute`
 */
export function awsError(call: string, e: unknown): RouteTableError {
  const err = (typeof e === 'object' && e !== null ? e : {}) as SdkErrorShape
  const cloudCode = errorCode(err)
  const status = err.$metadata?.httpStatusCode
  const attempts = err.$metadata?.attempts
  const tries = attempts !== undefined && attempts > 1 ? ` after ${attempts} attempts` : ''
  if (CREDENTIAL_CODES.has(cloudCode)) {
    return new RouteTableError(
      ROUTE_TABLE_ERROR_CODES.credentials,
      `aws ${call}: the credentials were refused (${cloudCode}); give the gateway VM its instance role, ` +
        'or fix the credentials in its environment or shared credentials file',
      { cause: e, cloudCode },
    )
  }
  if (THROTTLING_CODES.has(cloudCode) || status === 429) {
    return new RouteTableError(ROUTE_TABLE_ERROR_CODES.throttled, `aws ${call}: throttled (${cloudCode})${tries}`, {
      cause: e,
      cloudCode,
    })
  }
  const text = typeof err.message === 'string' ? err.message.slice(0, MESSAGE_MAX) : ''
  return new RouteTableError(
    ROUTE_TABLE_ERROR_CODES.api,
    `aws ${call} failed: ${cloudCode}${status === undefined ? '' : ` (HTTP ${status})`}${tries}` +
      (text === '' || text === cloudCode ? '' : `: ${text}`),
    { cause: e, cloudCode },
  )
}

/** The cloud's code: the SDK's exception name, or a Node error code for a network failure. */
function errorCode(err: SdkErrorShape): string {
  const named = typeof err.name === 'string' && err.name !== '' && err.name !== 'Error'
  if (err.$metadata !== undefined && named) return err.name as string
  if (typeof err.code === 'string' && err.code !== '') return err.code
  return named ? (err.name as string) : 'Unknown'
}
