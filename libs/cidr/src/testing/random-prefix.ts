/** Random addresses and prefixes for randomized tests and benchmarks, from a seeded {@link Prng}. */
import { type IpFamily, familyBytes } from '../address.js'
import { type Prefix, prefixFrom } from '../prefix.js'
import type { Prng } from './prng.js'

/** A new random address of `family` (4 or 16 bytes). */
export function randomAddress(rng: Prng, family: IpFamily): Uint8Array {
  const out = new Uint8Array(familyBytes(family))
  for (let i = 0; i < out.length; i++) out[i] = rng.int(256)
  return out
}

/**
 * A random prefix of `family` with length uniform in `[minBits, maxBits]`.
 * Short lengths make prefixes that nest, which is what exercises longest-prefix match.
 * @param minBits - @default 0
 * @param maxBits - @default 32 or 128
 */
export function randomPrefix(rng: Prng, family: IpFamily, minBits = 0, maxBits = familyBytes(family) * 8): Prefix {
  const bits = minBits + rng.int(maxBits - minBits + 1)
  return prefixFrom(randomAddress(rng, family), bits, { strict: false })
}

/** A new random address inside `prefix`: its network bits, random host bits. */
export function addressInside(rng: Prng, prefix: Prefix): Uint8Array {
  const out = prefix.address
  const noise = randomAddress(rng, prefix.family)
  for (let i = prefix.bits; i < out.length * 8; i++) {
    const byte = i >>> 3
    const mask = 0x80 >>> (i & 7)
    out[byte] = out[byte]! | (noise[byte]! & mask)
  }
  return out
}
