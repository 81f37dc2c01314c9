/**
 * Logger is the only way vpcmesh code writes diagnostics. Implementations must never throw.
 * Messages are plain strings; `fields` are extra structured values. Fields named like a
 * secret (`token`, `joinToken`, `authorization`, `privateKey`, `secret`, `password`, ... see
 * `REDACTED_KEYS` in `libs/common/src/pino-logger.ts`) are censored by the process logger,
 * but callers still never put secrets into `msg`.
 */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
  /**
   * Returns a logger whose records carry `component` (replacing this logger's) and, besides
   * this logger's bindings, `bindings` (e.g. `{ vpc }`) on every record. A field given at the
   * call wins over a binding of the same name.
   */
  child(component: string, bindings?: Readonly<Record<string, unknown>>): Logger
}

/** Level names in increasing severity. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/** Output format: one JSON object per line, or one human-readable line per record. */
export type LogFormat = 'json' | 'text'

/** A logger that discards everything. */
export const noopLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return noopLogger
  },
}
