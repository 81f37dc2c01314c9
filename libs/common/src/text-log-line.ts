/** Keys of a JSON log record that the text line shows in fixed places, not as `key=value`. */
const FIXED = new Set(['time', 'level', 'component', 'msg'])

/** A bare word in a text line: anything else is quoted as a JSON string. */
const BARE = /^[^\s"'=\\\p{Cc}]+$/u

/**
 * Turns one JSON log record (as written by the pino logger: `time`, `level`, `component`,
 * `msg`, then fields) into one human-readable line, without the newline:
 * `2026-01-02T03:04:05.678Z INFO  hub: agent enrolled vpc=v-1 name="my vpc"`.
 * Control characters in the message are escaped (`\n`); string values with spaces, quotes,
 * `=` or control characters are JSON-quoted, objects are written as JSON, so a record is
 * always one line. A line that is not a JSON object is
 * returned unchanged (trimmed).
 */
export function textLogLine(json: string): string {
  let rec: Record<string, unknown>
  try {
    const parsed: unknown = JSON.parse(json)
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return json.trim()
    rec = parsed as Record<string, unknown>
  } catch {
    return json.trim()
  }
  const head = [
    String(rec.time ?? ''),
    String(rec.level ?? '')
      .toUpperCase()
      .padEnd(5),
  ]
  const component = typeof rec.component === 'string' ? `${rec.component}: ` : ''
  const msg = String(rec.msg ?? '').replace(/\p{Cc}/gu, (c) => JSON.stringify(c).slice(1, -1))
  const fields = Object.entries(rec)
    .filter(([k]) => !FIXED.has(k))
    .map(([k, v]) => `${k}=${textValue(v)}`)
  return [...head, `${component}${msg}`, ...fields].join(' ')
}

function textValue(v: unknown): string {
  if (typeof v === 'string') return BARE.test(v) ? v : JSON.stringify(v)
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return String(v)
  return JSON.stringify(v) ?? 'undefined'
}
