import { type DecodedPacket, RECURSION_AVAILABLE, TRUNCATED_RESPONSE, encode } from 'dns-packet'

/** Response codes the forwarder writes itself (RFC 1035 4.1.1). */
export const RCODE = Object.freeze({ servFail: 2, refused: 5 })

/** Opcode, RD and CD bits of a query header, copied into the answers the forwarder makes. */
const QUERY_BITS = 0x7800 | 0x0100 | 0x0010

/**
 * An answer made by the forwarder itself: the query's id and question echoed, no records,
 * RA set, and `rcode` (SERVFAIL on timeout or upstream failure, REFUSED when overloaded).
 */
export function errorReply(query: DecodedPacket, rcode: number): Buffer {
  return encode({
    id: query.id ?? 0,
    type: 'response',
    flags: ((query.flags ?? 0) & QUERY_BITS) | RECURSION_AVAILABLE | rcode,
    questions: query.questions ?? [],
  })
}

/**
 * `answer` cut down to fit a UDP client: TC set, question kept, answer, authority and
 * additional records dropped except OPT, so the client retries over TCP.
 */
export function truncatedReply(answer: DecodedPacket): Buffer {
  return encode({
    id: answer.id ?? 0,
    type: 'response',
    flags: (answer.flags ?? 0) | TRUNCATED_RESPONSE,
    questions: answer.questions ?? [],
    additionals: (answer.additionals ?? []).filter((a) => a.type === 'OPT'),
  })
}
