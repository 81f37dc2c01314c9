/**
 * TAI64N timestamps (https://cr.yp.to/libtai/tai64.html) carried in handshake initiations:
 * 8 bytes big-endian seconds (2^62 + Unix seconds) then 4 bytes big-endian nanoseconds.
 * Big-endian, so byte order is time order: `compareTimestamps` is a byte compare.
 */

/** Bytes of a TAI64N label. */
export const TIMESTAMP_BYTES = 12
const TAI64_EPOCH = 2n ** 62n

/** The TAI64N label of `unixMs` (milliseconds since the Unix epoch; leap seconds ignored like WireGuard). */
export function tai64n(unixMs: number): Uint8Array {
  const out = Buffer.alloc(TIMESTAMP_BYTES)
  const ms = Math.max(0, Math.floor(unixMs))
  out.writeBigUInt64BE(TAI64_EPOCH + BigInt(Math.floor(ms / 1000)), 0)
  out.writeUInt32BE((ms % 1000) * 1_000_000, 8)
  return new Uint8Array(out)
}

/** Negative, zero or positive as `a` is earlier than, equal to or later than `b`. */
export function compareTimestamps(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < TIMESTAMP_BYTES; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}

/** The label one nanosecond after `t` (a new array). */
export function nextTimestamp(t: Uint8Array): Uint8Array {
  const out = Buffer.from(t)
  const ns = out.readUInt32BE(8) + 1
  if (ns < 1_000_000_000) out.writeUInt32BE(ns, 8)
  else {
    out.writeUInt32BE(0, 8)
    out.writeBigUInt64BE(out.readBigUInt64BE(0) + 1n, 0)
  }
  return new Uint8Array(out)
}

/**
 * Hands out strictly increasing timestamps from a wall clock, so two initiations in the same
 * millisecond (or after the clock stepped back) still carry increasing labels.
 */
export class TimestampSource {
  private last: Uint8Array | undefined

  /** A label later than every label returned before, and not earlier than `unixMs`. */
  next(unixMs: number): Uint8Array {
    let t = tai64n(unixMs)
    if (this.last !== undefined && compareTimestamps(t, this.last) <= 0) t = nextTimestamp(this.last)
    this.last = t
    return t
  }
}
