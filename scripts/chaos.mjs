#!/usr/bin/env node
// Runs the chaos suite (docs/testing.md, "Chaos"; test/chaos/run.ts) under the netns lock
// (flock /tmp/vpcmesh-netns.lock, shared with the namespace tests), then the leftover check
// (test/teardown/leftovers.ts) against a snapshot taken before it. Needs root and a build.
//
// Usage: node scripts/chaos.mjs [--long] [--verbose] [--only NAME[,NAME...]]
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { randomBytes } from 'node:crypto'
import { spawnSync } from 'node:child_process'

const root = new URL('..', import.meta.url).pathname
const RUN = join(root, 'test', 'dist', 'chaos', 'run.js')
const LEFTOVERS = join(root, 'test', 'dist', 'teardown', 'leftovers.js')
for (const f of [RUN, LEFTOVERS]) {
  if (!existsSync(f)) {
    console.error(`chaos: ${f} is missing; run \`npm run build\` first`)
    process.exit(1)
  }
}
const work = mkdtempSync(join(tmpdir(), 'vpcmesh-chaosrun-'))
const baseline = join(work, 'baseline.json')
const env = {
  ...process.env,
  VPCMESH_TEST_RUN: randomBytes(8).toString('hex'),
  VPCMESH_TEST_BASELINE: baseline,
  VPCMESH_TEST_LAYERS: 'e2e',
}
const snap = spawnSync(process.execPath, [LEFTOVERS, '--snapshot', baseline], { stdio: 'inherit', cwd: root, env })
if (snap.status !== 0) {
  console.error('chaos: could not take the snapshot for the leftover check')
  process.exit(1)
}
const run = spawnSync('flock', ['/tmp/vpcmesh-netns.lock', process.execPath, RUN, ...process.argv.slice(2)], {
  stdio: 'inherit',
  cwd: root,
  env,
})
console.log(`chaos: suite exit ${run.status ?? run.signal}; leftover check:`)
const check = spawnSync(process.execPath, ['--test', '--test-reporter=dot', LEFTOVERS], {
  stdio: 'inherit',
  cwd: root,
  env,
})
console.log(`chaos: leftover check ${check.status === 0 ? 'ok' : 'FAIL'}`)
rmSync(work, { recursive: true, force: true })
process.exit(run.status !== 0 ? (run.status ?? 1) : (check.status ?? 1))
