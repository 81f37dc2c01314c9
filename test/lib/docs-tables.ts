// Reads the machine-checked tables of docs/*.md and compares them with what the code defines
// (for docs.test.ts). Every function is pure: text and facts in, a list of problems out, so the
// test can also prove on synthetic input that each problem is reported.
import { ERROR_CODE, type MetricKind, type MetricRegistration } from './docs-sources.js'

/** One body row of a Markdown table: cells trimmed, `line` 1-based. */
export interface TableRow {
  cells: string[]
  line: number
}

/** A Markdown table: its header cells and body rows. */
export interface Table {
  header: string[]
  rows: TableRow[]
}

function splitRow(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '')
  return inner.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'))
}

const SEPARATOR = /^\|?(\s*:?-{3,}:?\s*\|)+\s*(:?-{3,}:?\s*)?\|?$/

/** Every pipe table of `md` (a header line, a `---` line, then rows). Fenced code is skipped. */
export function parseTables(md: string): Table[] {
  const lines = md.split('\n')
  const tables: Table[] = []
  let fenced = false
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] ?? ''
    if (l.trimStart().startsWith('```')) {
      fenced = !fenced
      continue
    }
    if (fenced || !l.trimStart().startsWith('|') || !SEPARATOR.test((lines[i + 1] ?? '').trim())) continue
    const t: Table = { header: splitRow(l), rows: [] }
    i += 2
    for (; i < lines.length && (lines[i] ?? '').trimStart().startsWith('|'); i++)
      t.rows.push({ cells: splitRow(lines[i] ?? ''), line: i + 1 })
    i--
    tables.push(t)
  }
  return tables
}

/** Rows of every table whose header is exactly `header` (case-insensitive). */
export function rowsOf(md: string, header: readonly string[]): TableRow[] {
  const want = header.map((h) => h.toLowerCase()).join('|')
  return parseTables(md)
    .filter((t) => t.header.map((h) => h.toLowerCase()).join('|') === want)
    .flatMap((t) => t.rows)
}

/** The text of a cell written as `` `x` ``, or undefined when it is not one code span. */
export function codeSpan(cell: string): string | undefined {
  const m = /^`([^`]+)`$/.exec(cell.trim())
  return m?.[1]
}

/** Code spans of a cell such as `` `route`, `method` ``; `—` or `-` means none. */
export function codeList(cell: string): string[] | undefined {
  const c = cell.trim()
  if (c === '—' || c === '-' || c === '') return []
  const parts = c.split(',').map((p) => codeSpan(p))
  return parts.every((p) => p !== undefined) ? (parts as string[]) : undefined
}

// ─── errors.md ──────────────────────────────────────────────────────────────────────────

/** Header of every error table in docs/errors.md. */
export const ERROR_TABLE = ['Code', 'Source', 'HTTP', 'Retryable', 'Meaning', 'What to do'] as const

/** One documented error code. `http` undefined means "not an API answer" (written `—`). */
export interface ErrorDocRow {
  code: string
  source: string
  http: number | undefined
  retryable: boolean
  line: number
}

/** An HTTP status and retry flag, as in the controller's ERROR_REGISTRY. */
export interface RegistryEntry {
  status: number
  retryable: boolean
}

/** Parses the error tables of errors.md; malformed rows become problems. */
export function parseErrorDoc(md: string): { rows: ErrorDocRow[]; problems: string[] } {
  const rows: ErrorDocRow[] = []
  const problems: string[] = []
  for (const r of rowsOf(md, ERROR_TABLE)) {
    const [codeCell = '', source = '', http = '', retry = '', meaning = '', action = ''] = r.cells
    const code = codeSpan(codeCell)
    const where = `docs/errors.md:${r.line}`
    if (code === undefined || !ERROR_CODE.test(code)) {
      problems.push(`${where}: first cell must be a code in backticks, got "${codeCell}"`)
      continue
    }
    if (r.cells.length !== ERROR_TABLE.length)
      problems.push(`${where}: ${code} has ${r.cells.length} cells, want ${ERROR_TABLE.length}`)
    const status = http === '—' || http === '-' ? undefined : Number(http)
    if (status !== undefined && !(Number.isInteger(status) && status >= 100 && status <= 599))
      problems.push(`${where}: ${code} HTTP must be a status or —, got "${http}"`)
    if (retry !== 'yes' && retry !== 'no')
      problems.push(`${where}: ${code} Retryable must be yes or no, got "${retry}"`)
    if (source === '' || meaning === '' || action === '')
      problems.push(`${where}: ${code} needs a source, a meaning and what to do`)
    if (rows.some((x) => x.code === code)) problems.push(`${where}: ${code} is documented twice`)
    rows.push({ code, source, http: status, retryable: retry === 'yes', line: r.line })
  }
  return { rows, problems }
}

/**
 * Compares errors.md with the codes the sources define (code → where it appears). Reports
 * malformed rows, codes missing from the doc, and documented or mentioned codes that no
 * source defines.
 */
export function checkErrorCodes(md: string, defined: ReadonlyMap<string, readonly string[]>): string[] {
  const { rows, problems } = parseErrorDoc(md)
  const documented = new Map(rows.map((r) => [r.code, r]))
  for (const [code, where] of [...defined].sort(([a], [b]) => a.localeCompare(b))) {
    if (!documented.has(code)) problems.push(`${code} (defined at ${where[0] ?? '?'}) is missing from docs/errors.md`)
  }
  for (const row of rows) {
    if (!defined.has(row.code))
      problems.push(
        `docs/errors.md:${row.line}: documents ${row.code}, which no source under libs/*/src or apps/*/src defines`,
      )
  }
  md.split('\n').forEach((l, i) => {
    for (const m of l.matchAll(/VPCMESH_ERR_[A-Z0-9_]+/g)) {
      if (!defined.has(m[0]) && documented.get(m[0])?.line !== i + 1)
        problems.push(`docs/errors.md:${i + 1}: names ${m[0]}, which no source defines`)
    }
  })
  return problems
}

/**
 * Compares errors.md with the controller's registry. Reports HTTP status or retryable
 * differing from the registry, registry codes without a row or whose Source does not say
 * REST, and an HTTP status given for a code the API never answers with.
 */
export function checkErrorRegistry(md: string, registry: Readonly<Record<string, RegistryEntry>>): string[] {
  const { rows } = parseErrorDoc(md)
  const problems: string[] = []
  const documented = new Map(rows.map((r) => [r.code, r]))
  for (const [code, reg] of Object.entries(registry)) {
    const row = documented.get(code)
    if (row === undefined) {
      problems.push(`${code} is in ERROR_REGISTRY but has no row in docs/errors.md`)
      continue
    }
    const where = `docs/errors.md:${row.line}`
    if (row.http !== reg.status)
      problems.push(`${where}: ${code} HTTP is ${row.http ?? '—'}, ERROR_REGISTRY says ${reg.status}`)
    if (row.retryable !== reg.retryable)
      problems.push(
        `${where}: ${code} Retryable is ${yesNo(row.retryable)}, ERROR_REGISTRY says ${yesNo(reg.retryable)}`,
      )
    if (!/\bREST\b/.test(row.source)) problems.push(`${where}: ${code} is an API answer; its Source should say REST`)
  }
  for (const row of rows) {
    if (row.http !== undefined && registry[row.code] === undefined) {
      problems.push(
        `docs/errors.md:${row.line}: ${row.code} has HTTP ${row.http} but is not in ERROR_REGISTRY; write — for codes the API does not answer with`,
      )
    }
  }
  return problems
}

/** Both checks of errors.md: {@link checkErrorCodes} and {@link checkErrorRegistry}. */
export function checkErrorDoc(
  md: string,
  defined: ReadonlyMap<string, readonly string[]>,
  registry: Readonly<Record<string, RegistryEntry>>,
): string[] {
  return [...checkErrorCodes(md, defined), ...checkErrorRegistry(md, registry)]
}

function yesNo(b: boolean): string {
  return b ? 'yes' : 'no'
}

// ─── metrics.md ─────────────────────────────────────────────────────────────────────────

/** Header of every metric table in docs/metrics.md. */
export const METRIC_TABLE = ['Metric', 'Type', 'Labels', 'Meaning'] as const

/** One documented metric. */
export interface MetricDocRow {
  name: string
  kind: MetricKind
  labels: string[]
  line: number
}

const KINDS: readonly string[] = ['counter', 'gauge', 'histogram']

/** Parses the metric tables of metrics.md; malformed rows become problems. */
export function parseMetricDoc(md: string): { rows: MetricDocRow[]; problems: string[] } {
  const rows: MetricDocRow[] = []
  const problems: string[] = []
  for (const r of rowsOf(md, METRIC_TABLE)) {
    const [nameCell = '', kind = '', labelCell = '', meaning = ''] = r.cells
    const where = `docs/metrics.md:${r.line}`
    const name = codeSpan(nameCell)
    if (name === undefined || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) {
      problems.push(`${where}: first cell must be a metric name in backticks, got "${nameCell}"`)
      continue
    }
    if (!KINDS.includes(kind))
      problems.push(`${where}: ${name} Type must be counter, gauge or histogram, got "${kind}"`)
    const labels = codeList(labelCell)
    if (labels === undefined) problems.push(`${where}: ${name} Labels must be \`a\`, \`b\` or —, got "${labelCell}"`)
    if (meaning === '') problems.push(`${where}: ${name} needs a meaning`)
    if (rows.some((x) => x.name === name)) problems.push(`${where}: ${name} is documented twice`)
    rows.push({ name, kind: kind as MetricKind, labels: [...(labels ?? [])].sort(), line: r.line })
  }
  return { rows, problems }
}

/**
 * Compares metrics.md with the registered metrics. Reports metrics missing from the doc,
 * documented metrics nothing registers, type and label differences, and names that break
 * the naming rule (`vpcmesh_` prefix; `_total` on counters and only on counters).
 */
export function checkMetricDoc(md: string, registered: readonly MetricRegistration[]): string[] {
  const { rows, problems } = parseMetricDoc(md)
  const documented = new Map(rows.map((r) => [r.name, r]))
  const byName = new Map(registered.map((m) => [m.name, m]))
  for (const m of registered) {
    const row = documented.get(m.name)
    if (row === undefined) {
      problems.push(`${m.name} (${m.kind}, registered at ${m.where}) is missing from docs/metrics.md`)
      continue
    }
    const where = `docs/metrics.md:${row.line}`
    if (row.kind !== m.kind) problems.push(`${where}: ${m.name} is documented as ${row.kind}, registered as ${m.kind}`)
    const want = [...m.labels].sort().join(', ')
    if (row.labels.join(', ') !== want)
      problems.push(`${where}: ${m.name} labels are [${row.labels.join(', ')}] in the doc, [${want}] in code`)
  }
  for (const row of rows) {
    const where = `docs/metrics.md:${row.line}`
    if (!byName.has(row.name)) problems.push(`${where}: ${row.name} is documented but no code registers it`)
    if (!row.name.startsWith('vpcmesh_'))
      problems.push(`${where}: ${row.name} must be named vpcmesh_<component>_<thing>_<unit>`)
    if (row.kind === 'counter' && !row.name.endsWith('_total'))
      problems.push(`${where}: counter ${row.name} must end in _total`)
    if (row.kind !== 'counter' && row.name.endsWith('_total'))
      problems.push(`${where}: ${row.kind} ${row.name} must not end in _total (reserved for counters)`)
  }
  return problems
}
