// The engine closes its fds when construction fails after opening them (UniqueFd members,
// libs/tun/native/unique_fd.h). Root only: runs test/fixtures/fd-leak.ts in a fresh
// namespace, which constructs failing engines many times and counts /proc/self/fd.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import type { FdLeakReport } from './fixtures/fd-leak.js'
import { nsRun, Topology } from './netns.js'

const FIXTURE = fileURLToPath(new URL('./fixtures/fd-leak.js', import.meta.url))
const ATTEMPTS = 50

const topo = new Topology('fd')
let report: FdLeakReport

before(() => {
  assert.equal(process.getuid?.(), 0, 'the netns tests need root (CI runs them as root)')
  const ns = topo.addNamespace('a')
  const out = nsRun(ns, [process.execPath, FIXTURE, JSON.stringify({ attempts: ATTEMPTS, unboundHost: '192.0.2.1' })])
  report = JSON.parse(out) as FdLeakReport
})

after(() => {
  topo.destroy()
})

test('fd leak: each case failed every time, at the intended step', () => {
  const expected: Record<string, string> = {
    'after-open': 'VPCMESH_ERR_TUN_INVALID_OPTIONS',
    'after-open-offload': 'VPCMESH_ERR_TUN_INVALID_OPTIONS',
    'bind-after-tun': 'VPCMESH_ERR_TUN_BIND_FAILED',
    'bind-after-tun-workers': 'VPCMESH_ERR_TUN_BIND_FAILED',
  }
  assert.deepEqual(
    report.cases.map((c) => c.name),
    Object.keys(expected),
  )
  for (const c of report.cases) {
    assert.deepEqual(c.codes, Array(ATTEMPTS).fill(expected[c.name]), c.name)
  }
})

test('fd leak: the forced failure happened with both fds open', () => {
  for (const c of report.cases.filter((x) => x.name.startsWith('after-open'))) {
    assert.equal(c.openFds.length, 2 * ATTEMPTS, c.name)
    assert.ok(
      c.openFds.every((fd) => fd > 2),
      `${c.name}: fds ${c.openFds.join(',')}`,
    )
  }
})

test('fd leak: no fd and no TUN device is left after the failed constructions', () => {
  assert.equal(
    report.fdsAfter,
    report.fdsBefore,
    `open fds went from ${report.fdsBefore} to ${report.fdsAfter} over ${report.cases.length * ATTEMPTS} failed constructions`,
  )
  assert.deepEqual(report.tunLinks, [])
})
