import { PROMETHEUS_CONTENT_TYPE, type Counter, type Gauge, type Histogram, type Metrics } from './metrics.js'
import { describeMetric } from './registration.js'

const counter: Counter = Object.freeze({ inc() {}, remove() {} })
const gauge: Gauge = Object.freeze({ set() {}, inc() {}, dec() {}, remove() {} })
const histogram: Histogram = Object.freeze({ observe() {}, startTimer: () => () => 0 })

/**
 * A Metrics that records nothing: what a component uses when `components.metrics` is
 * absent. Registration options are still validated (so a bad name fails in every test),
 * `render()` returns an empty body, `listNames()` is empty, timers report 0 seconds and
 * `collect` callbacks are never called.
 */
export const noopMetrics: Metrics = Object.freeze<Metrics>({
  counter(options) {
    describeMetric('counter', options)
    return counter
  },
  gauge(options) {
    describeMetric('gauge', options)
    return gauge
  },
  histogram(options) {
    describeMetric('histogram', options)
    return histogram
  },
  render: async () => ({ contentType: PROMETHEUS_CONTENT_TYPE, body: '' }),
  listNames: () => [],
})
