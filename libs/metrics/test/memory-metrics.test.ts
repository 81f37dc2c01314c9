import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FakeClock } from '@vpcmesh/common/testing'
import { MemoryMetrics } from '../src/testing/memory-metrics.js'
import { MetricsErrorCode } from '../src/errors.js'
import { metricsSuite } from './metrics-suite.js'

metricsSuite('memory', (clock) => new MemoryMetrics({ clock }))

test('memory: value() reads counters and gauges by labels, in any label order', () => {
  const m = new MemoryMetrics()
  const c = m.counter({ name: 'vpcmesh_test_drops_total', help: 'Drops.', labelNames: ['reason', 'dir'] })
  const g = m.gauge({ name: 'vpcmesh_test_peers', help: 'Peers.' })
  assert.equal(m.value('vpcmesh_test_peers'), 0)
  assert.equal(m.value('vpcmesh_test_drops_total', { reason: 'no_route', dir: 'in' }), undefined)
  c.inc({ reason: 'no_route', dir: 'in' }, 2)
  g.set(4)
  g.dec()
  assert.equal(m.value('vpcmesh_test_drops_total', { dir: 'in', reason: 'no_route' }), 2)
  assert.equal(m.value('vpcmesh_test_peers'), 3)
  assert.deepEqual(m.names(), ['vpcmesh_test_drops_total', 'vpcmesh_test_peers'])
})

test('memory: observations() lists histogram values; timers use the injected clock', () => {
  const clock = new FakeClock(0)
  const m = new MemoryMetrics({ clock })
  const h = m.histogram({ name: 'vpcmesh_test_apply_seconds', help: 'Apply time.', labelNames: ['step'] })
  h.observe({ step: 'route' }, 0.25)
  const end = h.startTimer({ step: 'route' })
  clock.advance(1500)
  end()
  assert.deepEqual(m.observations('vpcmesh_test_apply_seconds', { step: 'route' }), [0.25, 1.5])
  assert.deepEqual(m.observations('vpcmesh_test_apply_seconds', { step: 'addr' }), [])
})

test('memory: value() runs the gauge collect callback', () => {
  const m = new MemoryMetrics()
  let n = 1
  m.gauge({
    name: 'vpcmesh_test_size',
    help: 'Size.',
    collect: (g) => {
      g.set(n)
    },
  })
  assert.equal(m.value('vpcmesh_test_size'), 1)
  n = 9
  assert.equal(m.value('vpcmesh_test_size'), 9)
})

test('memory: misuse throws VPCMESH_ERR_METRICS_INVALID', () => {
  const m = new MemoryMetrics()
  const invalid = { code: MetricsErrorCode.invalid }
  const c = m.counter({ name: 'vpcmesh_test_z_total', help: 'Z.', labelNames: ['a'] })
  m.histogram({ name: 'vpcmesh_test_h_seconds', help: 'H.' })
  assert.throws(() => m.value('vpcmesh_test_typo_total'), invalid)
  assert.throws(() => m.value('vpcmesh_test_h_seconds'), invalid)
  assert.throws(() => m.observations('vpcmesh_test_z_total'), invalid)
  assert.throws(() => m.value('vpcmesh_test_z_total', { b: 'x' }), invalid)
  assert.throws(() => {
    c.inc({ b: 'x' })
  }, invalid)
  assert.throws(() => {
    c.inc(-1)
  }, invalid)
})
