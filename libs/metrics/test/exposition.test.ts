import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FakeClock } from '@vpcmesh/common/testing'
import type { Metrics } from '../src/metrics.js'
import { prometheusMetrics } from '../src/prometheus.js'
import { MemoryMetrics } from '../src/testing/memory-metrics.js'

function record(m: Metrics, clock: FakeClock): void {
  const c = m.counter({
    name: 'vpcmesh_test_drops_total',
    help: 'Dropped "packets" \\ by reason.\nSecond line.',
    labelNames: ['reason'],
  })
  c.inc({ reason: 'no_route' }, 2)
  c.inc({ reason: 'quote"back\\slash\nnewline' })
  m.counter({ name: 'vpcmesh_test_idle_total', help: 'Never incremented.' })
  const g = m.gauge({ name: 'vpcmesh_test_peers', help: 'Peers.', labelNames: ['state'] })
  g.set({ state: 'up' }, 1.5)
  m.gauge({ name: 'vpcmesh_test_empty', help: 'Labelled, no series.', labelNames: ['x'] })
  const h = m.histogram({ name: 'vpcmesh_test_rtt_seconds', help: 'RTT.', buckets: [0.5, 1, 5] })
  h.observe(0.2)
  const end = h.startTimer()
  clock.advance(3000)
  end()
}

test('memory renders the same exposition text as prom-client', async () => {
  const clocks = [new FakeClock(0), new FakeClock(0)] as const
  const real = prometheusMetrics({ clock: clocks[0] })
  const fake = new MemoryMetrics({ clock: clocks[1] })
  record(real, clocks[0])
  record(fake, clocks[1])
  assert.equal((await fake.render()).body, (await real.render()).body)
})
