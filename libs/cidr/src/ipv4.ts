/**
 * IPv4 dotted-quad text ⇄ 4 bytes. Strict: exactly four decimal octets 0-255, no leading
 * zeros (`010` is octal to inet_aton but decimal to others, so we refuse to guess), no
 * shorthand forms (`10.1`, `0x0a.0.0.1`, `167772161`).
 */

/** Length in bytes of an IPv4 address. */
export const IPV4_BYTES = 4

const DECIMAL = /^[0-9]{1,3}$/

/** Parses one octet; returns its value, or a reason the text is not one. */
function parseOctet(text: string): number | string {
  if (!DECIMAL.test(text)) return `octet ${JSON.stringify(text)} is not a decimal number 0-255`
  const value = Number(text)
  if (text.length > 1 && text.startsWith('0')) {
    return `octet "${text}" has a leading zero (ambiguous: some tools read it as octal); write ${value}`
  }
  if (value > 255) return `octet ${text} is larger than 255`
  return value
}

/**
 * Parses IPv4 text such as `192.0.2.1`.
 * @returns 4 new bytes in network order, or a human reason why `text` is not valid IPv4
 */
export function parseIPv4Text(text: string): Uint8Array | string {
  const parts = text.split('.')
  if (parts.length !== 4) return 'IPv4 needs exactly four dot-separated decimal octets, e.g. 192.0.2.1'
  const out = new Uint8Array(IPV4_BYTES)
  for (let i = 0; i < IPV4_BYTES; i++) {
    const octet = parseOctet(parts[i] ?? '')
    if (typeof octet === 'string') return octet
    out[i] = octet
  }
  return out
}

/** Formats 4 bytes starting at `offset` of `bytes` as dotted-quad text. Caller checks bounds. */
export function formatIPv4Text(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`
}
