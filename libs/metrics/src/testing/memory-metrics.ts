import { type Clock, systemClock } from '@vpcmesh/common'
import {
  PROMETHEUS_CONTENT_TYPE,
  type Counter,
  type Exposition,
  type Gauge,
  type GaugeOptions,
  type Histogram,
  type HistogramOptions,
  type Labels,
  type MetricOptions,
  type Metrics,
} from '../metrics.js'
import { describeMetric, RegistrationTable, type MetricKind, type Registration } from '../registration.js'
import { MetricsError, MetricsErrorCode } from '../errors.js'
import { splitArgs } from '../call-args.js'
import { startTimer } from '../timer.js'
import { formatFamily, type SeriesRecord } from './text-format.js'

/** Options of {@link MemoryMetrics}. */
export interface MemoryMetricsOptions {
  /** Time source of `Histogram.startTimer`; pass a FakeClock to get exact durations. @default systemClock */
  clock?: Clock
}

interface Family {
  reg: Registration
  series: Map<string, SeriesRecord>
  collect: (() => void) | undefined
  metric: Counter | Gauge | Histogram
}

/**
 * MemoryMetrics is the Metrics fake for tests: it keeps every value in memory so a test can
 * assert what a component recorded (`value`, `observations`, `names`). It follows the same
 * registration rules as the Prometheus adapter, and additionally throws MetricsError
 * `VPCMESH_ERR_METRICS_INVALID` on a label name that was not declared or a negative counter
 * increment, so tests catch what prom-client would reject in production.
 */
export class MemoryMetrics implements Metrics {
  private readonly table = new RegistrationTable<Family>()
  private readonly clock: Clock

  constructor(options: MemoryMetricsOptions = {}) {
    this.clock = options.clock ?? systemClock
  }

  counter(options: MetricOptions): Counter {
    return this.register('counter', options).metric as Counter
  }

  gauge(options: GaugeOptions): Gauge {
    return this.register('gauge', options).metric as Gauge
  }

  histogram(options: HistogramOptions): Histogram {
    return this.register('histogram', options).metric as Histogram
  }

  async render(): Promise<Exposition> {
    const families = this.table.metrics()
    for (const f of families) f.collect?.()
    const body = families.map((f) => formatFamily(f.reg, [...f.series.values()])).join('\n')
    return { contentType: PROMETHEUS_CONTENT_TYPE, body }
  }

  listNames(): string[] {
    return this.table.names()
  }

  /** Registered metric names, sorted (the same as `listNames()`). */
  names(): string[] {
    return this.table.names()
  }

  /**
   * Current value of a counter or gauge series, after running the gauge's `collect`.
   * `labels` omitted means the unlabelled series, which reads 0 before any update (as
   * Prometheus shows it); a labelled series never written reads undefined.
   * Throws MetricsError `VPCMESH_ERR_METRICS_INVALID` for an unregistered name or a histogram.
   */
  value(name: string, labels: Labels = {}): number | undefined {
    const f = this.family(name)
    if (f.reg.kind === 'histogram') throw this.invalid(`'${name}' is a histogram; use observations()`)
    f.collect?.()
    const s = f.series.get(this.key(f.reg, labels))
    if (s !== undefined) return s.value
    return Object.keys(labels).length === 0 && f.reg.labelNames.length === 0 ? 0 : undefined
  }

  /** Every value observed by a histogram series, in order; empty when none. Throws like {@link value}. */
  observations(name: string, labels: Labels = {}): readonly number[] {
    const f = this.family(name)
    if (f.reg.kind !== 'histogram') throw this.invalid(`'${name}' is a ${f.reg.kind}; use value()`)
    return [...(f.series.get(this.key(f.reg, labels))?.observations ?? [])]
  }

  private register(kind: MetricKind, options: GaugeOptions & HistogramOptions): Family {
    const reg = describeMetric(kind, options)
    return this.table.getOrCreate(reg, () => {
      const series = new Map<string, SeriesRecord>()
      const metric = this.newMetric(reg, series)
      const collect = options.collect
      return {
        reg,
        series,
        metric,
        collect:
          collect === undefined
            ? undefined
            : () => {
                collect(metric as Gauge)
              },
      }
    })
  }

  private newMetric(reg: Registration, store: Map<string, SeriesRecord>): Counter | Gauge | Histogram {
    const add =
      (sign: number) =>
      (a?: Labels | number, b?: number): void => {
        const [labels, n] = splitArgs(a, b, 1)
        if (reg.kind === 'counter' && !(n >= 0)) throw this.invalid(`counter '${reg.name}' cannot be increased by ${n}`)
        this.series(reg, store, labels).value += sign * n
      }
    const observe = (labels: Labels | undefined, v: number): void => {
      this.series(reg, store, labels).observations.push(v)
    }
    if (reg.kind === 'counter')
      return {
        inc: add(1),
        remove: (labels: Labels) => {
          store.delete(this.key(reg, labels))
        },
      }
    if (reg.kind === 'histogram') {
      return {
        observe: (a: Labels | number, b?: number) => {
          observe(...splitArgs(a, b, Number.NaN))
        },
        startTimer: (labels?: Labels) =>
          startTimer(this.clock, (s) => {
            observe(labels, s)
          }),
      }
    }
    return {
      set: (a: Labels | number, b?: number) => {
        const [labels, v] = splitArgs(a, b, Number.NaN)
        this.series(reg, store, labels).value = v
      },
      inc: add(1),
      dec: add(-1),
      remove: (labels: Labels) => {
        store.delete(this.key(reg, labels))
      },
    }
  }

  /** The series for `labels`, created at zero on first use. */
  private series(reg: Registration, store: Map<string, SeriesRecord>, labels: Labels = {}): SeriesRecord {
    const k = this.key(reg, labels)
    let s = store.get(k)
    if (s === undefined) {
      s = { labels: { ...labels }, value: 0, observations: [] }
      store.set(k, s)
    }
    return s
  }

  /** A key independent of label order; throws on a label name the metric did not declare. */
  private key(reg: Registration, labels: Labels): string {
    const names = Object.keys(labels).sort()
    for (const n of names) {
      if (!reg.labelNames.includes(n)) throw this.invalid(`'${reg.name}' has no label '${n}'`)
    }
    return JSON.stringify(names.map((n) => [n, labels[n]]))
  }

  private family(name: string): Family {
    const f = this.table.get(name)?.metric
    if (f === undefined) throw this.invalid(`'${name}' is not registered`)
    return f
  }

  private invalid(why: string): MetricsError {
    return new MetricsError(MetricsErrorCode.invalid, `metrics: ${why}`)
  }
}
