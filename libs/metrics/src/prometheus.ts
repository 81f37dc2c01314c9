// The only file that imports prom-client (checked by test/deps.test.ts).
import {
  Counter as PromCounter,
  Gauge as PromGauge,
  Histogram as PromHistogram,
  Registry,
  collectDefaultMetrics,
} from 'prom-client'
import { type Clock, systemClock } from '@vpcmesh/common'
import type {
  Counter,
  Exposition,
  Gauge,
  GaugeOptions,
  Histogram,
  HistogramOptions,
  Labels,
  MetricOptions,
  Metrics,
} from './metrics.js'
import { describeMetric, RegistrationTable, type Registration } from './registration.js'
import { MetricsError, MetricsErrorCode } from './errors.js'
import { startTimer } from './timer.js'

/** Options of {@link prometheusMetrics}. */
export interface PrometheusMetricsOptions {
  /**
   * The prom-client Registry to register into. The caller owns it and may render it
   * elsewhere; use one Metrics instance per registry. Never pass prom-client's global
   * `register`. @default a new, private Registry
   */
  registry?: Registry
  /**
   * Also export Node's process metrics (CPU, memory, event-loop lag, GC, handles) through
   * prom-client's `collectDefaultMetrics`. They are read at scrape time, except the event-loop
   * lag, which prom-client samples with a 10 ms timer (perf_hooks.monitorEventLoopDelay); they
   * are not part of `listNames()`. @default false
   */
  collectDefault?: boolean
  /** Prepended to every metric name, default process metrics included. @default '' */
  prefix?: string
  /** Time source of `Histogram.startTimer`. @default systemClock */
  clock?: Clock
}

type AnyMetric = Counter | Gauge | Histogram

/**
 * Returns a Metrics that registers into a prom-client Registry and renders it in the
 * Prometheus text format. Nothing is registered in prom-client's global register.
 */
export function prometheusMetrics(options: PrometheusMetricsOptions = {}): Metrics {
  const registry = options.registry ?? new Registry()
  const prefix = options.prefix ?? ''
  const processMetric = `${prefix}process_cpu_user_seconds_total`
  if (options.collectDefault === true && registry.getSingleMetric(processMetric) === undefined) {
    collectDefaultMetrics({ register: registry, prefix })
  }
  return new PrometheusMetrics(registry, prefix, options.clock ?? systemClock)
}

// The metric wrappers branch on the argument type instead of calling splitArgs, so the
// hot paths (per-packet counters) allocate nothing beyond what prom-client does.
class PrometheusMetrics implements Metrics {
  // Entries are created by kind; getOrCreate returns an existing entry only when the kind matches.
  private readonly table = new RegistrationTable<AnyMetric>()

  constructor(
    private readonly registry: Registry,
    private readonly prefix: string,
    private readonly clock: Clock,
  ) {}

  counter(options: MetricOptions): Counter {
    const reg = describeMetric('counter', options, this.prefix)
    return this.table.getOrCreate(reg, () => this.newCounter(reg)) as Counter
  }

  gauge(options: GaugeOptions): Gauge {
    const reg = describeMetric('gauge', options, this.prefix)
    return this.table.getOrCreate(reg, () => this.newGauge(reg, options.collect)) as Gauge
  }

  histogram(options: HistogramOptions): Histogram {
    const reg = describeMetric('histogram', options, this.prefix)
    return this.table.getOrCreate(reg, () => this.newHistogram(reg)) as Histogram
  }

  async render(): Promise<Exposition> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() }
  }

  listNames(): string[] {
    return this.table.names()
  }

  /** prom-client configuration shared by the three kinds; refuses names registered by someone else. */
  private base(reg: Registration): {
    name: string
    help: string
    labelNames: readonly string[]
    registers: Registry[]
  } {
    if (this.registry.getSingleMetric(reg.name) !== undefined) {
      throw new MetricsError(
        MetricsErrorCode.conflict,
        `metrics: '${reg.name}' is already in the registry but was not registered through this Metrics; share one Metrics per registry`,
      )
    }
    return { name: reg.name, help: reg.help, labelNames: reg.labelNames, registers: [this.registry] }
  }

  private newCounter(reg: Registration): Counter {
    const c = new PromCounter(this.base(reg))
    return {
      inc(a?: Labels | number, b?: number) {
        if (typeof a === 'object') c.inc(a, b ?? 1)
        else c.inc(a ?? 1)
      },
      remove(labels: Labels) {
        c.remove(labels)
      },
    }
  }

  private newGauge(reg: Registration, collect: GaugeOptions['collect']): Gauge {
    const g: PromGauge = new PromGauge({
      ...this.base(reg),
      ...(collect === undefined
        ? {}
        : {
            collect: () => {
              collect(gauge)
            },
          }),
    })
    const add =
      (sign: number) =>
      (a?: Labels | number, b?: number): void => {
        if (typeof a === 'object') g.inc(a, sign * (b ?? 1))
        else g.inc(sign * (a ?? 1))
      }
    const gauge: Gauge = {
      set(a: Labels | number, b?: number) {
        if (typeof a === 'object') g.set(a, b ?? Number.NaN)
        else g.set(a)
      },
      inc: add(1),
      dec: add(-1),
      remove(labels: Labels) {
        g.remove(labels)
      },
    }
    return gauge
  }

  private newHistogram(reg: Registration): Histogram {
    const h = new PromHistogram({ ...this.base(reg), buckets: [...reg.buckets] })
    const observe = (labels: Labels | undefined, v: number): void => {
      if (labels === undefined) h.observe(v)
      else h.observe(labels, v)
    }
    return {
      observe(a: Labels | number, b?: number) {
        if (typeof a === 'object') observe(a, b ?? Number.NaN)
        else observe(undefined, a)
      },
      startTimer: (labels?: Labels) =>
        startTimer(this.clock, (s) => {
          observe(labels, s)
        }),
    }
  }
}
