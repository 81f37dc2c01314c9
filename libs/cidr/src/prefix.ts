/**
 * Prefix: an immutable IP network such as `10.0.0.0/16` or `fd00::/48`. A Prefix is always
 * canonical: bits past the length are zero, so equal networks are equal values.
 */
import { type IpFamily, familyBytes, familyOf, formatAddress, parseAddressText } from './address.js'
import { bitsEqual, compareBytes, hasHostBits, maskedCopy } from './bits.js'
import { CIDR_ERROR_CODES, CidrError, invalidInput } from './errors.js'

/** Options for {@link parsePrefix} and {@link prefixFrom}. */
export interface PrefixOptions {
  /**
   * When true, reject host bits (`10.0.0.1/16`) and, in `parsePrefix`, a missing `/length`.
   * When false, clear host bits and read a bare address as a host prefix (/32 or /128).
   * @default true
   */
  strict?: boolean
}

/** Canonical text of each Prefix, computed on first use (a Prefix is frozen, so the cache lives here). */
const TEXT = new WeakMap<Prefix, string>()

/**
 * An immutable IPv4 or IPv6 prefix. Make one with `parsePrefix` or `prefixFrom`; the
 * constructor is internal to this package (it trusts its input to be canonical).
 */
export class Prefix {
  /** Address family: 4 or 6. */
  readonly family: IpFamily
  /** Prefix length in bits: 0-32 for IPv4, 0-128 for IPv6. */
  readonly bits: number
  private readonly bytes: Uint8Array

  /** @internal `bytes` must be 4 or 16 bytes with no host bits; ownership passes to the Prefix. */
  constructor(bytes: Uint8Array, bits: number) {
    this.bytes = bytes
    this.family = familyOf(bytes) ?? 4
    this.bits = bits
    Object.freeze(this)
  }

  /** Largest possible length for this family: 32 or 128. */
  get maxBits(): number {
    return familyBytes(this.family) * 8
  }

  /** A fresh copy of the network address (host bits zero); the caller owns it. */
  get address(): Uint8Array {
    return Uint8Array.from(this.bytes)
  }

  /**
   * True when the address of this family stored in `buf` at `offset` is inside this prefix.
   * For the data plane: reads the packet buffer in place, never allocates or throws.
   * @returns false when the address would run past the end of `buf`
   */
  containsAt(buf: Uint8Array, offset: number): boolean {
    if (offset < 0 || offset + this.bytes.length > buf.length) return false
    return bitsEqual(this.bytes, buf, offset, 0, this.bits)
  }

  /**
   * True when `x` lies inside this prefix: an address (4 or 16 bytes) or a prefix that is
   * equal to or more specific than this one. Always false across families.
   */
  contains(x: Uint8Array | Prefix): boolean {
    if (x instanceof Uint8Array) return x.length === this.bytes.length && this.containsAt(x, 0)
    return x.family === this.family && x.bits >= this.bits && this.containsAt(x.bytes, 0)
  }

  /** True when the two prefixes share any address (one contains the other). False across families. */
  overlaps(other: Prefix): boolean {
    return other.family === this.family && bitsEqual(this.bytes, other.bytes, 0, 0, Math.min(this.bits, other.bits))
  }

  /**
   * Sort order: IPv4 before IPv6, then by network address, then shorter prefix first.
   * @returns negative, zero or positive, like `Array.prototype.sort` expects
   */
  compare(other: Prefix): number {
    if (this.family !== other.family) return this.family - other.family
    return compareBytes(this.bytes, other.bytes) || this.bits - other.bits
  }

  /** True when both are the same network (family, address and length). */
  equals(other: Prefix): boolean {
    return this.compare(other) === 0
  }

  /** Canonical text: `10.0.0.0/16`, `fd00::/48` (RFC 5952 for IPv6). */
  toString(): string {
    let text = TEXT.get(this)
    if (text === undefined) {
      text = `${formatAddress(this.bytes)}/${this.bits}`
      TEXT.set(this, text)
    }
    return text
  }

  /** Same as {@link Prefix.toString}, so prefixes serialize as JSON strings. */
  toJSON(): string {
    return this.toString()
  }
}

/** Orders prefixes for `Array.prototype.sort`; see {@link Prefix.compare}. */
export function comparePrefixes(a: Prefix, b: Prefix): number {
  return a.compare(b)
}

/** A prefix length: decimal, no sign, no leading zeros, at most 3 digits (range checked after). */
const LENGTH = /^(0|[1-9][0-9]{0,2})$/

/** Reads the `/length` text for `family`; returns the number or a reason it is invalid. */
function parseLength(text: string, family: IpFamily): number | string {
  const max = familyBytes(family) * 8
  if (!LENGTH.test(text))
    return `prefix length ${JSON.stringify(text)} must be a decimal number 0-${max} without leading zeros or spaces`
  const bits = Number(text)
  return bits <= max ? bits : `prefix length ${bits} is out of range for IPv${family} (0-${max})`
}

/** Builds the Prefix, applying the strict host-bits rule; `input` is quoted in errors. */
function build(bytes: Uint8Array, bits: number, strict: boolean, input: string): Prefix {
  if (!hasHostBits(bytes, bits)) return new Prefix(Uint8Array.from(bytes), bits)
  const masked = new Prefix(maskedCopy(bytes, bits), bits)
  if (!strict) return masked
  throw new CidrError(
    CIDR_ERROR_CODES.hostBits,
    `${JSON.stringify(input)} has host bits set; did you mean ${masked.toString()}? ` +
      `(or ${formatAddress(bytes)}/${masked.maxBits} for just that address)`,
  )
}

/**
 * Parses prefix text: `10.0.0.0/16`, `fd00::/48`, `::ffff:10.0.0.0/104` (IPv6).
 * @param text - address, `/`, decimal length; no whitespace, no zone id
 * @throws CidrError VPCMESH_ERR_CIDR_INVALID for unparsable text, an out-of-range length,
 *   or (strict) a missing `/length`; VPCMESH_ERR_CIDR_HOST_BITS (strict) when bits past the
 *   length are set, naming the prefix that was probably meant
 */
export function parsePrefix(text: string, opts: PrefixOptions = {}): Prefix {
  const strict = opts.strict ?? true
  const slash = text.indexOf('/')
  const addrText = slash < 0 ? text : text.slice(0, slash)
  const bytes = parseAddressText(addrText)
  if (typeof bytes === 'string') throw invalidInput('IP prefix', text, bytes)
  const family = familyOf(bytes) ?? 4
  if (slash < 0) {
    if (!strict) return build(bytes, bytes.length * 8, false, text)
    throw invalidInput('IP prefix', text, `missing "/length"; write ${text}/${bytes.length * 8} for a single address`)
  }
  const bits = parseLength(text.slice(slash + 1), family)
  if (typeof bits === 'string') throw invalidInput('IP prefix', text, bits)
  return build(bytes, bits, strict, text)
}

/**
 * Makes a prefix from address bytes and a length. The bytes are copied.
 * @param address - 4 bytes (IPv4) or 16 bytes (IPv6), network order
 * @param bits - prefix length, 0 to 8 × `address.length`
 * @throws CidrError VPCMESH_ERR_CIDR_INVALID for a bad length or byte count;
 *   VPCMESH_ERR_CIDR_HOST_BITS (strict) when bits past `bits` are set
 */
export function prefixFrom(address: Uint8Array, bits: number, opts: PrefixOptions = {}): Prefix {
  const family = familyOf(address)
  if (family === undefined) {
    throw new CidrError(
      CIDR_ERROR_CODES.invalid,
      `cannot make a prefix from ${address.length} address bytes; pass 4 (IPv4) or 16 (IPv6)`,
    )
  }
  const input = `${formatAddress(address)}/${bits}`
  if (!Number.isInteger(bits) || bits < 0 || bits > address.length * 8) {
    throw invalidInput('IP prefix', input, `prefix length must be an integer 0-${address.length * 8}`)
  }
  return build(address, bits, opts.strict ?? true, input)
}
