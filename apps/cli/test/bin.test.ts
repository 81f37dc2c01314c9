import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const BIN = fileURLToPath(new URL('../src/bin.js', import.meta.url))

/** Runs the real executable with a clean environment. */
function exec(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH }, encoding: 'utf8' })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

test('the executable sets the exit status from runCli', () => {
  const help = exec(['--help'])
  assert.equal(help.status, 0)
  assert.match(help.stdout, /^Usage: vpcmesh COMMAND/)
  const usage = exec(['vpc', 'list'])
  assert.equal(usage.status, 2)
  assert.match(usage.stderr, /^vpcmesh: no admin token: set --token or VPCMESH_TOKEN/)
})
