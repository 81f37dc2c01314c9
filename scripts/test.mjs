#!/usr/bin/env node
// Runs the compiled test files with node's test runner (tests are compiled by `tsc -b` first),
// then the leftover check (test/teardown/leftovers.ts) as a separate `node --test`: node runs
// test files concurrently where it has the cores, so only a second run is sure to come last.
//
// Usage: node scripts/test.mjs [--layer unit|service|integration|e2e]... [--only file...]
//   --layer  repeatable or a comma list; none: every layer (docs/testing.md, "Layers";
//            the rules are in scripts/test-layers.mjs)
//   --only   exactly these files (paths relative to the repository root), whatever their layer
import { readdirSync, readFileSync, statSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { join, relative } from 'node:path'
import { availableParallelism, tmpdir } from 'node:os'
import { randomBytes } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { LAYERS, layerOf, parseLayers } from './test-layers.mjs'

const root = new URL('..', import.meta.url).pathname
const LEFTOVERS = join(root, 'test', 'dist', 'teardown', 'leftovers.js')

/** Lists *.test.js files below dir, sorted, skipping node_modules. */
function findTests(dir) {
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
const layerArgs = []
let only
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--only') {
    only = args.slice(i + 1)
    break
  }
  if (args[i] === '--layer') {
    layerArgs.push(args[++i] ?? '')
    continue
  }
  if (args[i].startsWith('--layer=')) {
    layerArgs.push(args[i].slice('--layer='.length))
    continue
  }
  console.error(
    `test: unknown argument "${args[i]}"; usage: node scripts/test.mjs [--layer ${LAYERS.join('|')}]... [--only file...]`,
  )
  process.exit(2)
}
let layers
try {
  layers = parseLayers(layerArgs)
} catch (e) {
  console.error(`test: ${e.message}`)
  process.exit(2)
}

let files
if (only !== undefined) {
  files = only.map((f) => join(root, f))
} else {
  const all = []
  for (const group of ['libs', 'apps']) {
    for (const ws of readdirSync(join(root, group)).sort()) {
      all.push(...findTests(join(root, group, ws, 'dist', 'test')))
    }
  }
  all.push(...findTests(join(root, 'test', 'dist')))
  if (all.length === 0) {
    console.error('test: no compiled test files found; run `npm run build` first')
    process.exit(1)
  }
  files = all.filter((f) => layers.includes(layerOf(relative(root, f))))
}
const count = (l) => files.filter((f) => layerOf(relative(root, f)) === l).length
const ranLayers = only === undefined ? layers : LAYERS.filter((l) => count(l) > 0)
console.log(
  `test: ${only === undefined ? 'layers' : '--only, layers'} ${ranLayers.map((l) => `${l} (${count(l)} files)`).join(', ')}; then the leftover check`,
)
if (files.length === 0) {
  console.error('test: no test file selected')
  process.exit(1)
}
if (!existsSync(LEFTOVERS)) {
  console.error(`test: ${relative(root, LEFTOVERS)} is missing; run \`npm run build\` first`)
  process.exit(1)
}

// Everything the tests start inherits VPCMESH_TEST_RUN; the snapshot lets the leftover check
// tell this run's namespaces and processes from what was there before.
const work = mkdtempSync(join(tmpdir(), 'vpcmesh-testrun-'))
const baseline = join(work, 'baseline.json')
const env = {
  ...process.env,
  VPCMESH_TEST_RUN: randomBytes(8).toString('hex'),
  VPCMESH_TEST_BASELINE: baseline,
  VPCMESH_TEST_LAYERS: ranLayers.join(','),
}
const snap = spawnSync(process.execPath, [LEFTOVERS, '--snapshot', baseline], { stdio: 'inherit', cwd: root, env })
if (snap.status !== 0) {
  console.error('test: could not take the snapshot for the leftover check')
  process.exit(1)
}
// Unit files share nothing (temp dirs, free loopback ports): run them two at a time at least
// (node's default is one fewer than the cores: one at a time on 2 cores). Other layers keep
// node's default.
const unitOnly = ranLayers.length === 1 && ranLayers[0] === 'unit'
const concurrency = unitOnly ? [`--test-concurrency=${Math.max(2, availableParallelism())}`] : []
if (unitOnly) console.log(`test: ${concurrency[0] ?? ''}`)
/** TAP to the terminal and a copy to `file`, whose summary lines {@link summary} reads. */
const reporters = (file) => [
  '--test-reporter=tap',
  '--test-reporter-destination=stdout',
  '--test-reporter=tap',
  `--test-reporter-destination=${file}`,
]

/** The run's top-level `# pass N` / `# fail N` (the last ones in the TAP copy); zeros when absent. */
function summary(file) {
  let text = ''
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    /* the run died before writing */
  }
  const last = (key) => Number([...text.matchAll(new RegExp(`^# ${key} (\\d+)$`, 'gm'))].at(-1)?.[1] ?? 0)
  return { pass: last('pass'), fail: last('fail') + last('cancelled') }
}

const started = Date.now()
const mainTap = join(work, 'main.tap')
const checkTap = join(work, 'check.tap')
const main = spawnSync(
  process.execPath,
  ['--test', '--test-timeout=300000', ...concurrency, ...reporters(mainTap), ...files],
  { stdio: 'inherit', cwd: root, env },
)
console.log(
  `test: ${files.length} files in ${((Date.now() - started) / 1000).toFixed(1)} s (exit ${main.status ?? main.signal}); leftover check:`,
)
const check = spawnSync(process.execPath, ['--test', ...reporters(checkTap), LEFTOVERS], {
  stdio: 'inherit',
  cwd: root,
  env,
})
const a = summary(mainTap)
const b = summary(checkTap)
// One closing line for the whole run (the suite and the leftover check), read by CI.
console.log(`total: ${a.pass + b.pass} passed, ${a.fail + b.fail} failed`)
rmSync(work, { recursive: true, force: true })
process.exit(main.status !== 0 ? (main.status ?? 1) : (check.status ?? 1))
