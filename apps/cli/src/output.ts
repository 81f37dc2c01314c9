/** Where the CLI writes; each call gets complete text (newlines included). */
export interface OutputSink {
  readonly stdout: (s: string) => void
  readonly stderr: (s: string) => void
}

/** Shortest secret worth redacting; shorter ones would garble ordinary text. */
const MIN_SECRET_LENGTH = 6

/**
 * Writes people and machine output. Every write passes through a redactor, so a secret
 * registered with {@link Output.addSecret} (the admin token) never reaches the terminal,
 * even if a user pastes it where an argument was expected.
 */
export class Output {
  private readonly sink: OutputSink
  private readonly secrets = new Set<string>()

  constructor(sink: OutputSink) {
    this.sink = sink
  }

  /** Registers a value that must never be printed; undefined and very short values are ignored. */
  addSecret(secret: string | undefined): void {
    if (secret !== undefined && secret.length >= MIN_SECRET_LENGTH) this.secrets.add(secret)
  }

  /** Prints text on stdout followed by a newline. */
  print(text: string): void {
    this.sink.stdout(`${this.redact(text)}\n`)
  }

  /** Prints a value as indented JSON on stdout (machine output). */
  json(value: unknown): void {
    this.print(JSON.stringify(value, null, 2))
  }

  /** Prints one `vpcmesh: …` line on stderr. */
  error(line: string): void {
    this.sink.stderr(`${this.redact(`vpcmesh: ${line}`)}\n`)
  }

  private redact(text: string): string {
    let out = text
    for (const s of this.secrets) out = out.split(s).join('[redacted]')
    return out
  }
}

/**
 * Formats rows under headers as aligned columns separated by two spaces, without trailing
 * blanks. Missing cells print as empty.
 */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]): string =>
    widths
      .map((w, i) => (cells[i] ?? '').padEnd(w))
      .join('  ')
      .trimEnd()
  return [line(headers), ...rows.map(line)].join('\n')
}

/** Formats `label value` pairs with the values aligned, one pair a line, indented by `indent`. */
export function formatFields(pairs: ReadonlyArray<readonly [string, string]>, indent = ''): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length))
  return pairs.map(([k, v]) => `${indent}${k.padEnd(width)}  ${v}`.trimEnd()).join('\n')
}

/** Quotes a word for a POSIX shell when it holds anything beyond a safe set of characters. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9@%+=:,./_-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`
}

/** A list for a table cell: comma-separated, or `-` when empty. */
export function listCell(items: readonly string[]): string {
  return items.length === 0 ? '-' : items.join(',')
}

/** `yes` or `no`. */
export function yesNo(b: boolean): string {
  return b ? 'yes' : 'no'
}
