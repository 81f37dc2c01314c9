/**
 * Where the greatest initiation timestamp accepted from each peer survives a restart, so an
 * initiation captured before the restart cannot be replayed after it. The data plane loads a
 * peer's value the first time it needs it and saves once per accepted initiation (never per
 * data packet).
 */

/** Persistent greatest-timestamp per peer. Implementations must not throw (log and carry on). */
export interface TimestampStore {
  /** The greatest TAI64N label (12 bytes) saved for `peerPublicKey` (32 bytes), or undefined. */
  load(peerPublicKey: Uint8Array): Uint8Array | undefined
  /** Records `timestamp` as the greatest accepted from `peerPublicKey`; the caller keeps ownership of both arrays. */
  save(peerPublicKey: Uint8Array, timestamp: Uint8Array): void
}
