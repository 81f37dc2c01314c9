import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Clock } from '@vpcmesh/common'
import { FakeClock } from '@vpcmesh/common/testing'
import type { Labels, Metrics } from '../src/metrics.js'
import { MetricsErrorCode } from '../src/errors.js'

/** Creates the implementation under test; `clock` drives Histogram.startTimer. */
export type MetricsSetup = (clock: Clock) => Metrics

/** A parsed exposition: sample value by `name{k="v",...}` with labels sorted by name. */
export type Samples = Map<string, number>

/**
 * The behaviour every Metrics implementation must share, checked through `render()` so the
 * fake (MemoryMetrics) and the real adapter are held to the same exposition output.
 */
export function metricsSuite(impl: string, setup: MetricsSetup): void {
  const make = (): { m: Metrics; clock: FakeClock } => {
    const clock = new FakeClock(0)
    return { m: setup(clock), clock }
  }

  test(`${impl}: counter with labels renders HELP, TYPE and one line per series`, async () => {
    const { m } = make()
    const c = m.counter({ name: 'vpcmesh_test_drops_total', help: 'Dropped packets.', labelNames: ['reason', 'dir'] })
    c.inc({ reason: 'no_route', dir: 'out' })
    c.inc({ dir: 'out', reason: 'no_route' }, 2)
    c.inc({ reason: 'too_big', dir: 'in' }, 5)
    const { body, contentType } = await m.render()
    assert.match(contentType, /^text\/plain; version=0\.0\.4/)
    assert.match(body, /^# HELP vpcmesh_test_drops_total Dropped packets\.$/m)
    assert.match(body, /^# TYPE vpcmesh_test_drops_total counter$/m)
    const s = parseExposition(body)
    assert.equal(sample(s, 'vpcmesh_test_drops_total', { reason: 'no_route', dir: 'out' }), 3)
    assert.equal(sample(s, 'vpcmesh_test_drops_total', { reason: 'too_big', dir: 'in' }), 5)
  })

  test(`${impl}: removing a counter series deletes only that series`, async () => {
    const { m } = make()
    const c = m.counter({ name: 'vpcmesh_test_bytes_total', help: 'Bytes.', labelNames: ['peer'] })
    c.inc({ peer: 'a' }, 3)
    c.inc({ peer: 'b' }, 4)
    c.remove({ peer: 'a' })
    c.remove({ peer: 'never' })
    const s = parseExposition((await m.render()).body)
    assert.equal(sample(s, 'vpcmesh_test_bytes_total', { peer: 'a' }), undefined)
    assert.equal(sample(s, 'vpcmesh_test_bytes_total', { peer: 'b' }), 4)
  })

  test(`${impl}: an unlabelled counter renders 0 before its first increment`, async () => {
    const { m } = make()
    const c = m.counter({ name: 'vpcmesh_test_events_total', help: 'Events.' })
    assert.equal(sample(parseExposition((await m.render()).body), 'vpcmesh_test_events_total'), 0)
    c.inc()
    c.inc(4)
    assert.equal(sample(parseExposition((await m.render()).body), 'vpcmesh_test_events_total'), 5)
  })

  test(`${impl}: gauge set, inc, dec and remove`, async () => {
    const { m } = make()
    const g = m.gauge({ name: 'vpcmesh_test_peers', help: 'Peers.', labelNames: ['state'] })
    g.set({ state: 'up' }, 10)
    g.inc({ state: 'up' })
    g.dec({ state: 'up' }, 4)
    g.set({ state: 'down' }, 1)
    g.remove({ state: 'down' })
    const s = parseExposition((await m.render()).body)
    assert.equal(sample(s, 'vpcmesh_test_peers', { state: 'up' }), 7)
    assert.equal(sample(s, 'vpcmesh_test_peers', { state: 'down' }), undefined)
  })

  test(`${impl}: gauge collect runs at every render`, async () => {
    const { m } = make()
    let depth = 3
    m.gauge({
      name: 'vpcmesh_test_queue_depth',
      help: 'Queue depth.',
      collect: (g) => {
        g.set(depth)
      },
    })
    assert.equal(sample(parseExposition((await m.render()).body), 'vpcmesh_test_queue_depth'), 3)
    depth = 8
    assert.equal(sample(parseExposition((await m.render()).body), 'vpcmesh_test_queue_depth'), 8)
  })

  test(`${impl}: histogram renders cumulative buckets, sum and count; timers observe seconds`, async () => {
    const { m, clock } = make()
    const h = m.histogram({
      name: 'vpcmesh_test_rtt_seconds',
      help: 'RTT.',
      labelNames: ['peer_kind'],
      buckets: [0.1, 1],
    })
    h.observe({ peer_kind: 'relay' }, 0.05)
    h.observe({ peer_kind: 'relay' }, 0.5)
    const end = h.startTimer({ peer_kind: 'relay' })
    clock.advance(2500)
    assert.equal(end(), 2.5)
    const s = parseExposition((await m.render()).body)
    const l = { peer_kind: 'relay' }
    assert.equal(sample(s, 'vpcmesh_test_rtt_seconds_bucket', { ...l, le: '0.1' }), 1)
    assert.equal(sample(s, 'vpcmesh_test_rtt_seconds_bucket', { ...l, le: '1' }), 2)
    assert.equal(sample(s, 'vpcmesh_test_rtt_seconds_bucket', { ...l, le: '+Inf' }), 3)
    assert.equal(sample(s, 'vpcmesh_test_rtt_seconds_sum', l), 3.05)
    assert.equal(sample(s, 'vpcmesh_test_rtt_seconds_count', l), 3)
  })

  test(`${impl}: registering a name again returns the same metric, in any label order`, async () => {
    const { m } = make()
    const a = m.counter({ name: 'vpcmesh_test_shared_total', help: 'Shared.', labelNames: ['a', 'b'] })
    const b = m.counter({ name: 'vpcmesh_test_shared_total', help: 'Shared.', labelNames: ['b', 'a'] })
    assert.equal(a, b)
    a.inc({ a: '1', b: '2' })
    b.inc({ a: '1', b: '2' })
    assert.equal(sample(parseExposition((await m.render()).body), 'vpcmesh_test_shared_total', { a: '1', b: '2' }), 2)
    const h = { name: 'vpcmesh_test_h_seconds', help: 'H.' }
    assert.equal(m.histogram(h), m.histogram({ ...h, buckets: undefined }))
    assert.deepEqual(m.listNames(), ['vpcmesh_test_h_seconds', 'vpcmesh_test_shared_total'])
  })

  test(`${impl}: a conflicting registration throws VPCMESH_ERR_METRICS_CONFLICT`, () => {
    const { m } = make()
    m.counter({ name: 'vpcmesh_test_x_total', help: 'X.', labelNames: ['a'] })
    m.gauge({ name: 'vpcmesh_test_g', help: 'G.', collect: () => {} })
    m.histogram({ name: 'vpcmesh_test_h_seconds', help: 'H.', buckets: [1, 2] })
    const conflict = { code: MetricsErrorCode.conflict }
    assert.throws(() => m.gauge({ name: 'vpcmesh_test_x_total', help: 'X.', labelNames: ['a'] }), conflict)
    assert.throws(() => m.counter({ name: 'vpcmesh_test_x_total', help: 'X.', labelNames: ['b'] }), conflict)
    assert.throws(() => m.counter({ name: 'vpcmesh_test_x_total', help: 'X.' }), conflict)
    assert.throws(() => m.gauge({ name: 'vpcmesh_test_g', help: 'G.' }), conflict)
    assert.throws(() => m.histogram({ name: 'vpcmesh_test_h_seconds', help: 'H.', buckets: [1, 3] }), conflict)
  })

  test(`${impl}: invalid registrations throw VPCMESH_ERR_METRICS_INVALID`, () => {
    const { m } = make()
    const invalid = { code: MetricsErrorCode.invalid }
    assert.throws(() => m.counter({ name: 'vpcmesh_test_events', help: 'No _total.' }), invalid)
    assert.throws(() => m.gauge({ name: 'vpcmesh-test', help: 'Dash.' }), invalid)
    assert.throws(() => m.gauge({ name: 'vpcmesh_test_g', help: ' ' }), invalid)
    assert.throws(() => m.gauge({ name: 'vpcmesh_test_g', help: 'G.', labelNames: ['__x'] }), invalid)
    assert.throws(() => m.gauge({ name: 'vpcmesh_test_g', help: 'G.', labelNames: ['a', 'a'] }), invalid)
    assert.throws(() => m.histogram({ name: 'vpcmesh_test_h', help: 'H.', labelNames: ['le'] }), invalid)
    assert.throws(() => m.histogram({ name: 'vpcmesh_test_h', help: 'H.', buckets: [1, 1] }), invalid)
    assert.throws(() => m.histogram({ name: 'vpcmesh_test_h', help: 'H.', buckets: [] }), invalid)
    assert.deepEqual(m.listNames(), [])
  })

  test(`${impl}: an undeclared label or a negative counter increment throws`, () => {
    const { m } = make()
    const c = m.counter({ name: 'vpcmesh_test_y_total', help: 'Y.', labelNames: ['a'] })
    assert.throws(() => {
      c.inc({ b: 'x' })
    })
    assert.throws(() => {
      c.inc({ a: 'x' }, -1)
    })
  })
}

/** Parses Prometheus text exposition sample lines (comments skipped) into {@link Samples}. */
export function parseExposition(body: string): Samples {
  const out: Samples = new Map()
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    assert.ok(m !== null, `bad exposition line: ${line}`)
    const labels: Labels = {}
    for (const [, k = '', v = ''] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[k] = v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
    }
    out.set(sampleKey(m[1] ?? '', labels), m[3] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[3]))
  }
  return out
}

/** The value of one sample, or undefined when the exposition does not contain it. */
export function sample(s: Samples, name: string, labels: Labels = {}): number | undefined {
  return s.get(sampleKey(name, labels))
}

function sampleKey(name: string, labels: Labels): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
  return `${name}{${parts.join(',')}}`
}
