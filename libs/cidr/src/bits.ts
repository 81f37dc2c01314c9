/**
 * Bit-level operations on big-endian address bytes (network order, as in packets).
 * Bit 0 is the most significant bit of the first byte. Nothing here allocates except
 * {@link maskedCopy}, so the table lookup can use these on packet buffers.
 */

/** Returns bit `i` (0 = MSB of byte `offset`) of `buf` as 0 or 1. Caller checks bounds. */
export function bitAt(buf: Uint8Array, offset: number, i: number): number {
  return (buf[offset + (i >>> 3)]! >>> (7 - (i & 7))) & 1
}

/** Mask selecting bits `[s, e)` of one byte, counted from its MSB; `0 <= s < e <= 8`. */
function byteMask(s: number, e: number): number {
  return (0xff >>> s) & (0xff << (8 - e)) & 0xff
}

/**
 * True when bits `[from, to)` of `a` (read from byte 0) equal the same bits of `b` read
 * from byte `bOffset`. Caller guarantees both spans are in bounds and `from <= to`.
 * One XOR per byte touched; no allocation.
 */
export function bitsEqual(a: Uint8Array, b: Uint8Array, bOffset: number, from: number, to: number): boolean {
  let i = from
  while (i < to) {
    const byte = i >>> 3
    const end = Math.min(to, (byte + 1) << 3)
    const diff = a[byte]! ^ b[bOffset + byte]!
    if (diff !== 0 && (diff & byteMask(i & 7, end - (byte << 3))) !== 0) return false
    i = end
  }
  return true
}

/** Number of leading bits `a` and `b` share, capped at `limit`. Both must be at least `limit` bits long. */
export function commonBits(a: Uint8Array, b: Uint8Array, limit: number): number {
  for (let byte = 0; byte << 3 < limit; byte++) {
    const x = a[byte]! ^ b[byte]!
    if (x !== 0) return Math.min(limit, (byte << 3) + Math.clz32(x) - 24)
  }
  return limit
}

/** True when any bit at index `bits` or later is set in `bytes`. */
export function hasHostBits(bytes: Uint8Array, bits: number): boolean {
  for (let i = bits; i < bytes.length * 8; i++) {
    if (bitAt(bytes, 0, i) === 1) return true
  }
  return false
}

/** A new array holding `bytes` with every bit at index `bits` or later cleared. */
export function maskedCopy(bytes: Uint8Array, bits: number): Uint8Array {
  const out = Uint8Array.from(bytes)
  for (let byte = bits >>> 3; byte < out.length; byte++) {
    const keep = bits > byte << 3 ? 0xff << (8 - (bits - (byte << 3))) : 0
    out[byte] = out[byte]! & keep & 0xff
  }
  return out
}

/** Orders two equal-length byte arrays as unsigned big-endian numbers: negative, 0 or positive. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!
  }
  return a.length - b.length
}
