import type { FastifyRequest } from 'fastify'
import type { RateLimitPluginOptions } from '@fastify/rate-limit'
import { WireErrorCode } from '@vpcmesh/protocol'
import { ApiError } from './errors.js'

/** Length of one counting window, ms. */
export const RATE_WINDOW_MS = 60_000

/** Inputs of {@link rateLimitOptions}. */
export interface RateLimitSettings {
  /** Requests allowed per client address per window; 0 means the caller installs no limiter. */
  perMinute: number
  /** Redis key prefix of the controller; the counters live under `<prefix>ratelimit:`. */
  prefix: string
  /** ioredis client of the shared counters (RateLimitRedis); absent: counted in this process. */
  redis?: unknown
}

/**
 * Options of `@fastify/rate-limit` for the controller: a fixed window of one minute per client
 * address (the TCP peer), counted in Redis so the budget is shared by every replica. Over the
 * limit the request fails with `429 VPCMESH_ERR_RATE_LIMITED` (the error handler's
 * `{code, message, retryable}` body) and `Retry-After` (seconds until the window ends).
 * Fail-open: when Redis does not answer, the request is let through rather than failed (the
 * routes that need Redis answer 503 on their own); see docs/operations.md. The plugin only
 * registers the `rateLimit` decorator (`global: false`): `app.ts` calls it from its own
 * onRequest hook, before authentication.
 */
export function rateLimitOptions(s: RateLimitSettings): RateLimitPluginOptions {
  return {
    global: false,
    max: s.perMinute,
    timeWindow: RATE_WINDOW_MS,
    keyGenerator: (req: FastifyRequest) => req.ip,
    skipOnError: true,
    ...(s.redis === undefined ? {} : { redis: s.redis, nameSpace: `${s.prefix}ratelimit:` }),
    errorResponseBuilder: (req: FastifyRequest) =>
      new ApiError(WireErrorCode.rateLimited, `more than ${s.perMinute} requests a minute from ${req.ip}; slow down`),
  }
}
