import { ROUTE_TABLE_ERROR_CODES, RouteTableError } from './provider.js'

/**
 * Turns what the Tencent Cloud SDK threw (a `TencentCloudSDKHttpException`: `code` from the API's
 * `Response.Error.Code`, or `httpCode` for a non-200 answer, or neither for a network failure) into a
 * RouteTableError naming the call:
 * - `AuthFailure.*` (SecretIdNotFound, SignatureExpire, TokenFailure, SignatureFailure, …) →
 *   `credentials`, except `AuthFailure.UnauthorizedOperation` (a CAM policy refusal: `api`);
 * - `RequestLimitExceeded` and its sub-codes → `throttled`. The Node.js SDK has no retry of its
 *   own, so this is the first refusal; the agent's backoff retries it;
 * - anything else → `api`.
 * The message carries the cloud's code and (shortened) message, never credentials.
 */
export function tencentError(call: string, e: unknown): RouteTableError {
  const err = (typeof e === 'object' && e !== null ? e : {}) as {
    code?: unknown
    httpCode?: unknown
    message?: unknown
  }
  const code = typeof err.code === 'string' && err.code !== '' ? err.code : undefined
  const text = typeof err.message === 'string' ? shorten(err.message) : String(e)
  const opts = { cause: e, cloudCode: code }
  if (code === undefined) {
    const what = typeof err.httpCode === 'number' ? `HTTP ${err.httpCode}` : text
    return new RouteTableError(ROUTE_TABLE_ERROR_CODES.api, `tencent ${call} failed: ${what}`, opts)
  }
  if (code.startsWith('AuthFailure') && code !== 'AuthFailure.UnauthorizedOperation') {
    return new RouteTableError(
      ROUTE_TABLE_ERROR_CODES.credentials,
      `tencent ${call} refused the credentials: ${code}: ${text} ` +
        '(check the CVM role, TENCENTCLOUD_SECRET_ID/KEY or ~/.tencentcloud/credentials)',
      opts,
    )
  }
  if (code.startsWith('RequestLimitExceeded')) {
    return new RouteTableError(
      ROUTE_TABLE_ERROR_CODES.throttled,
      `tencent ${call} was throttled: ${code}: ${text}`,
      opts,
    )
  }
  return new RouteTableError(ROUTE_TABLE_ERROR_CODES.api, `tencent ${call} failed: ${code}: ${text}`, opts)
}

function shorten(message: string): string {
  return message.length > 200 ? `${message.slice(0, 200)}…` : message
}
