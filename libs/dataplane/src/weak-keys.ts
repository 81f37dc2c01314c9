/**
 * Public keys a peer must never be configured with: non-canonical X25519 encodings (bit 255
 * set, or u ≥ p) and the canonical low-order points (RFC 7748 §6.1, libsodium's blocklist).
 * A DH with a low-order point yields a fixed, publicly known result, and a non-canonical
 * encoding names the same point as a canonical one, so either lets one key pose as another.
 * The controller refuses these keys at enrollment too; this is the agent's own check.
 */

/** The canonical u-coordinates of order 1, 2, 4 and 8 (little-endian hex). */
const LOW_ORDER = new Set([
  '0000000000000000000000000000000000000000000000000000000000000000', // 0, order 4
  '0100000000000000000000000000000000000000000000000000000000000000', // 1, order 1
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', // order 8
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157', // order 8
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p - 1, order 2
])

/** True when the 32 little-endian bytes are ≥ p = 2^255 - 19 (with bit 255 clear). */
function atLeastP(raw: Uint8Array): boolean {
  if (raw[31] !== 0x7f || (raw[0] ?? 0) < 0xed) return false
  for (let i = 1; i < 31; i++) if (raw[i] !== 0xff) return false
  return true
}

/**
 * Why `raw` (a 32-byte X25519 public key) is unusable as a peer's key, or `undefined` when it
 * is fine. Pure; never throws.
 */
export function weakPublicKeyReason(raw: Uint8Array): string | undefined {
  if (raw.length !== 32) return 'not 32 bytes'
  if (((raw[31] ?? 0) & 0x80) !== 0) return 'non-canonical X25519 encoding (bit 255 set)'
  if (atLeastP(raw)) return 'non-canonical X25519 encoding (not reduced mod p)'
  if (LOW_ORDER.has(Buffer.from(raw).toString('hex'))) return 'a low-order X25519 point'
  return undefined
}
