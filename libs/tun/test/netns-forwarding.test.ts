// A forwarding engine (workers 2) routes from the table JavaScript uploads: longest match,
// a peer without a send slot is a demand, a refused table call changes nothing. Root only:
// runs test/fixtures/forwarding-tables.ts in a fresh namespace and checks its report.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import type { ForwardingReport } from './fixtures/forwarding-tables.js'
import { nsRun, Topology } from './netns.js'

const FIXTURE = fileURLToPath(new URL('./fixtures/forwarding-tables.js', import.meta.url))
const topo = new Topology('fw')
let report: ForwardingReport

before(() => {
  assert.equal(process.getuid?.(), 0, 'the netns tests need root (CI runs them as root)')
  const ns = topo.addNamespace('a')
  report = JSON.parse(nsRun(ns, [process.execPath, FIXTURE])) as ForwardingReport
})

after(() => {
  topo.destroy()
})

test('forwarding: only an engine with workers has tables, and at most 8 workers', () => {
  assert.equal(report.inlineHasForwarding, false)
  assert.equal(report.refused.workers9, 'VPCMESH_ERR_TUN_INVALID_OPTIONS')
})

test('forwarding: an empty table routes nothing (counted as no route)', () => {
  assert.deepEqual(report.steps['empty table'], { sealed: 0, noRoute: 20, noSession: 0, malformed: 0, demands: [] })
})

test('forwarding: longest match picks the peer; a peer without a send slot is a demand', () => {
  // 10.88.0-2.7 match only the /16 (peer 0, slot 0); 10.88.3.7 matches the /24 of peer 1,
  // which has no send slot: dropped, and peer 1 reported once (at most once per second).
  assert.deepEqual(report.steps['routed, longest match to a peer without a slot for a quarter'], {
    sealed: 15,
    noRoute: 0,
    noSession: 5,
    malformed: 0,
    demands: [1],
  })
})

test('forwarding: bad table calls are refused with a code and change nothing', () => {
  const { workers9: _w, ...calls } = report.refused
  assert.deepEqual(calls, {
    hostBits: 'VPCMESH_ERR_TUN_INVALID_ARGUMENT',
    bitsTooLong: 'VPCMESH_ERR_TUN_INVALID_ARGUMENT',
    addressLength: 'VPCMESH_ERR_TUN_INVALID_ARGUMENT',
    peerOutOfRange: 'VPCMESH_ERR_TUN_INVALID_ARGUMENT',
    notAnArray: 'VPCMESH_ERR_TUN_INVALID_ARGUMENT',
    sendSlotOutOfRange: 'VPCMESH_ERR_TUN_INVALID_ARGUMENT',
    groupNotU32: 'VPCMESH_ERR_TUN_INVALID_ARGUMENT',
    slotOutOfRange: 'VPCMESH_ERR_TUN_INVALID_ARGUMENT',
  })
  assert.deepEqual(report.steps['after refused calls'], {
    sealed: 15,
    noRoute: 0,
    noSession: 5,
    malformed: 0,
    demands: [],
  })
})

test('forwarding: a peer losing its send slot drops its traffic and asks for a session', () => {
  const s = report.steps['peer without a send slot']
  assert.equal(s?.sealed, 0)
  assert.equal(s?.noSession, 20)
  assert.deepEqual(s?.demands, [0])
})

test('forwarding: an emptied table stops routing at once', () => {
  assert.deepEqual(report.steps['routes removed'], { sealed: 0, noRoute: 20, noSession: 0, malformed: 0, demands: [] })
})
