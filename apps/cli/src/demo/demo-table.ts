/** One agent's view of one peer at a moment. */
export interface PeerSample {
  up: boolean
  rttMs: number | null
  txBytes: number
  rxBytes: number
  at: number
}

/** Renders "from → to: state, RTT, throughput" rows; throughput from the previous sample. Pure. */
export function renderDemoTable(now: ReadonlyMap<string, PeerSample>, prev: ReadonlyMap<string, PeerSample>): string {
  const rows = [['PAIR', 'STATE', 'RTT', 'TX', 'RX']]
  for (const [key, s] of [...now.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const p = prev.get(key)
    const secs = p === undefined ? 0 : (s.at - p.at) / 1000
    const rate = (cur: number, old: number | undefined): string =>
      old === undefined || secs <= 0 ? '-' : `${(((cur - old) * 8) / secs / 1000).toFixed(1)} kbit/s`
    rows.push([
      key.replace('>', ' → '),
      s.up ? 'up' : 'down',
      s.rttMs === null ? '-' : `${s.rttMs.toFixed(2)} ms`,
      rate(s.txBytes, p?.txBytes),
      rate(s.rxBytes, p?.rxBytes),
    ])
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  return `${rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`
}
