// Every repository path named in a comment or a doc exists: `libs/…`, `apps/…`, `test/…`,
// `docs/…`, `deploy/…`, `scripts/…` (globs must match something; `dist/` and native `build/`
// outputs are checked by their sources) and bare source names like `peer-set.ts`; and every
// `exports` target of a workspace package.json has its source.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { exists, findMentions, readTree, type RepoTree } from './lib/repo-paths.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

test('every path named in a comment or a doc exists', () => {
  const tree = readTree(ROOT)
  const missing: string[] = []
  let checked = 0
  for (const file of [...tree.files].sort()) {
    if (file === 'package-lock.json' || /\.(json|node|png|svg)$/.test(file)) continue
    for (const m of findMentions(file, readFileSync(`${ROOT}/${file}`, 'utf8'))) {
      checked++
      if (!exists(tree, m))
        missing.push(`${file}: names ${m.bare ? 'source file ' : ''}${m.path}, which does not exist`)
    }
  }
  assert.ok(checked > 100, `only ${checked} path mentions found: is the scanner broken?`)
  assert.deepEqual(missing, [], `\n${missing.join('\n')}\nfix the path, or the comment that names it\n`)
})

test('every package.json export of a workspace points at a source that exists', () => {
  const missing: string[] = []
  for (const group of ['libs', 'apps']) {
    for (const name of readdirSync(`${ROOT}/${group}`).sort()) {
      const dir = `${group}/${name}`
      if (!existsSync(`${ROOT}/${dir}/package.json`)) continue
      const pkg = JSON.parse(readFileSync(`${ROOT}/${dir}/package.json`, 'utf8')) as { exports?: unknown }
      for (const [entry, target] of exportTargets(pkg.exports)) {
        const source = target.replace(/^\.\/dist\//, './').replace(/\.d\.ts$|\.js$/, '.ts')
        if (!existsSync(`${ROOT}/${dir}/${source}`))
          missing.push(
            `${dir}/package.json: export '${entry}' → ${target}, but ${dir}/${source.slice(2)} does not exist`,
          )
      }
    }
  }
  assert.deepEqual(missing, [], `\n${missing.join('\n')}\n`)
})

/** [subpath, target] of every string target in a package.json `exports` value (conditions flattened). */
function exportTargets(exports: unknown, entry = '.'): Array<[string, string]> {
  if (typeof exports === 'string') return [[entry, exports]]
  if (typeof exports !== 'object' || exports === null) return []
  return Object.entries(exports).flatMap(([k, v]) => exportTargets(v, k.startsWith('.') ? k : entry))
}

test('self-check: mentions in comments and docs are found, strings and upstream paths are not', () => {
  const tree: RepoTree = {
    files: new Set(['libs/a/src/x.ts', 'libs/a/test/x.test.ts', 'docs/e.md']),
    dirs: new Set(['libs', 'libs/a', 'libs/a/src', 'libs/a/test', 'docs']),
    baseNames: new Set(['x.ts', 'x.test.ts', 'e.md']),
  }
  const src = [
    '// see libs/a/src/x.ts and gone.ts',
    "const s = 'libs/a/src/missing.ts'",
    '/** tests in test/x.test.ts (fastify test/internals/errors.test.js); docs/*.md */',
    '/* built to libs/a/dist/test/x.test.js; apps/b/src/y.ts */',
  ].join('\n')
  const found = findMentions('libs/a/src/z.ts', src).map((m) => `${m.path} ${exists(tree, m) ? 'ok' : 'missing'}`)
  assert.deepEqual(
    found.sort(),
    [
      'apps/b/src/y.ts missing',
      'docs/*.md ok',
      'gone.ts missing',
      'libs/a/dist/test/x.test.js ok',
      'libs/a/src/x.ts ok',
      'test/x.test.ts ok',
    ].sort(),
  )
  const md = findMentions('docs/e.md', 'Run `node --test test/dist/nope.test.js`; see libs/{a,b}/src.')
  assert.deepEqual(
    md.map((m) => `${m.path} ${exists(tree, m) ? 'ok' : 'missing'}`),
    ['test/dist/nope.test.js missing', 'libs/{a,b}/src ok'],
  )
})
