import { DEFAULT_BUCKETS, type HistogramOptions, type GaugeOptions } from './metrics.js'
import { MetricsError, MetricsErrorCode } from './errors.js'

/** The three metric types. */
export type MetricKind = 'counter' | 'gauge' | 'histogram'

/** A validated registration: what two registrations of one name must agree on. */
export interface Registration {
  readonly kind: MetricKind
  /** Full name, prefix included. */
  readonly name: string
  readonly help: string
  /** Label names in the order given. */
  readonly labelNames: readonly string[]
  /** Bucket bounds for histograms; empty for other kinds. */
  readonly buckets: readonly number[]
  /** True when a gauge has a `collect` callback. */
  readonly collects: boolean
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/

/**
 * Validates registration options and returns the Registration for `prefix + options.name`.
 * Throws MetricsError `VPCMESH_ERR_METRICS_INVALID` on a bad name, help, label or bucket.
 */
export function describeMetric(kind: MetricKind, options: HistogramOptions & GaugeOptions, prefix = ''): Registration {
  const name = prefix + options.name
  const invalid = (why: string): MetricsError =>
    new MetricsError(MetricsErrorCode.invalid, `metrics: ${kind} '${name}': ${why}`)
  if (!NAME.test(name)) throw invalid('name must match [a-zA-Z_:][a-zA-Z0-9_:]*')
  if (kind === 'counter' && !name.endsWith('_total')) throw invalid('counter names end in _total')
  if (options.help.trim() === '') throw invalid('help must not be empty')
  const labelNames = [...(options.labelNames ?? [])]
  for (const l of labelNames) {
    if (!LABEL.test(l) || l.startsWith('__')) throw invalid(`bad label name '${l}'`)
    if (kind === 'histogram' && l === 'le') throw invalid("'le' is reserved for histogram buckets")
  }
  if (new Set(labelNames).size !== labelNames.length) throw invalid('duplicate label name')
  const buckets = kind === 'histogram' ? [...(options.buckets ?? DEFAULT_BUCKETS)] : []
  if (kind === 'histogram' && !isIncreasing(buckets))
    throw invalid('buckets must be finite, non-empty and strictly increasing')
  return { kind, name, help: options.help, labelNames, buckets, collects: options.collect !== undefined }
}

function isIncreasing(xs: readonly number[]): boolean {
  return xs.length > 0 && xs.every((x, i) => Number.isFinite(x) && (i === 0 || x > (xs[i - 1] ?? x)))
}

/**
 * Throws MetricsError `VPCMESH_ERR_METRICS_CONFLICT` unless `next` may share the metric
 * registered as `prev`: same kind, same label names (any order), same buckets, no `collect`.
 */
export function assertShareable(prev: Registration, next: Registration): void {
  const why = conflict(prev, next)
  if (why !== undefined) {
    throw new MetricsError(MetricsErrorCode.conflict, `metrics: '${next.name}' ${why}`)
  }
}

function conflict(prev: Registration, next: Registration): string | undefined {
  if (prev.kind !== next.kind) return `is already registered as a ${prev.kind}, not a ${next.kind}`
  if (!sameSet(prev.labelNames, next.labelNames)) {
    return `is already registered with labels [${prev.labelNames.join(', ')}], not [${next.labelNames.join(', ')}]`
  }
  if (prev.buckets.join() !== next.buckets.join())
    return `is already registered with buckets [${prev.buckets.join(', ')}]`
  if (prev.collects || next.collects)
    return 'is a gauge with a collect callback: it has one owner and cannot be registered twice'
  return undefined
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x))
}

/**
 * The metrics one Metrics instance registered, by full name. `getOrCreate` implements the
 * "same name returns the same metric" rule for every implementation.
 */
export class RegistrationTable<M> {
  private readonly entries = new Map<string, { reg: Registration; metric: M }>()

  /** Returns the metric already registered as `reg.name` (after {@link assertShareable}) or creates it. */
  getOrCreate(reg: Registration, create: () => M): M {
    const prev = this.entries.get(reg.name)
    if (prev !== undefined) {
      assertShareable(prev.reg, reg)
      return prev.metric
    }
    const metric = create()
    this.entries.set(reg.name, { reg, metric })
    return metric
  }

  /** The entry for a full name, or undefined. */
  get(name: string): { reg: Registration; metric: M } | undefined {
    return this.entries.get(name)
  }

  /** Registered names, sorted. */
  names(): string[] {
    return [...this.entries.keys()].sort()
  }

  /** Every metric in registration order. */
  metrics(): M[] {
    return [...this.entries.values()].map((e) => e.metric)
  }
}
