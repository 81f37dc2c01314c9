export {
  type Metrics,
  type Counter,
  type Gauge,
  type Histogram,
  type Labels,
  type MetricOptions,
  type GaugeOptions,
  type HistogramOptions,
  type Exposition,
  DEFAULT_BUCKETS,
  PROMETHEUS_CONTENT_TYPE,
} from './metrics.js'
export { prometheusMetrics, type PrometheusMetricsOptions } from './prometheus.js'
export { noopMetrics } from './noop.js'
export { MetricsError, MetricsErrorCode } from './errors.js'
