/**
 * DNS names as the forwarder compares them: lower-case, no trailing dot, the root as ''.
 * Matching is on label boundaries: `x.b.cluster.local` is inside `b.cluster.local`,
 * `xb.cluster.local` is not.
 */

/** The comparable form of a name: lower-case ASCII, without a trailing dot (the root is ''). */
export function normalizeName(name: string): string {
  const lower = name.toLowerCase()
  return lower.endsWith('.') ? lower.slice(0, -1) : lower
}

/** True when `name` equals `zone` or lies under it (both normalized); every name is under the root ''. */
export function inZone(name: string, zone: string): boolean {
  if (zone === '') return true
  return (
    name === zone || (name.length > zone.length && name.endsWith(zone) && name[name.length - zone.length - 1] === '.')
  )
}

/**
 * Replaces the suffix `from` of `name` by `to` when `name` is in zone `from` (compared
 * case-insensitively); the labels before the suffix keep their case. Returns undefined when
 * `name` is not in `from`. `from` and `to` are normalized and not the root.
 */
export function replaceSuffix(name: string, from: string, to: string): string | undefined {
  const norm = normalizeName(name)
  if (!inZone(norm, from)) return undefined
  if (norm === from) return to
  return `${name.slice(0, norm.length - from.length - 1)}.${to}`
}

/**
 * Picks the longest configured zone containing `name`, or undefined. Zones are normalized;
 * the matcher keeps its own sorted copy.
 */
export class ZoneMatcher<Z extends { readonly zone: string }> {
  private readonly zones: readonly Z[]

  constructor(zones: readonly Z[]) {
    this.zones = [...zones].sort((a, b) => b.zone.length - a.zone.length)
  }

  /** The zone with the longest suffix match of `name` (any case, trailing dot allowed). */
  match(name: string): Z | undefined {
    const norm = normalizeName(name)
    return this.zones.find((z) => inZone(norm, z.zone))
  }
}
