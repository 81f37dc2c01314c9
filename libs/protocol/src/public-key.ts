/** Field prime of Curve25519, 2^255 - 19. */
const P = (1n << 255n) - 19n

/**
 * u-coordinates of the points of small order (1, 2, 4 and 8) on Curve25519, including the
 * non-canonical encodings p and p+1 of 0 and 1 (the list libsodium refuses in
 * `crypto_scalarmult_curve25519`). X25519 ignores the top bit of the last byte, so
 * {@link checkPublicKey} compares with that bit cleared. A Diffie-Hellman with any of these
 * gives an all-zero shared secret whatever the private key.
 */
export const LOW_ORDER_POINTS: readonly bigint[] = Object.freeze([
  0n, // order 4
  1n, // order 1
  325606250916557431795983626356110631294008115727848805560023387167927233504n, // order 8
  39382357235489614581723060781553021112529911719440698176882885853963445705823n, // order 8
  P - 1n, // order 2
  P, // = 0, non-canonical
  P + 1n, // = 1, non-canonical
])

/** Length of an X25519 public key, bytes. */
export const PUBLIC_KEY_BYTES = 32

/** Little-endian integer of `bytes`. */
function littleEndian(bytes: Uint8Array): bigint {
  let n = 0n
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i] as number)
  return n
}

/**
 * Checks an agent's X25519 public key as it travels on the wire: standard base64 of exactly
 * 32 bytes that re-encodes to the same text (no flipped padding bits, no whitespace, no
 * base64url), and not a point of small order. Returns undefined when the key is usable, or
 * why it is not (for people). Pure; never throws.
 */
export function checkPublicKey(text: string): string | undefined {
  if (!/^[A-Za-z0-9+/]{43}=$/.test(text))
    return 'public key must be 32 bytes in standard base64 (44 characters ending in "=")'
  const bytes = Buffer.from(text, 'base64')
  if (bytes.length !== PUBLIC_KEY_BYTES)
    return `public key decodes to ${bytes.length} bytes; it must be ${PUBLIC_KEY_BYTES}`
  if (bytes.toString('base64') !== text) return 'public key is not canonical base64 (its unused padding bits are set)'
  const u = littleEndian(bytes) & ((1n << 255n) - 1n)
  if (LOW_ORDER_POINTS.includes(u)) return 'public key is a low-order Curve25519 point; generate a real key pair'
  return undefined
}

/** True when {@link checkPublicKey} finds nothing wrong. */
export function isValidPublicKey(text: string): boolean {
  return checkPublicKey(text) === undefined
}
