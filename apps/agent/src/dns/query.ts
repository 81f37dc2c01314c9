import { type DecodedPacket, type Question, decode } from 'dns-packet'

/** Largest query the forwarder accepts, bytes; real queries are far smaller (RFC 8467 pads to 128). */
export const MAX_QUERY_BYTES = 4096

/** The classic UDP answer limit without EDNS0 (RFC 1035). */
export const DEFAULT_UDP_SIZE = 512

/** Why a query was dropped as malformed (logged at debug; the metric has the one reason `malformed`). */
export type MalformedReason = 'oversized' | 'short' | 'response' | 'question_count' | 'record_count' | 'undecodable'

/** A query the forwarder will handle. */
export interface ParsedQuery {
  readonly packet: DecodedPacket
  /** The one question, as the client wrote it. */
  readonly question: Question
  /** Largest UDP answer the client accepts: its EDNS0 size (at least 512), or 512 without EDNS0. */
  readonly udpSize: number
}

/**
 * Checks and decodes one query message. The header is checked before decoding (QR clear,
 * exactly one question, no answer or authority records, at most two additional records (OPT,
 * TSIG), at most {@link MAX_QUERY_BYTES}); never throws.
 */
export function parseQuery(buf: Buffer): ParsedQuery | MalformedReason {
  if (buf.length > MAX_QUERY_BYTES) return 'oversized'
  if (buf.length < 12) return 'short'
  if ((buf[2]! & 0x80) !== 0) return 'response'
  if (buf.readUInt16BE(4) !== 1) return 'question_count'
  if (buf.readUInt16BE(6) !== 0 || buf.readUInt16BE(8) !== 0 || buf.readUInt16BE(10) > 2) return 'record_count'
  let packet: DecodedPacket
  try {
    packet = decode(buf)
  } catch {
    return 'undecodable'
  }
  const question = packet.questions?.[0]
  if (packet.questions?.length !== 1 || question === undefined || typeof question.name !== 'string') {
    return 'question_count'
  }
  return { packet, question, udpSize: udpSizeOf(packet) }
}

function udpSizeOf(packet: DecodedPacket): number {
  const opt = packet.additionals?.find((a) => a.type === 'OPT')
  if (opt === undefined || !('udpPayloadSize' in opt)) return DEFAULT_UDP_SIZE
  return Math.min(65_535, Math.max(DEFAULT_UDP_SIZE, opt.udpPayloadSize))
}
