import { MeshError } from '@vpcmesh/common'

/**
 * Every code a {@link TunError} can carry. Stable, never reused; documented in
 * docs/errors.md. The native addon raises the same strings (libs/tun/native/*.cc).
 */
export const TUN_ERROR_CODES = Object.freeze({
  /** The compiled addon is absent: run `npm run build:native`. */
  addonMissing: 'VPCMESH_ERR_TUN_ADDON_MISSING',
  /** The addon's stats layout differs from src/stats.ts: stale build or unsynced edit. */
  addonMismatch: 'VPCMESH_ERR_TUN_ADDON_MISMATCH',
  /** An open option is out of range or of the wrong type. */
  invalidOptions: 'VPCMESH_ERR_TUN_INVALID_OPTIONS',
  /** A method got an argument of the wrong type or range (a programming error). */
  invalidArgument: 'VPCMESH_ERR_TUN_INVALID_ARGUMENT',
  /** An IP literal/port is invalid, or IPv6 on an IPv4-only socket. */
  invalidAddress: 'VPCMESH_ERR_TUN_INVALID_ADDRESS',
  /** Opening or configuring the TUN device failed (not root, name taken, ...). */
  openFailed: 'VPCMESH_ERR_TUN_OPEN_FAILED',
  /** Creating or binding the UDP socket failed (port in use, ...). */
  bindFailed: 'VPCMESH_ERR_TUN_BIND_FAILED',
  /** A method that changes state was called after close(). */
  closed: 'VPCMESH_ERR_TUN_CLOSED',
  /** start() was called twice. */
  alreadyStarted: 'VPCMESH_ERR_TUN_ALREADY_STARTED',
  /** sealAndSend/writeTun outside their batch callback, or twice for one batch. */
  noBatch: 'VPCMESH_ERR_TUN_NO_BATCH',
  /** setSession: another slot already owns this localIndex. */
  indexInUse: 'VPCMESH_ERR_TUN_INDEX_IN_USE',
  /** OpenSSL refused to key an AEAD context. */
  cryptoFailed: 'VPCMESH_ERR_TUN_CRYPTO_FAILED',
  /** libuv could not poll a file descriptor. Reported through onError. */
  pollFailed: 'VPCMESH_ERR_TUN_POLL_FAILED',
  /** Reading the TUN failed (the device was deleted). Reported through onError; TUN reads stop. */
  deviceGone: 'VPCMESH_ERR_TUN_DEVICE_GONE',
} as const)

/** One of {@link TUN_ERROR_CODES}. */
export type TunErrorCode = (typeof TUN_ERROR_CODES)[keyof typeof TUN_ERROR_CODES]

const RETRYABLE: ReadonlySet<TunErrorCode> = new Set(['VPCMESH_ERR_TUN_BIND_FAILED', 'VPCMESH_ERR_TUN_POLL_FAILED'])

/** TunError is what the packet engine throws or reports. `errno` is set for OS failures. */
export class TunError extends MeshError {
  readonly errno: number | undefined

  constructor(code: TunErrorCode, message: string, opts: { cause?: unknown; errno?: number } = {}) {
    super(code, message, { cause: opts.cause, retryable: RETRYABLE.has(code) })
    this.name = 'TunError'
    this.errno = opts.errno
  }
}

/** True if `code` is one of ours. */
const CODES: ReadonlySet<string> = new Set(Object.values(TUN_ERROR_CODES))

export function isTunErrorCode(code: unknown): code is TunErrorCode {
  return typeof code === 'string' && CODES.has(code)
}

/**
 * Turns anything the addon threw into a TunError (native errors carry `code` and maybe
 * `errno`); unknown errors become VPCMESH_ERR_TUN_INVALID_ARGUMENT with the cause kept.
 */
export function toTunError(e: unknown): TunError {
  if (e instanceof TunError) return e
  const o = (typeof e === 'object' && e !== null ? e : {}) as { code?: unknown; message?: unknown; errno?: unknown }
  const code = isTunErrorCode(o.code) ? o.code : 'VPCMESH_ERR_TUN_INVALID_ARGUMENT'
  const message = typeof o.message === 'string' ? o.message : String(e)
  return new TunError(code, message, { cause: e, errno: typeof o.errno === 'number' ? o.errno : undefined })
}
