import { MeshError, hasCode } from '@vpcmesh/common'

/** Stable codes raised by the DNS forwarder; each is listed in docs/errors.md. */
export const DNS_ERROR_CODES = Object.freeze({
  /** The forwarder configuration is invalid (a zone, a server, a prefix mapping, a limit). */
  config: 'VPCMESH_ERR_DNS_CONFIG',
  /** The listen address could not be bound (in use, not local, no permission for the port). */
  bind: 'VPCMESH_ERR_DNS_BIND',
} as const)
export type DnsErrorCode = (typeof DNS_ERROR_CODES)[keyof typeof DNS_ERROR_CODES]

/** Raised by the DNS forwarder on configuration and start-up; never per query. */
export class DnsError extends MeshError {
  declare readonly code: DnsErrorCode

  constructor(code: DnsErrorCode, message: string, opts: { cause?: unknown } = {}) {
    super(code, message, { cause: opts.cause, retryable: code === DNS_ERROR_CODES.bind })
    this.name = 'DnsError'
  }
}

/** True when `e` is a DnsError (by code, so it also works across package copies). */
export function isDnsError(e: unknown): e is DnsError {
  return hasCode(e) && (Object.values(DNS_ERROR_CODES) as string[]).includes(e.code)
}
