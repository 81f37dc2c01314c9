import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { isBuiltin } from 'node:module'
import { join, posix } from 'node:path'
import ts from 'typescript'

/** How a specifier was written. `reference` is a `/// <reference types>` directive. */
export type ImportKind = 'import' | 'export' | 'dynamic' | 'require' | 'import-type' | 'reference'

/** One import specifier found in a source file. */
export interface ImportRecord {
  /** 1-based line of the specifier. */
  line: number
  specifier: string
  kind: ImportKind
  /** True when nothing is loaded at run time (`import type`, `import('x').T` in a type, …). */
  typeOnly: boolean
}

/**
 * Lists the string-literal import specifiers of a TypeScript source: static imports and
 * re-exports, `import x = require()`, dynamic `import()`, calls of `require` or of any
 * `createRequire(...)` result (and their `.resolve`), `import('x')` types and
 * `/// <reference types>`. Comments and strings are never mistaken for imports because the
 * text is parsed by the TypeScript compiler. Non-literal specifiers cannot be checked and
 * are skipped.
 */
export function parseImports(fileName: string, text: string): ImportRecord[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
  const requireNames = collectRequireNames(sf)
  const out: ImportRecord[] = sf.typeReferenceDirectives.map((d) => ({
    line: sf.getLineAndCharacterOfPosition(d.pos).line + 1,
    specifier: d.fileName,
    kind: 'reference',
    typeOnly: true,
  }))
  const add = (spec: ts.Node | undefined, kind: ImportKind, typeOnly: boolean): void => {
    if (spec === undefined || !ts.isStringLiteralLike(spec)) return
    out.push({
      line: sf.getLineAndCharacterOfPosition(spec.getStart(sf)).line + 1,
      specifier: spec.text,
      kind,
      typeOnly,
    })
  }
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) add(node.moduleSpecifier, 'import', isTypeOnlyImport(node))
    else if (ts.isExportDeclaration(node)) add(node.moduleSpecifier, 'export', node.isTypeOnly)
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, 'require', node.isTypeOnly)
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument))
      add(node.argument.literal, 'import-type', true)
    else if (ts.isCallExpression(node)) {
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0], 'dynamic', false)
      else if (isRequireCallee(node.expression, requireNames)) add(node.arguments[0], 'require', false)
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  return out.sort((a, b) => a.line - b.line)
}

function isTypeOnlyImport(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause
  if (clause === undefined) return false
  if (clause.isTypeOnly) return true
  const named = clause.namedBindings
  return (
    clause.name === undefined &&
    named !== undefined &&
    ts.isNamedImports(named) &&
    named.elements.length > 0 &&
    named.elements.every((e) => e.isTypeOnly)
  )
}

/** `require` plus every variable initialised from `createRequire(...)`. */
function collectRequireNames(sf: ts.SourceFile): Set<string> {
  const names = new Set(['require'])
  const visit = (node: ts.Node): void => {
    if (
      ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      node.initializer !== undefined &&
      isCreateRequireCall(node.initializer)
    )
      names.add(node.name.text)
    ts.forEachChild(node, visit)
  }
  visit(sf)
  return names
}

function isCreateRequireCall(node: ts.Node): boolean {
  if (!ts.isCallExpression(node)) return false
  const callee = node.expression
  return (
    (ts.isIdentifier(callee) && callee.text === 'createRequire') ||
    (ts.isPropertyAccessExpression(callee) && callee.name.text === 'createRequire')
  )
}

/** `req(...)`, `req.resolve(...)` or `createRequire(...)(...)`. */
function isRequireCallee(callee: ts.Expression, names: Set<string>): boolean {
  if (ts.isIdentifier(callee)) return names.has(callee.text)
  if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'resolve')
    return isRequireCallee(callee.expression, names)
  return isCreateRequireCall(callee)
}

/** One source file, with its path relative to the repository root (posix separators). */
export interface SourceText {
  path: string
  text: string
}

/** What the checker needs to know about one workspace under libs/ or apps/. */
export interface Workspace {
  /** Root-relative folder, e.g. `libs/metrics`. */
  dir: string
  kind: 'lib' | 'app'
  /** package.json `name`. */
  name: string
  dependencies: readonly string[]
  devDependencies: readonly string[]
  /** tsconfig.json `references`, as root-relative folders. */
  references: readonly string[]
  files: readonly SourceText[]
}

/** Reads every workspace in `root`/libs and `root`/apps: manifests and `.ts` sources (dist and node_modules skipped). */
export function loadWorkspaces(root: string): Workspace[] {
  const out: Workspace[] = []
  for (const group of ['libs', 'apps'] as const) {
    const groupDir = join(root, group)
    if (!existsSync(groupDir)) continue
    for (const entry of readdirSync(groupDir).sort()) {
      const dir = `${group}/${entry}`
      if (existsSync(join(root, dir, 'package.json')))
        out.push(loadWorkspace(root, dir, group === 'libs' ? 'lib' : 'app'))
    }
  }
  return out
}

function loadWorkspace(root: string, dir: string, kind: 'lib' | 'app'): Workspace {
  const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as {
    name?: string
    dependencies?: Record<string, string>
    devDependencies?: Record<string, string>
  }
  const tsconfigPath = join(root, dir, 'tsconfig.json')
  const tsconfig = existsSync(tsconfigPath)
    ? (ts.readConfigFile(tsconfigPath, (p) => readFileSync(p, 'utf8')).config as
        | { references?: Array<{ path: string }> }
        | undefined)
    : undefined
  const references = (tsconfig?.references ?? []).map((r) => {
    const p = posix.normalize(posix.join(dir, r.path))
    return p.endsWith('.json') ? posix.dirname(p) : p
  })
  const files = listSources(root, dir).map((path) => ({ path, text: readFileSync(join(root, path), 'utf8') }))
  return {
    dir,
    kind,
    name: pkg.name ?? dir,
    dependencies: Object.keys(pkg.dependencies ?? {}),
    devDependencies: Object.keys(pkg.devDependencies ?? {}),
    references,
    files,
  }
}

function listSources(root: string, dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(join(root, dir)).sort()) {
    if (name === 'dist' || name === 'node_modules' || name.startsWith('.')) continue
    const rel = `${dir}/${name}`
    if (statSync(join(root, rel)).isDirectory()) out.push(...listSources(root, rel))
    else if (/\.(c|m)?tsx?$/.test(name)) out.push(rel)
  }
  return out
}

/** The checks, by id. Each text is the reason the rule exists; violation messages quote it. */
export const RULES = {
  undeclared:
    'every package a workspace imports is declared in its own package.json (devDependencies only from test/ and src/testing/)',
  direction: 'libs never import apps, and apps never import each other',
  testing: 'fakes (…/testing entry points, src/testing/, test/) are imported only from test code',
  reference: 'every workspace import has a matching tsconfig.json "references" entry, so tsc -b builds in order',
  escape: 'a relative import stays inside its own workspace; other workspaces are imported by package name',
  confined: 'third-party packages stay in the files named in CONFINED (test/deps.test.ts)',
  forbidden: 'per-workspace forbidden imports',
} as const

/** One of the {@link RULES} ids. */
export type RuleId = keyof typeof RULES

/** Package patterns: `name`, `@scope/*` (any package in the scope), or `*.node` (a specifier suffix). */
export type PackagePattern = string

/**
 * Path patterns are root-relative; a pattern matches that path and everything below it
 * (`apps/agent/src/status/`). `*` matches within one path segment, so `apps/`, a star and
 * `/src/config.ts` name every app's config file.
 */
export type PathPattern = string

/** The data the checker enforces beyond the structural rules. */
export interface Policy {
  /** Package pattern → the only paths that may import it, and why. */
  confined: Record<PackagePattern, { only: readonly PathPattern[]; reason: string }>
  /** Workspace path pattern → package pattern → reason the workspace must not import it. */
  forbidden: Record<PathPattern, Record<PackagePattern, string>>
}

/** A broken rule: where, which import, and a message naming both. */
export interface Violation {
  rule: RuleId
  file: string
  line: number
  specifier: string
  message: string
}

/** Checks every import of every workspace file against the structural rules and `policy`. */
export function checkWorkspaces(workspaces: readonly Workspace[], policy: Policy): Violation[] {
  const out: Violation[] = []
  for (const ws of workspaces) {
    for (const file of ws.files) {
      for (const imp of parseImports(file.path, file.text)) {
        const report = (rule: RuleId, why: string): void => {
          const type = imp.typeOnly ? ' (type-only)' : ''
          out.push({
            rule,
            file: file.path,
            line: imp.line,
            specifier: imp.specifier,
            message: `${file.path}:${imp.line}: import '${imp.specifier}'${type}: ${why} [${rule}: ${RULES[rule]}]`,
          })
        }
        checkImport({ ws, workspaces, policy, file: file.path, imp, report })
      }
    }
  }
  return out
}

interface ImportContext {
  ws: Workspace
  workspaces: readonly Workspace[]
  policy: Policy
  file: string
  imp: ImportRecord
  report: (rule: RuleId, why: string) => void
}

function checkImport(c: ImportContext): void {
  const spec = c.imp.specifier
  const isTest = isTestPath(c.ws, c.file)
  if (spec.startsWith('.') || spec.startsWith('/')) checkRelative(c, isTest)
  else if (spec.startsWith('#'))
    c.report('undeclared', 'package.json "imports" (#) are not used in vpcmesh; import relatively')
  else if (!spec.startsWith('node:')) checkPackage(c, isTest)
  else if (!isBuiltin(spec)) c.report('undeclared', 'not a Node.js builtin module')
  checkConfined(c, isTest)
  checkForbidden(c)
}

/** Test code: a workspace's test/ folder and its src/testing/ fakes. */
function isTestPath(ws: Workspace, path: string): boolean {
  return path.startsWith(`${ws.dir}/test/`) || path.startsWith(`${ws.dir}/src/testing/`)
}

function checkRelative(c: ImportContext, isTest: boolean): void {
  const spec = c.imp.specifier
  const inside = (p: string): boolean => p.startsWith(`${c.ws.dir}/`)
  const fromSource = posix.normalize(posix.join(posix.dirname(c.file), spec))
  // Non-TypeScript files (the .node addon, JSON) are found relative to the compiled file in dist/.
  const compiled = `${c.ws.dir}/dist/${c.file.slice(c.ws.dir.length + 1)}`
  const fromDist = posix.normalize(posix.join(posix.dirname(compiled), spec))
  if (spec.startsWith('/') || (!inside(fromSource) && !inside(fromDist))) {
    c.report('escape', `resolves outside ${c.ws.dir}`)
  } else if (!isTest && inside(fromSource) && isTestPath(c.ws, fromSource)) {
    c.report('testing', `non-test code reaches ${fromSource}`)
  }
}

function checkPackage(c: ImportContext, isTest: boolean): void {
  const spec = c.imp.specifier
  const pkg = packageName(spec)
  if (isBuiltin(spec)) {
    c.report('undeclared', `a Node.js builtin: write 'node:${spec}'`)
    return
  }
  if (pkg === c.ws.name) {
    c.report('undeclared', `${c.ws.dir} imports itself by package name; use a relative path`)
    return
  }
  const declared = c.ws.dependencies.includes(pkg) || (isTest && c.ws.devDependencies.includes(pkg))
  if (!declared) {
    const dev = c.ws.devDependencies.includes(pkg) ? ' (it is a devDependency, usable only from test code)' : ''
    c.report('undeclared', `'${pkg}' is not in ${c.ws.dir}/package.json dependencies${dev}`)
  }
  if (!isTest && /^@vpcmesh\/[^/]+\/testing(\/|$)/.test(spec))
    c.report('testing', 'a …/testing entry point in non-test code')
  if (pkg.startsWith('@vpcmesh/')) checkWorkspaceImport(c, pkg)
}

function checkWorkspaceImport(c: ImportContext, pkg: string): void {
  const target = c.workspaces.find((w) => w.name === pkg)
  if (target === undefined) {
    c.report('reference', `no workspace is named '${pkg}'`)
    return
  }
  if (c.ws.kind === 'lib' && target.kind === 'app')
    c.report('direction', `library ${c.ws.dir} imports app ${target.dir}`)
  if (c.ws.kind === 'app' && target.kind === 'app') c.report('direction', `app ${c.ws.dir} imports app ${target.dir}`)
  if (!c.ws.references.includes(target.dir)) {
    c.report('reference', `${c.ws.dir}/tsconfig.json has no reference to ${target.dir}`)
  }
}

function checkConfined(c: ImportContext, isTest: boolean): void {
  const declares = (pkg: string | undefined): boolean =>
    pkg !== undefined && (c.ws.dependencies.includes(pkg) || c.ws.devDependencies.includes(pkg))
  for (const [pattern, rule] of Object.entries(c.policy.confined)) {
    if (!matchesPackage(pattern, c.imp.specifier)) continue
    if (rule.only.some((p) => matchesPath(p, c.file))) continue
    if (isTest && declares(bareName(c.imp.specifier))) continue
    c.report('confined', `'${pattern}' is allowed only in ${rule.only.join(', ')}: ${rule.reason}`)
  }
}

function checkForbidden(c: ImportContext): void {
  for (const [wsPattern, packages] of Object.entries(c.policy.forbidden)) {
    if (!matchesPath(wsPattern, c.ws.dir)) continue
    for (const [pattern, reason] of Object.entries(packages)) {
      if (matchesPackage(pattern, c.imp.specifier))
        c.report('forbidden', `${wsPattern} must not import ${pattern}: ${reason}`)
    }
  }
}

/** The package part of a bare specifier: `@scope/name/sub` → `@scope/name`, `name/sub` → `name`, `node:fs/promises` → `node:fs`. */
export function packageName(spec: string): string {
  const parts = spec.split('/')
  return (spec.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/')
}

function bareName(spec: string): string | undefined {
  return spec.startsWith('.') || spec.startsWith('/') ? undefined : packageName(spec)
}

/** Whether an import specifier falls under a {@link PackagePattern}. */
export function matchesPackage(pattern: PackagePattern, spec: string): boolean {
  if (pattern.startsWith('*')) return spec.endsWith(pattern.slice(1))
  const pkg = bareName(spec)
  if (pkg === undefined) return false
  if (pattern.endsWith('/*')) return pkg.startsWith(pattern.slice(0, -1))
  return pkg === pattern
}

/** Whether a root-relative path is, or is below, a {@link PathPattern}. */
export function matchesPath(pattern: PathPattern, path: string): boolean {
  const body = pattern
    .replace(/\/$/, '')
    .split('*')
    .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]*')
  return new RegExp(`^${body}(/.*)?$`).test(path)
}
