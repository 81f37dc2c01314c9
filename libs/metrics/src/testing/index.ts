export { MemoryMetrics, type MemoryMetricsOptions } from './memory-metrics.js'
