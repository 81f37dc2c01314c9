import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FakeClock } from '@vpcmesh/common/testing'
import type { ProbeResult } from '@vpcmesh/protocol'
import { MAX_PENDING_PROBES, PendingProbes } from '../src/session/pending-probes.js'

const RESULT = { vpcId: null } as unknown as ProbeResult

test('a probe ends with its answer; a late or unknown answer is ignored', async () => {
  const clock = new FakeClock()
  const p = new PendingProbes(clock)
  let id = ''
  const outcome = p.start(5000, (i) => {
    id = i
  })
  p.answered('someone-else', RESULT, undefined)
  p.answered(id, RESULT, undefined)
  p.answered(id, null, 'again')
  assert.deepEqual(await outcome, { ok: true, result: RESULT })
})

test('an error answer, the timeout and the session closing each end a probe with a reason', async () => {
  const clock = new FakeClock()
  const p = new PendingProbes(clock)
  let id = ''
  const refused = p.start(5000, (i) => {
    id = i
  })
  p.answered(id, null, 'agent busy')
  assert.deepEqual(await refused, { ok: false, reason: 'agent: agent busy' })
  const silent = p.start(5000, () => undefined)
  clock.advance(4999)
  const closed = p.start(5000, () => undefined)
  clock.advance(1)
  assert.deepEqual(await silent, { ok: false, reason: 'agent did not answer within 5000 ms' })
  p.closeAll('agent disconnected before answering')
  assert.deepEqual(await closed, { ok: false, reason: 'agent disconnected before answering' })
})

test(`more than ${MAX_PENDING_PROBES} waiting probes: the next is refused without being sent`, async () => {
  const p = new PendingProbes(new FakeClock())
  let sent = 0
  for (let i = 0; i < MAX_PENDING_PROBES; i++)
    void p.start(5000, () => {
      sent++
    })
  const over = await p.start(5000, () => {
    sent++
  })
  assert.equal(sent, MAX_PENDING_PROBES)
  assert.equal(over.ok, false)
  p.closeAll('done')
})
