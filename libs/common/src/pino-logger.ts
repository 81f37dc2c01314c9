import { pino, stdTimeFunctions, type Logger as Pino } from 'pino'
import type { LogFormat, LogLevel, Logger } from './logger.js'
import { textLogLine } from './text-log-line.js'

/**
 * Field names censored wherever they appear: at the top of a record and up to three objects
 * deep (`a.token`, `a.b.token`, `a.b.c.token`), and in objects inside an array field
 * (`peers[*].token`). Matching is by exact name, so new secret-bearing names go here.
 */
export const REDACTED_KEYS: readonly string[] = [
  'token',
  'joinToken',
  'adminToken',
  'credential',
  'authorization',
  'Authorization',
  'cookie',
  'privateKey',
  'secret',
  'password',
  'redisPassword',
  'sentinelPassword',
]

/** What a censored value is replaced with. */
export const REDACTED = '[REDACTED]'

const REDACT_PATHS = REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`, `*[*].${k}`])

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** Minimum level written. @default 'info' */
  level?: LogLevel
  /** `json`: one JSON object per line; `text`: one readable line (see `textLogLine`). @default 'json' */
  format?: LogFormat
  /** Where each line goes, without its newline. @default a line on process.stderr */
  write?: (line: string) => void
}

/**
 * The process logger: pino writing one record per line,
 * `{"level":"info","time":ISO,"component":..,...bindings,...fields,"msg":..}` in JSON, or the
 * same record as text. Fields in {@link REDACTED_KEYS} are censored in both formats. Writes
 * are synchronous, so the last lines before an exit are never lost. The returned logger has
 * no component; daemons take a `child` at once.
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const write =
    opts.write ??
    ((line: string) => {
      process.stderr.write(`${line}\n`)
    })
  const text = opts.format === 'text'
  const stream = {
    write(chunk: string): void {
      const line = chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk
      write(text ? textLogLine(line) : line)
    },
  }
  const root = pino(
    {
      level: opts.level ?? 'info',
      base: undefined,
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
    },
    stream,
  )
  return new PinoLogger(root, undefined, {})
}

/** A {@link Logger} over one pino instance; bindings are merged per record, so no key repeats. */
class PinoLogger implements Logger {
  constructor(
    private readonly out: Pino,
    private readonly component: string | undefined,
    private readonly bindings: Readonly<Record<string, unknown>>,
  ) {}

  debug(msg: string, fields?: Record<string, unknown>): void {
    this.emit('debug', msg, fields)
  }

  info(msg: string, fields?: Record<string, unknown>): void {
    this.emit('info', msg, fields)
  }

  warn(msg: string, fields?: Record<string, unknown>): void {
    this.emit('warn', msg, fields)
  }

  error(msg: string, fields?: Record<string, unknown>): void {
    this.emit('error', msg, fields)
  }

  child(component: string, bindings?: Readonly<Record<string, unknown>>): Logger {
    return new PinoLogger(
      this.out,
      component,
      bindings === undefined ? this.bindings : { ...this.bindings, ...bindings },
    )
  }

  private emit(level: LogLevel, msg: string, fields: Record<string, unknown> | undefined): void {
    try {
      if (!this.out.isLevelEnabled(level)) return
      const head = this.component === undefined ? {} : { component: this.component }
      this.out[level]({ ...head, ...this.bindings, ...fields }, msg)
    } catch {
      // A logger never throws (e.g. a getter that throws, a failing write).
    }
  }
}
