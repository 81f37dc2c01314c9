// Reads the observability files under deploy/ (Grafana dashboards, Prometheus config and alert
// rules) and the PromQL in them, for the tests in this folder. Pure functions over text, so the
// tests can also prove on synthetic input that each check reports what it should.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'

/** One PromQL expression found in a deploy file. */
export interface DeployQuery {
  /** File, panel or rule, and target, for messages: `agent.json: "RTT per peer" B`. */
  where: string
  expr: string
  /** `label_values(metric, label)` of a Grafana query variable: evaluated as a label lookup. */
  labelValues?: { match: string; label: string }
}

/** A Grafana dashboard, as far as the tests read it. */
export interface Dashboard {
  uid?: string
  title?: string
  schemaVersion?: number
  panels?: Panel[]
  templating?: { list?: TemplateVar[] }
}

/** A panel (rows hold their collapsed panels in `panels`). */
export interface Panel {
  id?: number
  type?: string
  title?: string
  datasource?: { type?: string; uid?: string } | null
  gridPos?: { h: number; w: number; x: number; y: number }
  targets?: Array<{ refId?: string; expr?: string; datasource?: { type?: string; uid?: string } }>
  panels?: Panel[]
}

/** A dashboard variable. */
export interface TemplateVar {
  name: string
  type: string
  query?: string | { query?: string }
  definition?: string
  datasource?: { type?: string; uid?: string } | null
  current?: { value?: string | string[] }
}

/** One alert or recording rule. */
export interface Rule {
  alert?: string
  record?: string
  expr: string
  for?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
}

/** A rules file. */
export interface RuleFile {
  groups: Array<{ name: string; interval?: string; rules: Rule[] }>
}

/** The folders this module reads, relative to the repository root. */
export const DASHBOARD_DIR = 'deploy/grafana/dashboards'
export const PROMETHEUS_CONFIG = 'deploy/prometheus/prometheus.yml'
export const RULES_FILE = 'deploy/prometheus/rules/vpcmesh.rules.yml'

/** Every `*.json` dashboard under {@link DASHBOARD_DIR}, by file name, sorted. */
export function loadDashboards(root: string): Array<{ file: string; dashboard: Dashboard }> {
  const dir = join(root, DASHBOARD_DIR)
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, dashboard: JSON.parse(readFileSync(join(dir, file), 'utf8')) as Dashboard }))
}

/** The rules file, parsed. */
export function loadRules(root: string): RuleFile {
  return parse(readFileSync(join(root, RULES_FILE), 'utf8')) as RuleFile
}

/** Every panel of a dashboard, rows' nested panels included. */
export function allPanels(d: Dashboard): Panel[] {
  const out: Panel[] = []
  const walk = (ps: Panel[] | undefined): void => {
    for (const p of ps ?? []) {
      out.push(p)
      walk(p.panels)
    }
  }
  walk(d.panels)
  return out
}

const LABEL_VALUES = /^\s*label_values\(\s*(.+?)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$/

/** The query text of a Grafana query variable, or undefined for other variable types. */
export function variableQuery(v: TemplateVar): string | undefined {
  if (v.type !== 'query') return undefined
  return typeof v.query === 'string' ? v.query : (v.query?.query ?? v.definition)
}

/** Every PromQL expression of a dashboard: panel targets and query variables. */
export function dashboardQueries(file: string, d: Dashboard): DeployQuery[] {
  const out: DeployQuery[] = []
  for (const p of allPanels(d)) {
    for (const t of p.targets ?? []) {
      if (typeof t.expr === 'string' && t.expr.trim() !== '')
        out.push({ where: `${file}: "${p.title ?? p.id ?? '?'}" ${t.refId ?? ''}`.trim(), expr: t.expr })
    }
  }
  for (const v of d.templating?.list ?? []) {
    const q = variableQuery(v)
    if (q === undefined) continue
    const m = LABEL_VALUES.exec(q)
    out.push(
      m === null
        ? { where: `${file}: variable $${v.name}`, expr: q }
        : {
            where: `${file}: variable $${v.name}`,
            expr: m[1] ?? '',
            labelValues: { match: m[1] ?? '', label: m[2] ?? '' },
          },
    )
  }
  return out
}

/** Every rule expression of a rules file. */
export function ruleQueries(file: string, r: RuleFile): DeployQuery[] {
  return r.groups.flatMap((g) =>
    g.rules.map((rule) => ({ where: `${file}: ${rule.alert ?? rule.record ?? '?'}`, expr: rule.expr })),
  )
}

/**
 * Replaces Grafana variables (`$name`, `${name}`, `${name:fmt}`, `[[name]]`) with `values[name]`.
 * Throws for a variable without a value, so a new variable cannot slip through unevaluated.
 */
export function substituteVariables(expr: string, values: Readonly<Record<string, string>>): string {
  return expr.replace(
    /\$\{([a-zA-Z_][a-zA-Z0-9_]*)(?::[^}]*)?\}|\$([a-zA-Z_][a-zA-Z0-9_]*)|\[\[([a-zA-Z_][a-zA-Z0-9_]*)\]\]/g,
    (all, a?: string, b?: string, c?: string) => {
      const name = a ?? b ?? c ?? ''
      const v = values[name]
      if (v === undefined) throw new Error(`no value for Grafana variable ${all} in ${expr}`)
      return v
    },
  )
}

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
  'start',
  'end',
])

/**
 * The metric names a PromQL expression selects: every identifier that is not a function or
 * aggregation (followed by `(`), a keyword, a label name (inside `{}` or a `by/without/on/
 * ignoring/group_*` list), a string or a duration. Grafana variables are replaced first. A
 * lexer, not a parser: enough for the dashboards' and rules' PromQL, proven on samples by test.
 */
export function metricNames(expr: string): string[] {
  let s = expr.replace(/\$\{[^}]*\}|\$[a-zA-Z_][a-zA-Z0-9_]*|\[\[[a-zA-Z0-9_]+\]\]/g, '5m')
  s = s.replace(/#[^\n]*/g, ' ')
  s = s.replace(/"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`/g, '""')
  const lv = LABEL_VALUES.exec(s)
  if (lv !== null) s = lv[1] ?? ''
  s = s.replace(/\{[^}]*\}/g, ' ')
  s = s.replace(/\[[^\]]*\]/g, ' ')
  s = s.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ')
  const names = new Set<string>()
  for (const m of s.matchAll(/(?<![\w.:])[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const id = m[0]
    const rest = s.slice((m.index ?? 0) + id.length)
    if (/^\s*\(/.test(rest) || KEYWORDS.has(id.toLowerCase())) continue
    names.add(id)
  }
  return [...names].sort()
}

/** Names Prometheus or prom-client define, allowed in deploy files without a row in docs/metrics.md. */
export function isBuiltinMetric(name: string): boolean {
  return ['up', 'ALERTS', 'ALERTS_FOR_STATE'].includes(name) || /^(process|nodejs|scrape)_[a-z0-9_]+$/.test(name)
}

/** A metric the code registers and docs/metrics.md documents. */
export interface KnownMetric {
  name: string
  kind: 'counter' | 'gauge' | 'histogram'
}

/** The series names a known metric exposes: a histogram's `_bucket`, `_sum`, `_count`; else the name. */
export function seriesNames(m: KnownMetric): string[] {
  return m.kind === 'histogram' ? ['_bucket', '_sum', '_count'].map((s) => m.name + s) : [m.name]
}

/**
 * Checks that every metric each query selects is registered by the code and documented in
 * docs/metrics.md (or a Prometheus/prom-client built-in). Returns one problem per offence.
 */
export function checkQueryMetrics(
  queries: readonly DeployQuery[],
  registered: readonly KnownMetric[],
  documented: readonly KnownMetric[],
): string[] {
  const reg = new Set(registered.flatMap(seriesNames))
  const doc = new Set(documented.flatMap(seriesNames))
  const problems: string[] = []
  for (const q of queries) {
    const names = metricNames(q.expr)
    if (names.length === 0 && q.labelValues === undefined) problems.push(`${q.where}: selects no metric: ${q.expr}`)
    for (const n of names) {
      if (isBuiltinMetric(n)) continue
      if (!reg.has(n))
        problems.push(
          `${q.where}: ${n} is not registered by any code under libs/*/src or apps/*/src${hint(n, registered)}`,
        )
      else if (!doc.has(n)) problems.push(`${q.where}: ${n} is registered but not documented in docs/metrics.md`)
    }
  }
  return problems
}

function hint(name: string, registered: readonly KnownMetric[]): string {
  const h = registered.find((m) => m.kind === 'histogram' && m.name === name)
  return h === undefined ? '' : ` (it is a histogram: query ${name}_bucket, _sum or _count)`
}
