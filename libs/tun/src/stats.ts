/**
 * Counter layouts of the packet engine, mirroring libs/tun/native/stats.h (same order).
 * All counters are monotonic for the engine's lifetime and never reset, except
 * `sendCounter` and `recvNewest`, which belong to the session currently in the slot.
 */

/** Field names of one slot's counters, in native order. */
export const SLOT_STAT_FIELDS = [
  'txPackets',
  'txBytes',
  'rxPackets',
  'rxBytes',
  'txDropNoSession',
  'txDropNoEndpoint',
  'txDropSendError',
  'txDropTooBig',
  'rxDropReplay',
  'rxDropAuth',
  'rxDropMalformed',
  'rxDropRejected',
  'rxKeepalives',
  'rxControl',
  'sendCounter',
  'recvNewest',
] as const

/** Field names of the engine-wide counters, in native order. */
export const GLOBAL_STAT_FIELDS = [
  'tunReadPackets',
  'tunReadBytes',
  'tunWritePackets',
  'tunWriteBytes',
  'tunDropUnrouted',
  'tunWriteErrors',
  'tunReadErrors',
  'udpRxDatagrams',
  'udpRxRaw',
  'udpDropUnknownIndex',
  'udpDropTooShort',
  'udpDropTruncated',
  'udpRecvErrors',
  'rawTxDatagrams',
  'rawTxErrors',
  'tunBatches',
  'udpBatches',
  'tunGsoPackets',
  'tunGsoSegments',
  'tunDropBadOffload',
  'udpGsoFallbacks',
  'udpCoalesced',
  'tunDropNoRoute',
  'tunDropNoSession',
  'tunDropMalformed',
  'eventsDropped',
] as const

/**
 * Counters of one slot. Bytes are UDP payload bytes (16-byte header + ciphertext + 16-byte
 * tag). tx/rx packets count data messages including keepalives and control payloads.
 * - `txDropNoSession`: no session in the slot (or its send counter is exhausted).
 * - `txDropNoEndpoint`: session without endpoint. `txDropSendError`: the kernel refused
 *   (full socket buffer, unreachable, ...). `txDropTooBig`: larger than a datagram allows.
 * - `rxDropReplay`: counter seen before or older than the window. `rxDropAuth`: AEAD
 *   failure. `rxDropMalformed`: authenticated payload that is not IP, keepalive or control.
 *   `rxDropRejected`: IP packet not accepted by the verdict (anti-spoofing).
 * - `sendCounter`: the next counter this session sends. `recvNewest`: newest accepted.
 */
export type SlotStats = Record<(typeof SLOT_STAT_FIELDS)[number], number>

/**
 * Engine-wide counters: TUN reads/writes, TUN packets no slot took (`tunDropUnrouted`),
 * datagrams received, raw (non-data) datagrams handed over, datagrams dropped before a
 * slot is known (unknown receiver index, too short, truncated), socket errors, sendRaw
 * results, and the number of batch callbacks. With `offload`: TCP super-packets read from
 * the TUN and the segments made of them (`tunGsoPackets`, `tunGsoSegments`), TUN packets
 * with an unusable virtio header (`tunDropBadOffload`), fallbacks from UDP GSO to one
 * datagram per message (`udpGsoFallbacks`) and received segments coalesced into the
 * previous entry (`udpCoalesced`); a super-packet counts once in `tunReadPackets` and
 * `tunWritePackets`. Forwarding engines (`workers` >= 1) count TUN packets with no route,
 * routed to a peer without a send slot, or not IPv4/IPv6 (`tunDropNoRoute`, `tunDropNoSession`,
 * `tunDropMalformed`; `tunDropUnrouted` stays 0), and reports for the JS thread that did not
 * fit in its queue (`eventsDropped`).
 */
export type GlobalStats = Record<(typeof GLOBAL_STAT_FIELDS)[number], number>

/** Reads fields starting at `base` of a counter array into a plain object of numbers. */
export function decodeStats<F extends string>(
  fields: readonly F[],
  arr: BigUint64Array,
  base: number,
): Record<F, number> {
  const out = {} as Record<F, number>
  fields.forEach((name, i) => {
    out[name] = Number(arr[base + i] ?? 0n)
  })
  return out
}
