/**
 * Label values of one series, keyed by label name.
 *
 * Values must come from small, bounded sets fixed in code: a drop reason, a direction, a
 * message type. Never put peer IPs, agent ids, VPC ids or error messages in a label: every
 * distinct value creates a series that lives until the process exits.
 */
export type Labels = Record<string, string>

/**
 * A monotonically increasing count (Prometheus counter). Names end in `_total`.
 * Calls never throw for valid input; an unknown label name or a negative `n` throws, as
 * they are programming errors.
 */
export interface Counter {
  /** Adds `n` (at least 0) to the unlabelled series. @default n = 1 */
  inc(n?: number): void
  /** Adds `n` (at least 0) to the series for `labels`. @default n = 1 */
  inc(labels: Labels, n?: number): void
  /** Deletes the series for `labels` (its subject is gone, e.g. a removed peer); no-op if absent. */
  remove(labels: Labels): void
}

/** A value that goes up and down (Prometheus gauge): queue depth, peers connected, bytes in use. */
export interface Gauge {
  /** Sets the unlabelled series to `value`. */
  set(value: number): void
  /** Sets the series for `labels` to `value`. */
  set(labels: Labels, value: number): void
  /** Adds `n` to the series (unlabelled when `labels` is omitted). @default n = 1 */
  inc(n?: number): void
  inc(labels: Labels, n?: number): void
  /** Subtracts `n` from the series (unlabelled when `labels` is omitted). @default n = 1 */
  dec(n?: number): void
  dec(labels: Labels, n?: number): void
  /** Deletes the series for `labels` so it is no longer exported; a no-op if it does not exist. */
  remove(labels: Labels): void
}

/** A distribution of observations in fixed buckets (Prometheus histogram), e.g. durations in seconds. */
export interface Histogram {
  /** Records one observation in the unlabelled series. */
  observe(value: number): void
  /** Records one observation in the series for `labels`. */
  observe(labels: Labels, value: number): void
  /**
   * Starts a timer on the monotonic clock. The returned function observes the elapsed time
   * in **seconds** (into the series for `labels`) and also returns it; call it once.
   */
  startTimer(labels?: Labels): () => number
}

/** What every metric registration takes. */
export interface MetricOptions {
  /**
   * Full metric name, `vpcmesh_<component>_<thing>_<unit>`; counters end in `_total`.
   * Must match `[a-zA-Z_:][a-zA-Z0-9_:]*`. Every name must be listed in docs/metrics.md.
   */
  name: string
  /** One line saying what is measured, in which unit. Not empty. */
  help: string
  /**
   * Names of the labels this metric may carry; each value set must be bounded (see
   * {@link Labels}). @default [] (a single unlabelled series)
   */
  labelNames?: readonly string[]
}

/** Options of {@link Metrics.gauge}. */
export interface GaugeOptions extends MetricOptions {
  /**
   * Called on every scrape (each `render()`) before the gauge is read, to set values that
   * are cheaper to compute on demand (queue length, map size). Must be synchronous, fast,
   * and must not throw: a throw fails the whole `render()`. A gauge with `collect` belongs
   * to one owner and cannot be registered twice. @default undefined (values set by callers)
   */
  collect?: (gauge: Gauge) => void
}

/** Options of {@link Metrics.histogram}. */
export interface HistogramOptions extends MetricOptions {
  /**
   * Upper bounds of the buckets, strictly increasing; `+Inf` is implicit.
   * `le` may not be a label name. @default DEFAULT_BUCKETS
   */
  buckets?: readonly number[]
}

/** The body of a scrape in the Prometheus text exposition format. */
export interface Exposition {
  /** Value for the HTTP Content-Type header. */
  contentType: string
  /** The exposition text. */
  body: string
}

/**
 * Metrics is where components register their counters, gauges and histograms. It is
 * injected through a component's constructor (`components.metrics`); when absent the
 * component uses `noopMetrics`, never a global registry.
 *
 * Registering a name again with the same type, label names (in any order) and buckets
 * returns the metric registered first, so two instances of a component share it. Any
 * difference, or a second registration of a gauge with `collect`, throws a MetricsError
 * with code `VPCMESH_ERR_METRICS_CONFLICT`; an invalid name, help or label name throws
 * `VPCMESH_ERR_METRICS_INVALID`. Register in constructors, not per packet.
 */
export interface Metrics {
  /** Registers (or returns the already registered) counter `options.name`. */
  counter(options: MetricOptions): Counter
  /** Registers (or returns the already registered) gauge `options.name`. */
  gauge(options: GaugeOptions): Gauge
  /** Registers (or returns the already registered) histogram `options.name`. */
  histogram(options: HistogramOptions): Histogram
  /**
   * Renders every metric of this instance (and, for the Prometheus adapter, everything else
   * in its registry) in the text exposition format, running `collect` callbacks first.
   */
  render(): Promise<Exposition>
  /**
   * Names registered through this instance, sorted; excludes metrics it did not register
   * itself (such as Node's default process metrics). Used by the docs test.
   */
  listNames(): string[]
}

/** Default histogram buckets in seconds, from 5 ms to 10 s (the Prometheus client default). */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
])

/** Content-Type of the Prometheus text exposition format, version 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'
