import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Registry, register as globalRegister } from 'prom-client'
import { prometheusMetrics } from '../src/prometheus.js'
import { MetricsErrorCode } from '../src/errors.js'
import { metricsSuite, parseExposition, sample } from './metrics-suite.js'

metricsSuite('prometheus', (clock) => prometheusMetrics({ clock }))

test('prometheus: each instance has its own registry and never touches the global one', async () => {
  const a = prometheusMetrics()
  const b = prometheusMetrics()
  a.counter({ name: 'vpcmesh_test_a_total', help: 'A.' }).inc()
  b.gauge({ name: 'vpcmesh_test_b', help: 'B.' }).set(2)
  const bodyA = (await a.render()).body
  const bodyB = (await b.render()).body
  assert.match(bodyA, /^vpcmesh_test_a_total 1$/m)
  assert.doesNotMatch(bodyA, /vpcmesh_test_b/)
  assert.match(bodyB, /^vpcmesh_test_b 2$/m)
  assert.doesNotMatch(bodyB, /vpcmesh_test_a_total/)
  assert.deepEqual(a.listNames(), ['vpcmesh_test_a_total'])
  assert.equal(globalRegister.getMetricsAsArray().length, 0)
})

test('prometheus: registers into a caller-supplied registry', async () => {
  const registry = new Registry()
  const m = prometheusMetrics({ registry })
  m.histogram({ name: 'vpcmesh_test_lat_seconds', help: 'Latency.', buckets: [1] }).observe(0.5)
  assert.ok(registry.getSingleMetric('vpcmesh_test_lat_seconds') !== undefined)
  assert.equal(sample(parseExposition(await registry.metrics()), 'vpcmesh_test_lat_seconds_count'), 1)
  assert.equal((await m.render()).contentType, registry.contentType)
})

test('prometheus: a name already in the registry from elsewhere is a conflict', () => {
  const registry = new Registry()
  prometheusMetrics({ registry }).counter({ name: 'vpcmesh_test_c_total', help: 'C.' })
  const other = prometheusMetrics({ registry })
  assert.throws(() => other.counter({ name: 'vpcmesh_test_c_total', help: 'C.' }), { code: MetricsErrorCode.conflict })
})

test('prometheus: default process metrics only when asked, outside listNames()', async () => {
  const plain = prometheusMetrics()
  assert.doesNotMatch((await plain.render()).body, /process_cpu_user_seconds_total/)
  const registry = new Registry()
  const m = prometheusMetrics({ registry, collectDefault: true })
  prometheusMetrics({ registry, collectDefault: true }) // a second adapter on the registry does not re-register them
  m.counter({ name: 'vpcmesh_test_d_total', help: 'D.' })
  const s = parseExposition((await m.render()).body)
  assert.ok((sample(s, 'process_cpu_user_seconds_total') ?? -1) >= 0)
  assert.ok((sample(s, 'nodejs_heap_size_used_bytes') ?? 0) > 0)
  assert.deepEqual(m.listNames(), ['vpcmesh_test_d_total'])
})

test('prometheus: prefix applies to registered and default metric names', async () => {
  const m = prometheusMetrics({ prefix: 'p_', collectDefault: true })
  m.gauge({ name: 'vpcmesh_test_e', help: 'E.' }).set(1)
  const s = parseExposition((await m.render()).body)
  assert.equal(sample(s, 'p_vpcmesh_test_e'), 1)
  assert.ok(sample(s, 'p_process_cpu_user_seconds_total') !== undefined)
  assert.deepEqual(m.listNames(), ['p_vpcmesh_test_e'])
})
