import { MeshError } from '@vpcmesh/common'

/**
 * Every code a {@link TunError} can carry. Stable, never reused; documented in
 * docs/errors.md. The native addon raises the same strings (libs/tun/native/*.cc).
 */
export const TUN_ERROR_CODES = {
  /** The compiled addon is absent: run `npm run build:native`. */
  VPCMESH_ERR_TUN_ADDON_MISSING: 'the native addon is not built',
  /** The addon's stats layout differs from src/stats.ts: stale build or unsynced edit. */
  VPCMESH_ERR_TUN_ADDON_MISMATCH: 'the native addon does not match this TypeScript',
  /** An open option is out of range or of the wrong type. */
  VPCMESH_ERR_TUN_INVALID_OPTIONS: 'invalid packet engine options',
  /** A method got an argument of the wrong type or range (a programming error). */
  VPCMESH_ERR_TUN_INVALID_ARGUMENT: 'invalid argument',
  /** An IP literal/port is invalid, or IPv6 on an IPv4-only socket. */
  VPCMESH_ERR_TUN_INVALID_ADDRESS: 'invalid address',
  /** Opening or configuring the TUN device failed (not root, name taken, ...). */
  VPCMESH_ERR_TUN_OPEN_FAILED: 'cannot open the TUN device',
  /** Creating or binding the UDP socket failed (port in use, ...). */
  VPCMESH_ERR_TUN_BIND_FAILED: 'cannot bind the UDP socket',
  /** A method that changes state was called after close(). */
  VPCMESH_ERR_TUN_CLOSED: 'the packet engine is closed',
  /** start() was called twice. */
  VPCMESH_ERR_TUN_ALREADY_STARTED: 'the packet engine is already started',
  /** sealAndSend/writeTun outside their batch callback, or twice for one batch. */
  VPCMESH_ERR_TUN_NO_BATCH: 'no batch is open',
  /** setSession: another slot already owns this localIndex. */
  VPCMESH_ERR_TUN_INDEX_IN_USE: 'local index already in use',
  /** OpenSSL refused to key an AEAD context. */
  VPCMESH_ERR_TUN_CRYPTO_FAILED: 'AEAD setup failed',
  /** libuv could not poll a file descriptor. Reported through onError. */
  VPCMESH_ERR_TUN_POLL_FAILED: 'polling failed',
  /** Reading the TUN failed (the device was deleted). Reported through onError; TUN reads stop. */
  VPCMESH_ERR_TUN_DEVICE_GONE: 'the TUN device is gone',
} as const

/** One of {@link TUN_ERROR_CODES}. */
export type TunErrorCode = keyof typeof TUN_ERROR_CODES

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
export function isTunErrorCode(code: unknown): code is TunErrorCode {
  return typeof code === 'string' && Object.hasOwn(TUN_ERROR_CODES, code)
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
