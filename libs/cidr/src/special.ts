/**
 * Address ranges that must never be routed into the mesh: routing any of them into a TUN
 * breaks the host itself (loopback, link-local where cloud metadata lives, multicast) or is
 * an alias of another family's address (IPv4-mapped IPv6). From the IANA special-purpose
 * registries (RFC 6890, RFC 4291 §2.5.5.2, RFC 3927, RFC 4291 §2.7).
 */
import { parsePrefix, type Prefix } from './prefix.js'

/** One never-routable range and why. */
export interface SpecialRange {
  /** The range, canonical. */
  prefix: Prefix
  /** Short name for messages: "loopback", "link-local", … */
  name: string
}

const RANGES: ReadonlyArray<readonly [string, string]> = [
  ['0.0.0.0/8', 'this-network (unspecified)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local (cloud metadata)'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'limited broadcast'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['::ffff:0:0/96', 'IPv4-mapped IPv6'],
  ['fe80::/10', 'link-local'],
  ['ff00::/8', 'multicast'],
]

/** The never-routable ranges, IPv4 first. */
export const SPECIAL_RANGES: readonly SpecialRange[] = Object.freeze(
  RANGES.map(([text, name]) => Object.freeze({ prefix: parsePrefix(text), name })),
)

/**
 * Why `p` may not be routed into the mesh, or undefined when it may. A default route
 * (length 0) is refused as such; any other prefix is refused when it overlaps a special
 * range (contains it or lies inside it). Pure.
 */
export function specialRangeProblem(p: Prefix): string | undefined {
  if (p.bits === 0) return `${p.toString()} is a default route; it would send all of the host's traffic into the mesh`
  for (const r of SPECIAL_RANGES) {
    if (!r.prefix.overlaps(p)) continue
    if (r.name === 'IPv4-mapped IPv6') {
      return `${p.toString()} is an IPv4-mapped IPv6 prefix (inside ::ffff:0:0/96); register the IPv4 form instead`
    }
    return `${p.toString()} overlaps ${r.prefix.toString()} (${r.name}); such addresses are never routed into the mesh`
  }
  return undefined
}
