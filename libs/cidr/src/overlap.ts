/**
 * Overlap detection for registrations: the controller refuses a VPC or route whose
 * prefixes share addresses with prefixes someone already owns, or with each other.
 */
import type { Prefix } from './prefix.js'

/** A prefix already registered, with whoever registered it. */
export interface OwnedPrefix<T> {
  /** The registered network. */
  readonly prefix: Prefix
  /** Who holds it (a VPC id, an agent id, ...). */
  readonly owner: T
}

/** One conflict found by {@link findOverlaps}. */
export interface Overlap<T> {
  /** The candidate prefix that conflicts. */
  readonly candidate: Prefix
  /** The prefix it shares addresses with (equal to, inside, or containing `candidate`). */
  readonly existing: Prefix
  /** Owner of `existing`; `undefined` when `existing` is another candidate. */
  readonly owner: T | undefined
  /** Where `existing` came from: the `existing` list, or earlier in the candidate list. */
  readonly source: 'existing' | 'candidate'
}

/** A prefix tagged with where it came from, for the sweep. */
interface Item<T> {
  /** The network. */
  readonly prefix: Prefix
  /** Position in its input list. */
  readonly index: number
  /** The registration, or undefined for a candidate. */
  readonly owned: OwnedPrefix<T> | undefined
}

/** Sort order for the sweep: by prefix, then input position (so output is deterministic). */
function byPrefix<T>(a: Item<T>, b: Item<T>): number {
  return a.prefix.compare(b.prefix) || (a.owned ? 1 : 0) - (b.owned ? 1 : 0) || a.index - b.index
}

/** The overlap between two items, oriented so a candidate is `candidate`; undefined if both are owned. */
function conflict<T>(a: Item<T>, b: Item<T>): Overlap<T> | undefined {
  if (a.owned !== undefined && b.owned !== undefined) return undefined
  if (a.owned !== undefined)
    return { candidate: b.prefix, existing: a.prefix, owner: a.owned.owner, source: 'existing' }
  if (b.owned !== undefined)
    return { candidate: a.prefix, existing: b.prefix, owner: b.owned.owner, source: 'existing' }
  const [early, late] = a.index < b.index ? [a, b] : [b, a]
  return { candidate: late.prefix, existing: early.prefix, owner: undefined, source: 'candidate' }
}

/**
 * Finds every pair of prefixes that share addresses, where at least one is a candidate:
 * candidate × existing pairs, and candidate × candidate pairs (reported once, with the later
 * candidate as `candidate` and the earlier as `existing`). Existing × existing pairs are not
 * reported. Prefixes of different families never overlap; equal prefixes always do.
 *
 * Two prefixes overlap exactly when one contains the other, so a sorted sweep with a stack
 * of enclosing prefixes finds all pairs in O(N log N + N·W + k) for N inputs, W address bits
 * and k results, rather than comparing every pair.
 *
 * @returns conflicts in candidate input order, then by `existing` sort order; empty when none
 */
export function findOverlaps<T>(
  candidates: readonly Prefix[],
  existing: ReadonlyArray<OwnedPrefix<T>>,
): Array<Overlap<T>> {
  const items: Array<Item<T>> = [
    ...candidates.map((prefix, index) => ({ prefix, index, owned: undefined })),
    ...existing.map((owned, index) => ({ prefix: owned.prefix, index, owned })),
  ].sort(byPrefix)
  const found: Array<{ at: number; overlap: Overlap<T> }> = []
  const enclosing: Array<Item<T>> = []
  for (const item of items) {
    while (enclosing.length > 0 && !enclosing[enclosing.length - 1]!.prefix.contains(item.prefix)) enclosing.pop()
    for (const outer of enclosing) {
      const overlap = conflict(outer, item)
      if (overlap !== undefined) found.push({ at: candidateIndex(outer, item), overlap })
    }
    enclosing.push(item)
  }
  return found.sort((a, b) => a.at - b.at || a.overlap.existing.compare(b.overlap.existing)).map((f) => f.overlap)
}

/** Input position of the item reported as `candidate` in a pair. */
function candidateIndex<T>(a: Item<T>, b: Item<T>): number {
  if (a.owned !== undefined) return b.index
  if (b.owned !== undefined) return a.index
  return Math.max(a.index, b.index)
}
