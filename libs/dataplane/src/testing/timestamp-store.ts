/** An in-memory {@link TimestampStore} that outlives the data planes of a test (a restart keeps it). */
import { encodeKey } from '../key-text.js'
import type { TimestampStore } from '../timestamp-store.js'

/** Greatest timestamps by canonical base64 key, copied in and out. */
export class MemoryTimestampStore implements TimestampStore {
  private readonly map = new Map<string, Uint8Array>()
  /** Number of save() calls so far. */
  saves = 0

  load(peerPublicKey: Uint8Array): Uint8Array | undefined {
    const t = this.map.get(encodeKey(peerPublicKey))
    return t === undefined ? undefined : Uint8Array.from(t)
  }

  save(peerPublicKey: Uint8Array, timestamp: Uint8Array): void {
    this.saves++
    this.map.set(encodeKey(peerPublicKey), Uint8Array.from(timestamp))
  }
}
