/**
 * Session indices: random unique u32 values that peers put in messages to us (the receiver
 * index of data messages and responses). Random, so they reveal nothing about the session
 * count; unique across pending handshakes and installed sessions (the engine requires it).
 */
import { randomBytes } from 'node:crypto'

/** Who holds each index. */
export class IndexTable<T> {
  private readonly owners = new Map<number, T>()

  /** Reserves a fresh random index for `owner`. */
  allocate(owner: T): number {
    for (;;) {
      const index = randomBytes(4).readUInt32LE(0)
      if (!this.owners.has(index)) {
        this.owners.set(index, owner)
        return index
      }
    }
  }

  /** The owner of `index`, or `undefined`. */
  get(index: number): T | undefined {
    return this.owners.get(index)
  }

  /** Frees `index` (no-op if free). */
  release(index: number): void {
    this.owners.delete(index)
  }

  /** Number of indices in use. */
  get size(): number {
    return this.owners.size
  }
}
