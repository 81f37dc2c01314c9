import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { WireErrorCode } from '@vpcmesh/protocol'
import { ApiError } from './errors.js'

/**
 * Checks the admin bearer token in constant time (both sides hashed to equal length).
 * Throws AUTH_MISSING or AUTH_INVALID; never logs or echoes the token.
 */
export function adminGuard(adminToken: string): (req: FastifyRequest) => void {
  const want = createHash('sha256').update(adminToken).digest()
  return (req) => {
    const h = req.headers.authorization
    if (h === undefined || h === '')
      throw new ApiError(WireErrorCode.authMissing, 'missing Authorization: Bearer <admin token> header')
    const m = /^Bearer (\S+)$/i.exec(h)
    if (m === null) throw new ApiError(WireErrorCode.authInvalid, 'Authorization header must be "Bearer <admin token>"')
    const got = createHash('sha256')
      .update(m[1] ?? '')
      .digest()
    if (!timingSafeEqual(got, want)) throw new ApiError(WireErrorCode.authInvalid, 'admin token rejected')
  }
}
