/**
 * IPv6 text ⇄ 16 bytes. Input follows RFC 4291 §2.2: eight groups of 1-4 hex digits, at
 * most one `::`, and optionally the last 32 bits as dotted IPv4 (`::ffff:192.0.2.1`).
 * Zone ids (`fe80::1%eth0`), brackets and whitespace are rejected.
 * Output follows RFC 5952 (https://www.rfc-editor.org/rfc/rfc5952#section-4).
 */
import { parseIPv4Text, formatIPv4Text } from './ipv4.js'

/** Length in bytes of an IPv6 address. */
export const IPV6_BYTES = 16

const GROUPS = 8
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/

/** Parses `a:b:c` (no `::`) into 16-bit values; the last element may be dotted IPv4 when `v4Tail`. */
function parseGroups(text: string, v4Tail: boolean): number[] | string {
  if (text === '') return []
  const parts = text.split(':')
  const out: number[] = []
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? ''
    if (v4Tail && i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIPv4Text(part)
      if (typeof v4 === 'string') return `embedded IPv4 part: ${v4}`
      out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!)
    } else if (HEX_GROUP.test(part)) {
      out.push(parseInt(part, 16))
    } else {
      return part === ''
        ? 'empty group (stray ":"); use "::" once to skip zero groups'
        : `group ${JSON.stringify(part)} is not 1-4 hex digits`
    }
  }
  return out
}

/** Joins head and tail groups around an optional `::` gap into 16 bytes, or a reason. */
function assemble(head: number[], tail: number[], gap: boolean): Uint8Array | string {
  const given = head.length + tail.length
  if (!gap && given !== GROUPS) return `IPv6 needs 8 groups, found ${given}; use "::" to skip zero groups`
  if (gap && given > GROUPS - 1) return `"::" must stand for at least one zero group, but ${given} groups are given`
  const groups = [...head, ...new Array<number>(GROUPS - given).fill(0), ...tail]
  const out = new Uint8Array(IPV6_BYTES)
  groups.forEach((g, i) => {
    out[2 * i] = g >>> 8
    out[2 * i + 1] = g & 0xff
  })
  return out
}

/**
 * Parses IPv6 text such as `2001:db8::1` or `::ffff:192.0.2.1`.
 * @returns 16 new bytes in network order, or a human reason why `text` is not valid IPv6
 */
export function parseIPv6Text(text: string): Uint8Array | string {
  if (text.includes('%')) return 'zone ids (such as "%eth0") are not accepted; remove the %zone suffix'
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return 'IPv6 may contain only hex digits, ":" and a trailing dotted IPv4 part'
  const halves = text.split('::')
  if (halves.length > 2) return '"::" may appear only once'
  const gap = halves.length === 2
  const head = parseGroups(halves[0] ?? '', !gap)
  if (typeof head === 'string') return head
  const tail = parseGroups(halves[1] ?? '', true)
  if (typeof tail === 'string') return tail
  return assemble(head, tail, gap)
}

/** True when the 16 bytes at `offset` are IPv4-mapped (`::ffff:0:0/96`, RFC 4291 §2.5.5.2). */
function isV4Mapped(bytes: Uint8Array, offset: number): boolean {
  for (let i = 0; i < 10; i++) if (bytes[offset + i] !== 0) return false
  return bytes[offset + 10] === 0xff && bytes[offset + 11] === 0xff
}

/** Start and length of the first longest run of two or more zero groups, or length 0. */
function longestZeroRun(groups: number[]): { start: number; len: number } {
  let best = { start: -1, len: 0 }
  let start = -1
  for (let i = 0; i <= groups.length; i++) {
    if (i < groups.length && groups[i] === 0) {
      if (start < 0) start = i
    } else if (start >= 0) {
      if (i - start > best.len && i - start >= 2) best = { start, len: i - start }
      start = -1
    }
  }
  return best
}

/**
 * Formats 16 bytes starting at `offset` as RFC 5952 text: lowercase hex, no leading zeros,
 * the first longest run of 2+ zero groups as `::`; IPv4-mapped addresses use the mixed
 * notation `::ffff:192.0.2.1` (RFC 5952 §5). Caller checks bounds.
 */
export function formatIPv6Text(bytes: Uint8Array, offset = 0): string {
  if (isV4Mapped(bytes, offset)) return `::ffff:${formatIPv4Text(bytes, offset + 12)}`
  const groups: number[] = []
  for (let i = 0; i < GROUPS; i++) groups.push((bytes[offset + 2 * i]! << 8) | bytes[offset + 2 * i + 1]!)
  const run = longestZeroRun(groups)
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':')
  if (run.len === 0) return hex(groups)
  return `${hex(groups.slice(0, run.start))}::${hex(groups.slice(run.start + run.len))}`
}
