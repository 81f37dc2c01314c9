/**
 * NaiveRouteTable: the reference longest-prefix match for randomized tests. It keeps a flat
 * list and scans all of it on every lookup, O(n) per call, so it is obviously right and slow.
 */
import type { Prefix } from '../prefix.js'

/** A linear-scan route table with the same meaning as RouteTable, for checking it. */
export class NaiveRouteTable<T> {
  private readonly routes = new Map<string, { prefix: Prefix; value: T }>()

  /** Number of routes. */
  get size(): number {
    return this.routes.size
  }

  /** Adds or replaces the route for `prefix`. @returns true when the prefix was new */
  insert(prefix: Prefix, value: T): boolean {
    const key = prefix.toString()
    const added = !this.routes.has(key)
    this.routes.set(key, { prefix, value })
    return added
  }

  /** Removes the route for exactly `prefix`. @returns true when one was removed */
  remove(prefix: Prefix): boolean {
    return this.routes.delete(prefix.toString())
  }

  /** Value of the longest route containing `addr` (4 or 16 bytes), or `undefined`. */
  lookup(addr: Uint8Array): T | undefined {
    let best: { prefix: Prefix; value: T } | undefined
    for (const route of this.routes.values()) {
      if (route.prefix.contains(addr) && (best === undefined || route.prefix.bits > best.prefix.bits)) best = route
    }
    return best?.value
  }

  /** Every route, sorted by prefix. */
  entries(): Array<{ prefix: Prefix; value: T }> {
    return [...this.routes.values()].sort((a, b) => a.prefix.compare(b.prefix))
  }
}
