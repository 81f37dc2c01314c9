/**
 * A path-compressed binary trie over one address family, after wireguard-go
 * device/allowedips.go. Each node is a prefix (`key`/`bits`); a node's children extend it
 * and differ at bit `bits`. Nodes with `prefix === null` are branch points holding no route;
 * a branch point always has two children, so there are at most 2n-1 nodes for n routes.
 *
 * Costs for W = 32 or 128 address bits: lookup, get, set and delete are O(W) (at most W+1
 * nodes visited, each compared only on the bits it adds); walking all routes is O(n).
 */
import { bitAt, bitsEqual, commonBits, maskedCopy } from './bits.js'
import type { Prefix } from './prefix.js'

/** One trie node; all fields are set in the constructor so every node has the same shape. */
class TrieNode<T> {
  /** Subtree whose bit `bits` is 0. */
  child0: TrieNode<T> | null = null
  /** Subtree whose bit `bits` is 1. */
  child1: TrieNode<T> | null = null

  /**
   * @param key - network address, host bits zero, owned by the node
   * @param bits - prefix length of this node
   * @param prefix - the route stored here, or null for a branch point
   * @param value - the route's value (undefined for a branch point)
   */
  constructor(
    readonly key: Uint8Array,
    readonly bits: number,
    public prefix: Prefix | null,
    public value: T | undefined,
  ) {}

  /** Puts `child` on the side given by `key`'s bit at this node's length. */
  setChild(key: Uint8Array, child: TrieNode<T> | null): void {
    if (bitAt(key, 0, this.bits) === 0) this.child0 = child
    else this.child1 = child
  }

  /** The child on the side given by `key`'s bit at this node's length. */
  childFor(key: Uint8Array): TrieNode<T> | null {
    return bitAt(key, 0, this.bits) === 0 ? this.child0 : this.child1
  }
}

/** Drops a node that holds no route and has fewer than two children. */
function collapse<T>(node: TrieNode<T>): TrieNode<T> | null {
  if (node.prefix !== null || (node.child0 !== null && node.child1 !== null)) return node
  return node.child0 ?? node.child1
}

/** Joins an existing subtree and a new leaf that diverge below their lowest common prefix. */
function join<T>(existing: TrieNode<T>, leaf: TrieNode<T>): TrieNode<T> {
  const common = commonBits(existing.key, leaf.key, Math.min(existing.bits, leaf.bits))
  if (common === leaf.bits) {
    leaf.setChild(existing.key, existing)
    return leaf
  }
  const branch = new TrieNode<T>(maskedCopy(leaf.key, common), common, null, undefined)
  branch.setChild(existing.key, existing)
  branch.setChild(leaf.key, leaf)
  return branch
}

/** The longest-prefix-match trie for one family. Keys are canonical network addresses. */
export class BitTrie<T> {
  size = 0
  private root: TrieNode<T> | null = null
  private readonly maxBits: number

  /** @param width - address length in bytes: 4 or 16 */
  constructor(readonly width: number) {
    this.maxBits = width * 8
  }

  /**
   * Value of the longest route containing the address at `buf[offset..offset+width)`.
   * Hot path: no allocation, no bounds checks (the caller checks them).
   */
  lookup(buf: Uint8Array, offset: number): T | undefined {
    let node = this.root
    let checked = 0
    let best: T | undefined
    while (node !== null && bitsEqual(node.key, buf, offset, checked, node.bits)) {
      if (node.prefix !== null) best = node.value
      if (node.bits === this.maxBits) break
      checked = node.bits
      node = bitAt(buf, offset, checked) === 0 ? node.child0 : node.child1
    }
    return best
  }

  /** Value of the route for exactly `key`/`bits`, or `undefined` when there is none. */
  get(key: Uint8Array, bits: number): T | undefined {
    let node = this.root
    while (node !== null && node.bits <= bits && bitsEqual(node.key, key, 0, 0, node.bits)) {
      if (node.bits === bits) return node.value
      node = node.childFor(key)
    }
    return undefined
  }

  /** Adds or replaces the route for `prefix`. @returns true when the prefix was new */
  set(prefix: Prefix, value: T): boolean {
    const key = prefix.address
    let parent: TrieNode<T> | null = null
    let node = this.root
    while (node !== null && node.bits <= prefix.bits && bitsEqual(node.key, key, 0, 0, node.bits)) {
      if (node.bits === prefix.bits) return this.fill(node, prefix, value)
      parent = node
      node = node.childFor(key)
    }
    const leaf = new TrieNode<T>(key, prefix.bits, prefix, value)
    const subtree = node === null ? leaf : join(node, leaf)
    if (parent === null) this.root = subtree
    else parent.setChild(key, subtree)
    this.size++
    return true
  }

  /** Stores a route in an existing node (a branch point or a route being replaced). */
  private fill(node: TrieNode<T>, prefix: Prefix, value: T): boolean {
    const added = node.prefix === null
    node.prefix = prefix
    node.value = value
    if (added) this.size++
    return added
  }

  /** Removes the route for exactly `key`/`bits`. @returns true when one was removed */
  delete(key: Uint8Array, bits: number): boolean {
    const before = this.size
    this.root = this.deleteFrom(this.root, key, bits)
    return this.size < before
  }

  /** Recursive step of {@link BitTrie.delete}; returns the subtree that replaces `node`. */
  private deleteFrom(node: TrieNode<T> | null, key: Uint8Array, bits: number): TrieNode<T> | null {
    if (node === null || node.bits > bits || !bitsEqual(node.key, key, 0, 0, node.bits)) return node
    if (node.bits < bits) {
      node.setChild(key, this.deleteFrom(node.childFor(key), key, bits))
    } else if (node.prefix !== null) {
      node.prefix = null
      node.value = undefined
      this.size--
    }
    return collapse(node)
  }

  /** Calls `fn` for every route in prefix sort order (pre-order: a node sorts before its children). */
  forEach(fn: (prefix: Prefix, value: T) => void): void {
    const walk = (node: TrieNode<T> | null): void => {
      if (node === null) return
      if (node.prefix !== null) fn(node.prefix, node.value as T)
      walk(node.child0)
      walk(node.child1)
    }
    walk(this.root)
  }
}
