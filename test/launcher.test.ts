import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const launcher = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'vpcmesh')
const run = (...args: string[]): { code: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [launcher, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
    timeout: 30_000,
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

test('every command of the launcher has --help (exit 0, usage on stdout)', () => {
  for (const cmd of [[], ['controller'], ['agent'], ['demo'], ['vpc'], ['vpc', 'add'], ['route'], ['status']]) {
    const r = run(...cmd, '--help')
    assert.equal(r.code, 0, `${cmd.join(' ')} --help: ${r.stderr}`)
    assert.match(r.stdout, /usage/i, cmd.join(' '))
  }
})

test('unknown commands and bad flags exit 2 with exactly one line on stderr', () => {
  const cases = [
    ['frobnicate'],
    ['controller', '--bogus'],
    ['agent', '--bogus'],
    ['agent'],
    ['demo', '--bogus'],
    ['vpc', 'add', 'x', '--cdir', '10.0.0.0/8'],
    ['controller', 'extra-arg'],
  ]
  for (const c of cases) {
    const r = run(...c)
    assert.equal(r.code, 2, `${c.join(' ')}: exit ${r.code} ${r.stderr}`)
    assert.equal(r.stderr.trim().split('\n').length, 1, `${c.join(' ')}: ${r.stderr}`)
    assert.match(r.stderr, /^vpcmesh/, c.join(' '))
  }
})
