// Readers for the systemd files under deploy/systemd (for deploy.test.ts): unit files as INI,
// Exec command lines split the way systemd splits them, and EnvironmentFile defaults files.
// Subsets of systemd.syntax(7), systemd.service(7) "Command lines" and systemd.exec(5)
// "EnvironmentFile=", enough for the files we ship; anything they do not cover is reported.

/** One `Key=value` line of a unit, in its section. */
export interface UnitEntry {
  section: string
  key: string
  value: string
  line: number
}

/** A parsed unit file. */
export interface Unit {
  entries: UnitEntry[]
  /** Lines that are neither a section header, a comment, blank nor `Key=value`. */
  problems: string[]
}

/** Parses a unit file: `[Section]` headers, `Key=value` lines, `#`/`;` comments, `\` continuations. */
export function parseUnit(text: string): Unit {
  const entries: UnitEntry[] = []
  const problems: string[] = []
  let section: string | undefined
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    let line = (lines[i] as string).trim()
    const no = i + 1
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${(lines[++i] as string).trim()}`
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    const header = /^\[([A-Za-z]+)\]$/.exec(line)
    if (header !== null) {
      section = header[1]
      continue
    }
    const kv = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(line)
    if (kv === null) {
      problems.push(`line ${no}: not Key=value: ${line}`)
      continue
    }
    if (section === undefined) {
      problems.push(`line ${no}: ${kv[1] as string}= before any [Section]`)
      continue
    }
    entries.push({ section, key: kv[1] as string, value: (kv[2] as string).trim(), line: no })
  }
  return { entries, problems }
}

/** Values of `key` in `section`, in order (a key may repeat). */
export function values(unit: Unit, section: string, key: string): string[] {
  return unit.entries.filter((e) => e.section === section && e.key === key).map((e) => e.value)
}

/** The last value of `key` in `section` (the one systemd uses for single-valued keys). */
export function value(unit: Unit, section: string, key: string): string | undefined {
  return values(unit, section, key).at(-1)
}

/** `NAME=value` pairs of `Environment=` values (each may hold several, quoted or not). */
export function environmentAssignments(unit: Unit): Map<string, string> {
  const out = new Map<string, string>()
  for (const v of values(unit, 'Service', 'Environment')) {
    for (const word of splitWords(v)) {
      const eq = word.indexOf('=')
      if (eq > 0) out.set(word.slice(0, eq), word.slice(eq + 1))
    }
  }
  return out
}

/** Splits on whitespace honouring double and single quotes and backslash escapes. */
export function splitWords(text: string): string[] {
  const words: string[] = []
  let cur: string | undefined
  let quote: string | undefined
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string
    if (quote !== undefined) {
      if (c === quote) quote = undefined
      else if (c === '\\' && i + 1 < text.length) cur = (cur ?? '') + text[++i]
      else cur = (cur ?? '') + c
    } else if (c === '"' || c === "'") {
      quote = c
      cur ??= ''
    } else if (/\s/.test(c)) {
      if (cur !== undefined) words.push(cur)
      cur = undefined
    } else if (c === '\\' && i + 1 < text.length) cur = (cur ?? '') + text[++i]
    else cur = (cur ?? '') + c
  }
  if (quote !== undefined) throw new Error(`unterminated ${quote} in: ${text}`)
  if (cur !== undefined) words.push(cur)
  return words
}

/** An Exec line: its prefix characters (`-`, `@`, `+`, `!`, `:`) stripped, and its words. */
export interface ExecLine {
  prefixes: string
  words: string[]
}

/**
 * Splits an `ExecStart=`-style value. A word that is exactly `$NAME` expands to the words of
 * the variable's value (systemd splits it on whitespace); `${NAME}` inside a word is replaced
 * by the value as is. `env` gives the values; a name missing from it is an error.
 */
export function splitExec(value: string, env: ReadonlyMap<string, string>): ExecLine {
  const prefixes = /^[-@+!:]*/.exec(value)?.[0] ?? ''
  const words: string[] = []
  for (const word of splitWords(value.slice(prefixes.length))) {
    const whole = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(word)
    if (whole !== null) {
      const v = env.get(whole[1] as string)
      if (v === undefined) throw new Error(`$${whole[1] as string} is not set`)
      words.push(...splitWords(v))
      continue
    }
    words.push(
      word.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
        const v = env.get(name)
        if (v === undefined) throw new Error(`\${${name}} is not set`)
        return v
      }),
    )
  }
  return { prefixes, words }
}

/** The variables an Exec value refers to (`$NAME` or `${NAME}`). */
export function execVariables(value: string): string[] {
  return [...value.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g)].map((m) => m[1] as string)
}

/** One assignment of an EnvironmentFile, active or shown in a comment (`#NAME=value`). */
export interface EnvAssignment {
  name: string
  value: string
  commented: boolean
  line: number
}

/**
 * Reads an EnvironmentFile: `NAME=value` lines (value optionally in double quotes) and, for
 * documentation, commented assignments `#NAME=value`. Other comment lines are skipped; any
 * other line is a problem.
 */
export function parseEnvFile(text: string): { assignments: EnvAssignment[]; problems: string[] } {
  const assignments: EnvAssignment[] = []
  const problems: string[] = []
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim()
    if (line === '') return
    const m = /^(#)?\s*([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line)
    if (m === null) {
      if (!line.startsWith('#')) problems.push(`line ${i + 1}: not NAME=value: ${line}`)
      return
    }
    const words = splitWords(m[3] as string)
    assignments.push({ name: m[2] as string, value: words.join(' '), commented: m[1] !== undefined, line: i + 1 })
  })
  return { assignments, problems }
}
