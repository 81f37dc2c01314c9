/**
 * Logger is the only way vpcmesh code writes diagnostics. Implementations must never throw.
 * Messages are plain strings; `fields` are extra structured values (never secrets: callers
 * must redact tokens and keys before logging).
 */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
  /** Returns a logger whose messages are prefixed with `component: `. */
  child(component: string): Logger
}

/** Level names in increasing severity. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

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

/** Options for {@link consoleLogger}. */
export interface ConsoleLoggerOptions {
  /** Minimum level written. @default 'info' */
  level?: LogLevel
  /** Where lines go. @default process.stderr */
  write?: (line: string) => void
}

/**
 * A logger writing one JSON line per message: `{"t":ISO,"level":..,"msg":"component: text",...fields}`.
 */
export function consoleLogger(opts: ConsoleLoggerOptions = {}, prefix = ''): Logger {
  const min = LEVELS[opts.level ?? 'info']
  const write =
    opts.write ??
    ((line: string) => {
      process.stderr.write(`${line}\n`)
    })
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (LEVELS[level] < min) return
    try {
      write(JSON.stringify({ t: new Date().toISOString(), level, msg: prefix + msg, ...fields }))
    } catch {
      // A logger never throws (e.g. circular fields).
    }
  }
  return {
    debug: (m, f) => {
      emit('debug', m, f)
    },
    info: (m, f) => {
      emit('info', m, f)
    },
    warn: (m, f) => {
      emit('warn', m, f)
    },
    error: (m, f) => {
      emit('error', m, f)
    },
    child: (component) => consoleLogger(opts, `${prefix}${component}: `),
  }
}
