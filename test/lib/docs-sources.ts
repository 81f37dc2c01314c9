// What the code defines, read from the TypeScript sources of every workspace (for docs.test.ts):
// the stable error codes and the metric registrations. Parsed with the TypeScript compiler, so
// comments never count and string contents are read exactly.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import ts from 'typescript'

/** One source file, `path` relative to the repository root with forward slashes. */
export interface SourceText {
  path: string
  text: string
}

/** A stable error code: `VPCMESH_ERR_` then capitals, digits and underscores. */
export const ERROR_CODE = /^VPCMESH_ERR_[A-Z0-9_]+$/

/** The metric kinds of the Metrics interface (libs/metrics/src/metrics.ts). */
export type MetricKind = 'counter' | 'gauge' | 'histogram'

/** One metric registration: what the code asks the Metrics interface for. */
export interface MetricRegistration {
  name: string
  kind: MetricKind
  /** Declared label names, sorted; empty for a single unlabelled series. */
  labels: string[]
  /** `path:line` of the registration, or where it was observed. */
  where: string
}

/**
 * Lists the production sources of every workspace: `libs/*\/src` and `apps/*\/src`, `.ts`
 * files, without declaration files, test files (`*.test.ts`, `test/` folders), `dist` and
 * `node_modules`. Fakes under `src/testing/` are included: a code they use is a code too.
 */
export function listSourceFiles(root: string): SourceText[] {
  const out: SourceText[] = []
  for (const group of ['libs', 'apps']) {
    const dir = join(root, group)
    if (!existsSync(dir)) continue
    for (const ws of readdirSync(dir).sort()) {
      const src = `${group}/${ws}/src`
      if (existsSync(join(root, src))) walk(root, src, out)
    }
  }
  return out
}

function walk(root: string, rel: string, out: SourceText[]): void {
  for (const name of readdirSync(join(root, rel)).sort()) {
    if (name === 'node_modules' || name === 'dist' || name === 'test') continue
    const path = `${rel}/${name}`
    if (statSync(join(root, path)).isDirectory()) walk(root, path, out)
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts') && !name.endsWith('.test.ts')) {
      out.push({ path, text: readFileSync(join(root, path), 'utf8') })
    }
  }
}

/** What {@link findErrorCodes} found. */
export interface ErrorCodeScan {
  /** Code → every `path:line` where it appears as a literal or a property name. */
  codes: Map<string, string[]>
  /** Codes built at run time (template literals), which no document can be checked against. */
  dynamic: string[]
}

/**
 * Finds the error codes the sources define or use: string literals whose whole text is a code
 * (`'VPCMESH_ERR_CIDR_INVALID'`) and identifiers such as object keys
 * (`{ VPCMESH_ERR_TUN_CLOSED: '…' }`). Codes inside longer strings and in comments are
 * references, not definitions, and are ignored. A template literal starting with
 * `VPCMESH_ERR_` and holding substitutions is reported in `dynamic`.
 */
export function findErrorCodes(files: readonly SourceText[]): ErrorCodeScan {
  const codes = new Map<string, string[]>()
  const dynamic: string[] = []
  for (const f of files) {
    const sf = ts.createSourceFile(f.path, f.text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
    const at = (n: ts.Node): string => `${f.path}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`
    const visit = (n: ts.Node): void => {
      const text =
        ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n) || ts.isIdentifier(n) ? n.text : undefined
      if (text !== undefined && ERROR_CODE.test(text)) {
        const list = codes.get(text) ?? []
        list.push(at(n))
        codes.set(text, list)
      } else if (ts.isTemplateExpression(n) && n.head.text.startsWith('VPCMESH_ERR_')) {
        dynamic.push(`${at(n)} ${n.getText(sf)}`)
      }
      ts.forEachChild(n, visit)
    }
    visit(sf)
  }
  return { codes, dynamic }
}

/** What {@link findMetricRegistrations} found. */
export interface MetricScan {
  metrics: MetricRegistration[]
  /** Registrations that cannot be read statically (a name or label list not written as literals). */
  problems: string[]
}

/**
 * Finds calls `x.counter({ name: '…', labelNames: [...] })` (and `gauge`, `histogram`) whose
 * first argument is an object literal with a `name` property: the way components register
 * metrics through the injected Metrics (see CONTRIBUTING.md, Add a metric). A name or label list that is not
 * written as literals is reported in `problems`, because the docs cannot be checked against it.
 */
export function findMetricRegistrations(files: readonly SourceText[]): MetricScan {
  const metrics: MetricRegistration[] = []
  const problems: string[] = []
  for (const f of files) {
    const sf = ts.createSourceFile(f.path, f.text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
    const visit = (n: ts.Node): void => {
      const found = registrationOf(n)
      if (found !== undefined) {
        const where = `${f.path}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`
        const r = readRegistration(found.kind, found.options, where)
        if (typeof r === 'string') problems.push(r)
        else metrics.push(r)
      }
      ts.forEachChild(n, visit)
    }
    visit(sf)
  }
  return { metrics, problems }
}

function registrationOf(n: ts.Node): { kind: MetricKind; options: ts.ObjectLiteralExpression } | undefined {
  if (!ts.isCallExpression(n) || !ts.isPropertyAccessExpression(n.expression)) return undefined
  const kind = n.expression.name.text
  if (kind !== 'counter' && kind !== 'gauge' && kind !== 'histogram') return undefined
  const options = n.arguments[0]
  if (options === undefined || !ts.isObjectLiteralExpression(options)) return undefined
  if (property(options, 'name') === undefined) return undefined
  return { kind, options }
}

function property(o: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined {
  for (const p of o.properties) {
    if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) && p.name.text === name)
      return p.initializer
  }
  return undefined
}

function readRegistration(kind: MetricKind, o: ts.ObjectLiteralExpression, where: string): MetricRegistration | string {
  const name = property(o, 'name')
  if (name === undefined || !ts.isStringLiteralLike(name))
    return `${where}: ${kind} name is not a string literal; write it out so docs/metrics.md can be checked`
  const labelNames = property(o, 'labelNames')
  if (labelNames === undefined) return { name: name.text, kind, labels: [], where }
  if (!ts.isArrayLiteralExpression(labelNames) || !labelNames.elements.every(ts.isStringLiteralLike)) {
    return `${where}: labelNames of ${name.text} is not an array of string literals; write it out so docs/metrics.md can be checked`
  }
  return {
    name: name.text,
    kind,
    labels: labelNames.elements.map((e) => (e as ts.StringLiteralLike).text).sort(),
    where,
  }
}
