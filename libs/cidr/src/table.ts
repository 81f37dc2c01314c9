/**
 * RouteTable: longest-prefix match from IP address to a value (a peer, a next hop), over
 * IPv4 and IPv6 at once. Built for the data plane: lookups read the destination address in
 * place from a packet buffer and never allocate or throw.
 */
import { type IpFamily, IPV4_BYTES, IPV6_BYTES, familyOf } from './address.js'
import type { Prefix } from './prefix.js'
import { BitTrie } from './trie.js'

/** One route as listed by {@link RouteTable.entries}. */
export interface RouteEntry<T> {
  /** The route's network. */
  readonly prefix: Prefix
  /** What the route maps to. */
  readonly value: T
}

/**
 * A longest-prefix-match table over both families, one path-compressed binary trie per
 * family (after wireguard-go allowedips.go).
 *
 * Costs, with W = 32 (IPv4) or 128 (IPv6) and n routes: `lookup*`, `insert`, `get` and
 * `remove` are O(W), independent of n; `entries` is O(n); `removeByValue` is O(n·W).
 * Memory is O(n): at most 2n-1 trie nodes per family.
 *
 * Not safe to mutate while `entries` or `removeByValue` callbacks run. Values may be any
 * type, but an `undefined` value is indistinguishable from "no route" in `lookup` and `get`.
 */
export class RouteTable<T> {
  private readonly v4 = new BitTrie<T>(IPV4_BYTES)
  private readonly v6 = new BitTrie<T>(IPV6_BYTES)

  /** Number of routes, both families. */
  get size(): number {
    return this.v4.size + this.v6.size
  }

  /** The trie for a family. */
  private trie(family: IpFamily): BitTrie<T> {
    return family === 4 ? this.v4 : this.v6
  }

  /**
   * Adds a route, or replaces the value of an identical prefix.
   * @returns true when the prefix was new, false when its value was replaced
   */
  insert(prefix: Prefix, value: T): boolean {
    return this.trie(prefix.family).set(prefix, value)
  }

  /** The value stored for exactly `prefix` (no longest-match), or `undefined`. */
  get(prefix: Prefix): T | undefined {
    return this.trie(prefix.family).get(prefix.address, prefix.bits)
  }

  /** Removes the route for exactly `prefix`. @returns true when a route was removed */
  remove(prefix: Prefix): boolean {
    return this.trie(prefix.family).delete(prefix.address, prefix.bits)
  }

  /**
   * Removes every route whose value matches: `match(value, prefix)` returns true, or, when
   * `match` is not a function, `value === match`. (If T is itself a function type, a function
   * argument is always treated as a predicate: pass `(v) => v === fn` to remove by identity.)
   * @returns how many routes were removed
   */
  removeByValue(match: T | ((value: T, prefix: Prefix) => boolean)): number {
    const test =
      typeof match === 'function' ? (match as (value: T, prefix: Prefix) => boolean) : (value: T) => value === match
    const doomed = this.entries().filter((e) => test(e.value, e.prefix))
    for (const e of doomed) this.remove(e.prefix)
    return doomed.length
  }

  /**
   * Longest-prefix match for an address stored in `buf` at `offset`, e.g. the destination
   * field of a received packet. Reads `buf` in place; never allocates, never throws.
   * @param buf - holds the address in network order; not modified or retained
   * @param offset - byte index of the address in `buf` (an integer) @default 0
   * @param family - which family to read; @default implied by `buf.length` (4 or 16)
   * @returns the value of the most specific route containing the address, or `undefined`
   *   when none does, the family is unknown, or the address runs past the end of `buf`
   */
  lookup(buf: Uint8Array, offset = 0, family: IpFamily | undefined = familyOf(buf)): T | undefined {
    if (family === undefined) return undefined
    const trie = family === 4 ? this.v4 : this.v6
    if ((offset | 0) !== offset || offset < 0 || offset + trie.width > buf.length) return undefined
    return trie.lookup(buf, offset)
  }

  /** {@link RouteTable.lookup} for the 4-byte IPv4 address at `buf[offset]`. @default offset 0 */
  lookupV4(buf: Uint8Array, offset = 0): T | undefined {
    return this.lookup(buf, offset, 4)
  }

  /** {@link RouteTable.lookup} for the 16-byte IPv6 address at `buf[offset]`. @default offset 0 */
  lookupV6(buf: Uint8Array, offset = 0): T | undefined {
    return this.lookup(buf, offset, 6)
  }

  /** Every route as a new array, sorted like `comparePrefixes` (IPv4 first, then by address, then length). */
  entries(): Array<RouteEntry<T>> {
    const out: Array<RouteEntry<T>> = []
    const push = (prefix: Prefix, value: T): void => {
      out.push({ prefix, value })
    }
    this.v4.forEach(push)
    this.v6.forEach(push)
    return out
  }
}
