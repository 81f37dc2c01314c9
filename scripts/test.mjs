#!/usr/bin/env node
// Runs every compiled test file with node's test runner (tests are compiled by `tsc -b` first).
// Usage: node scripts/test.mjs [--only file...]
import { readdirSync, statSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'

const root = new URL('..', import.meta.url).pathname

/** Lists *.test.js files below dir, sorted, skipping node_modules. */
function findTests (dir) {
  if (!existsSync(dir)) return []
  const out = []
  for (const name of readdirSync(dir).sort()) {
    if (name === 'node_modules') continue
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...findTests(p))
    else if (name.endsWith('.test.js')) out.push(p)
  }
  return out
}

const args = process.argv.slice(2)
let files
if (args[0] === '--only') {
  files = args.slice(1).map((f) => join(root, f))
} else {
  files = []
  for (const group of ['libs', 'apps']) {
    for (const ws of readdirSync(join(root, group)).sort()) {
      files.push(...findTests(join(root, group, ws, 'dist', 'test')))
    }
  }
  files.push(...findTests(join(root, 'test', 'dist')))
}
if (files.length === 0) {
  console.error('test: no compiled test files found; run `npm run build` first')
  process.exit(1)
}
const r = spawnSync(process.execPath, ['--test', '--test-timeout=300000', ...files], { stdio: 'inherit', cwd: root })
process.exit(r.status ?? 1)
