import { MeshError } from '@vpcmesh/common'

/** Stable error codes raised by @vpcmesh/metrics; each is documented in docs/errors.md. */
export const MetricsErrorCode = Object.freeze({
  /** A name was registered again with a different type, label names or buckets, or shared a `collect` gauge. */
  conflict: 'VPCMESH_ERR_METRICS_CONFLICT',
  /** An invalid metric name, help text, label name, bucket list, label in a call, or negative counter increment. */
  invalid: 'VPCMESH_ERR_METRICS_INVALID',
} as const)

/** One of the {@link MetricsErrorCode} values. */
export type MetricsErrorCode = (typeof MetricsErrorCode)[keyof typeof MetricsErrorCode]

/**
 * MetricsError reports misuse of the Metrics interface. These are programming errors found
 * at registration time (or by tests), so they are never retryable.
 */
export class MetricsError extends MeshError {
  constructor(code: MetricsErrorCode, message: string, opts: { cause?: unknown } = {}) {
    super(code, message, { ...opts, retryable: false })
    this.name = 'MetricsError'
  }
}
