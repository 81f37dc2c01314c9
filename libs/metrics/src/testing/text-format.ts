import type { Labels } from '../metrics.js'
import type { Registration } from '../registration.js'

/** One series as MemoryMetrics stores it: a value (counter, gauge) or observations (histogram). */
export interface SeriesRecord {
  labels: Labels
  value: number
  observations: number[]
}

/**
 * Formats one metric family in the Prometheus text exposition format 0.0.4: HELP and TYPE
 * lines, then one line per series (`_bucket`, `_sum` and `_count` lines for histograms).
 * An unlabelled family with no series is written as a single zero series, as prom-client does.
 */
export function formatFamily(reg: Registration, series: readonly SeriesRecord[]): string {
  const rows = series.length > 0 || reg.labelNames.length > 0 ? series : [{ labels: {}, value: 0, observations: [] }]
  const lines = [`# HELP ${reg.name} ${escapeHelp(reg.help)}`, `# TYPE ${reg.name} ${reg.kind}`]
  for (const s of rows) {
    if (reg.kind === 'histogram') lines.push(...histogramLines(reg, s))
    else lines.push(`${reg.name}${formatLabels(s.labels)} ${formatNumber(s.value)}`)
  }
  return `${lines.join('\n')}\n`
}

function histogramLines(reg: Registration, s: SeriesRecord): string[] {
  const bounds = [...reg.buckets, Number.POSITIVE_INFINITY]
  const out = bounds.map((le) => {
    const n = s.observations.filter((v) => v <= le).length
    return `${reg.name}_bucket${formatLabels({ le: formatNumber(le), ...s.labels })} ${n}`
  })
  const sum = s.observations.reduce((a, b) => a + b, 0)
  out.push(`${reg.name}_sum${formatLabels(s.labels)} ${formatNumber(sum)}`)
  out.push(`${reg.name}_count${formatLabels(s.labels)} ${s.observations.length}`)
  return out
}

function formatLabels(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`)
  return parts.length === 0 ? '' : `{${parts.join(',')}}`
}

function formatNumber(n: number): string {
  if (n === Number.POSITIVE_INFINITY) return '+Inf'
  if (n === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(n)
}

function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

function escapeLabel(s: string): string {
  return escapeHelp(s).replace(/"/g, '\\"')
}
