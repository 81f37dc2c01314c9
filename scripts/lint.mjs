#!/usr/bin/env node
// `npm run lint`: every check that keeps the tree in house style, each one able to fail CI.
//   1. Biome: TypeScript/JavaScript/JSON format and lint rules (biome.json).
//   2. clang-format: the native packet engine (libs/tun/native/.clang-format).
//   3. House rules Biome has no rule for: class members are `private`, never `#private`
//      (one spelling, CONTRIBUTING.md "Naming"); no source line longer than 160 characters
//      (the formatter wraps code at 120; this catches strings and comments it cannot wrap).
// Exit code 0 clean, 1 a violation (each printed as file:line: problem), 2 a tool is missing.
import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const MAX_LINE = 160
let failed = false

function run(label, cmd, args) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit' })
  if (r.error !== undefined) {
    process.stderr.write(`lint: cannot run ${cmd}: ${r.error.message}\n`)
    process.exit(2)
  }
  if (r.status !== 0) {
    process.stderr.write(`lint: ${label} failed\n`)
    failed = true
  }
}

const tracked = (patterns) =>
  execFileSync('git', ['ls-files', '-z', '--', ...patterns], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((f) => f !== '')

run('biome', join(ROOT, 'node_modules/.bin/biome'), ['check', '.'])
const native = tracked(['libs/tun/native/**/*.cc', 'libs/tun/native/**/*.h'])
run('clang-format', 'clang-format', ['--dry-run', '--Werror', ...native])

const problems = []
for (const file of tracked(['*.ts', '*.mjs', '*.cc', '*.h'])) {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n')
  lines.forEach((line, i) => {
    if ([...line].length > MAX_LINE) problems.push(`${file}:${i + 1}: line longer than ${MAX_LINE} characters`)
    if (file.endsWith('.ts') && /^\s*(?:(?:static|readonly|async|get|set)\s+)*#[A-Za-z_]/.test(line))
      problems.push(`${file}:${i + 1}: #private member; write \`private\` (CONTRIBUTING.md, Naming)`)
  })
}
for (const p of problems) process.stderr.write(`${p}\n`)
if (problems.length > 0) failed = true
process.exit(failed ? 1 : 0)
