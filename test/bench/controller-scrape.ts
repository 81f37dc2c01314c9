/**
 * What the control-plane benchmark reads from a controller: frame and push counters and the
 * event-loop lag from its /metrics, RSS from /proc. See test/bench/control.bench.ts.
 */
import { readFileSync } from 'node:fs'

/** The p-th percentile of `xs` (nearest rank). */
export function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN
}

/** Resident memory of process `pid`, MiB. */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(m?.[1] ?? 0) / 1024
}

/** Frames sent by type, pushes, and the event-loop lag since the last scrape, from one /metrics. */
export async function counters(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const out: Record<string, number> = {}
  for (const m of text.matchAll(/^vpcmesh_controller_ws_messages_total\{direction="(in|out)",type="(\w+)"\} (\d+)/gm))
    out[`${m[1]}:${m[2]}`] = Number(m[3])
  out.pushes = Number(/^vpcmesh_controller_push_duration_seconds_count (\d+)/m.exec(text)?.[1] ?? 0)
  // prom-client's monitorEventLoopDelay histogram is reset at every scrape: these cover the
  // time since the previous scrape.
  out.lagP99 = Number(/^nodejs_eventloop_lag_p99_seconds (\S+)/m.exec(text)?.[1] ?? NaN)
  out.lagMax = Number(/^nodejs_eventloop_lag_max_seconds (\S+)/m.exec(text)?.[1] ?? NaN)
  return out
}

/** Counters of several controllers added up (lags: the largest). */
export async function allCounters(urls: string[]): Promise<Record<string, number>> {
  const sum: Record<string, number> = {}
  for (const c of await Promise.all(urls.map(counters)))
    for (const [k, v] of Object.entries(c)) sum[k] = k.startsWith('lag') ? Math.max(sum[k] ?? 0, v) : (sum[k] ?? 0) + v
  return sum
}

/** The frame counters of `c` as one line. */
export function counted(c: Record<string, number>): string {
  return ['out:snapshot', 'out:delta', 'in:ack', 'pushes']
    .map((k) => `${k.replace('out:', '').replace('in:', '')} ${c[k] ?? 0}`)
    .join(', ')
}
