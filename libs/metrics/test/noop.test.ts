import { test } from 'node:test'
import assert from 'node:assert/strict'
import { noopMetrics } from '../src/noop.js'
import { MetricsErrorCode } from '../src/errors.js'

test('noop: accepts every call, records nothing, renders an empty body', async () => {
  const c = noopMetrics.counter({ name: 'vpcmesh_test_a_total', help: 'A.', labelNames: ['x'] })
  c.inc()
  c.inc({ x: 'y' }, 3)
  const g = noopMetrics.gauge({
    name: 'vpcmesh_test_g',
    help: 'G.',
    collect: () => {
      throw new Error('never called')
    },
  })
  g.set(1)
  g.inc()
  g.dec({ x: 'y' })
  g.remove({ x: 'y' })
  const h = noopMetrics.histogram({ name: 'vpcmesh_test_h_seconds', help: 'H.' })
  h.observe(1)
  assert.equal(h.startTimer()(), 0)
  assert.deepEqual(await noopMetrics.render(), { contentType: 'text/plain; version=0.0.4; charset=utf-8', body: '' })
  assert.deepEqual(noopMetrics.listNames(), [])
})

test('noop: still rejects invalid registrations', () => {
  assert.throws(() => noopMetrics.counter({ name: 'vpcmesh_test_events', help: 'E.' }), {
    code: MetricsErrorCode.invalid,
  })
})
