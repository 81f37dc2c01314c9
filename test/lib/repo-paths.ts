import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import ts from 'typescript'

/** Folders never scanned and never counted as sources: dependencies, build outputs, git. */
const SKIP_DIRS = new Set(['node_modules', 'dist', 'build', '.git'])

/** The repository's files and folders, root-relative with posix separators. */
export interface RepoTree {
  files: Set<string>
  dirs: Set<string>
  /** Base names of every file, for bare `peer.ts`-style mentions. */
  baseNames: Set<string>
}

/** Walks `root`, skipping {@link SKIP_DIRS} and dot-folders. */
export function readTree(root: string): RepoTree {
  const tree: RepoTree = { files: new Set(), dirs: new Set(), baseNames: new Set() }
  const walk = (rel: string): void => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      const p = rel === '' ? e.name : `${rel}/${e.name}`
      if (e.isDirectory()) {
        if (SKIP_DIRS.has(e.name) || e.name.startsWith('.')) continue
        tree.dirs.add(p)
        walk(p)
      } else {
        tree.files.add(p)
        tree.baseNames.add(e.name)
      }
    }
  }
  walk('')
  return tree
}

/** The commentary of a file: comments of code, the whole text of Markdown, `#` lines of shell and YAML. */
export function commentary(path: string, text: string): string[] {
  if (path.endsWith('.md')) return [text]
  if (/\.(c|m)?[jt]s$/.test(path)) return scriptComments(text)
  if (/\.(cc|h)$/.test(path)) return text.split('\n').map((l) => (l.includes('//') ? l.slice(l.indexOf('//')) : ''))
  if (/\.(sh|ya?ml|service|defaults|gyp)$/.test(path) || path.startsWith('bin/')) {
    return text.split('\n').filter((l) => /^\s*#/.test(l))
  }
  return []
}

/** Comments of a JavaScript or TypeScript source, found by the TypeScript scanner (strings are never comments). */
function scriptComments(text: string): string[] {
  const sf = ts.createSourceFile('x.ts', text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS)
  const out: string[] = []
  const seen = new Set<number>()
  const take = (ranges: ts.CommentRange[] | undefined): void => {
    for (const r of ranges ?? []) {
      if (seen.has(r.pos)) continue
      seen.add(r.pos)
      out.push(text.slice(r.pos, r.end))
    }
  }
  const visit = (node: ts.Node): void => {
    take(ts.getLeadingCommentRanges(text, node.getFullStart()))
    take(ts.getTrailingCommentRanges(text, node.getEnd()))
    ts.forEachChild(node, visit)
  }
  visit(sf)
  take(ts.getLeadingCommentRanges(text, sf.endOfFileToken.getFullStart()))
  return out
}

/**
 * Other projects whose file names our comments quote ("fastify test/internals/errors.test.js");
 * a path right after one of these words is theirs, not ours.
 */
const UPSTREAM = /(?:fastify|tailscale|wireguard-go|libp2p|headscale|linux|kernel|node)\s+$/i

const REPO_PATH = /(?<![\w./@~$-])((?:libs|apps|test|docs|deploy|scripts)\/[\w.*{},/-]*[\w*}])/g
const BARE_SOURCE = /(?<![\w./@~$-])([a-z][\w-]*\.(?:ts|mjs|cc))(?![\w/-])/g

/** A mention of a path: the file it is in and the text as written. */
export interface Mention {
  file: string
  path: string
  bare: boolean
}

/** Every repository path (`libs/…`, `apps/…`, …) and bare source file name in `text`. */
export function findMentions(file: string, text: string): Mention[] {
  const out: Mention[] = []
  for (const c of commentary(file, text)) {
    for (const m of c.matchAll(REPO_PATH)) {
      if (!UPSTREAM.test(c.slice(Math.max(0, m.index - 20), m.index)))
        out.push({ file, path: m[1] as string, bare: false })
    }
    for (const m of c.matchAll(BARE_SOURCE)) {
      if (!UPSTREAM.test(c.slice(Math.max(0, m.index - 20), m.index)))
        out.push({ file, path: m[1] as string, bare: true })
    }
  }
  return out
}

/** `a/*.ts` and `{x,y}` to a regular expression over root-relative paths; `*` stays in one segment. */
function globRegExp(glob: string): RegExp {
  let re = ''
  for (const ch of glob) {
    if (ch === '*') re += '[^/]*'
    else if (ch === '{') re += '(?:'
    else if (ch === '}') re += ')'
    else if (ch === ',') re += '|'
    else re += ch.replace(/[.+?^$()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${re}/?$`)
}

/**
 * The source a build output comes from: `libs/cidr/dist/test/table.test.js` → `libs/cidr/test/table.test.ts`;
 * `libs/tun/native/build/Release/x.node` → `libs/tun/native` (built there by node-gyp).
 */
function sourceOf(path: string): string {
  if (/(^|\/)build\//.test(path)) return path.slice(0, path.search(/\/?build\//))
  return path.replace(/(^|\/)dist\//, '$1').replace(/\.d\.ts$|\.js$/, '.ts')
}

/** Whether a mention names something that exists: as written, or relative to the mentioning workspace. */
export function exists(tree: RepoTree, m: Mention): boolean {
  if (m.bare) return tree.baseNames.has(m.path)
  const inWorkspace = /^(libs|apps)\//.test(m.file) ? [`${m.file.split('/').slice(0, 2).join('/')}/${m.path}`] : []
  const candidates = [m.path, ...inWorkspace].map(sourceOf)
  return candidates.some((c) => {
    if (/[*{]/.test(c)) {
      const re = globRegExp(c)
      return [...tree.files, ...tree.dirs].some((p) => re.test(p))
    }
    const p = c.replace(/\/$/, '')
    return tree.files.has(p) || tree.dirs.has(p)
  })
}
