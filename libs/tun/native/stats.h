// Counter layouts shared with JavaScript (BigUint64Array views). The TypeScript mirror
// is libs/tun/src/stats.ts: keep both in step. All counters are monotonic for the
// engine's lifetime (never reset), except the two marked "session", which restart
// when a session is installed in the slot.
#pragma once

#include <cstddef>

namespace vpcmesh {

// Per slot: slotStats[slot * kSlotStatsStride + field].
enum SlotStat : size_t {
  kTxPackets = 0,     // data messages handed to the kernel (incl. keepalives/control)
  kTxBytes,           // UDP payload bytes of those (header + ciphertext + tag)
  kRxPackets,         // data messages authenticated and fresh (replay window passed)
  kRxBytes,           // UDP payload bytes of those
  kTxDropNoSession,   // slot has no session, or its send counter is exhausted
  kTxDropNoEndpoint,  // session without an endpoint
  kTxDropSendError,   // sendmmsg/sendto refused (EAGAIN, ENOBUFS, EMSGSIZE, ...)
  kTxDropTooBig,      // inner packet larger than the largest datagram allows
  kRxDropReplay,      // counter already seen or older than the window
  kRxDropAuth,        // AEAD authentication failed (tampered, wrong key)
  kRxDropMalformed,   // authenticated payload that is neither IP, keepalive nor control
  kRxDropRejected,    // IP packet not accepted by JavaScript's verdict (anti-spoofing)
  kRxKeepalives,      // authenticated zero-length payloads
  kRxControl,         // authenticated payloads starting with 0x00
  kSendCounter,       // session: the next counter this slot will send
  kRecvNewest,        // session: the newest counter accepted
  kSlotStatsStride
};

// Engine-wide: globalStats[field].
enum GlobalStat : size_t {
  kTunReadPackets = 0,  // packets read from the TUN (a TCP super-packet counts once)
  kTunReadBytes,
  kTunWritePackets,  // packets written to the TUN (a coalesced super-packet counts once)
  kTunWriteBytes,
  kTunDropUnrouted,      // TUN packets JavaScript gave no valid slot (or never sealed)
  kTunWriteErrors,       // write() to the TUN failed (packet dropped)
  kTunReadErrors,        // read() from the TUN failed other than EAGAIN
  kUdpRxDatagrams,       // datagrams received
  kUdpRxRaw,             // non-data datagrams handed to JavaScript
  kUdpDropUnknownIndex,  // data message with a receiver index no session owns
  kUdpDropTooShort,      // shorter than a data header + tag, or empty
  kUdpDropTruncated,     // larger than the receive slot (MSG_TRUNC)
  kUdpRecvErrors,        // recvmmsg failed other than EAGAIN
  kRawTxDatagrams,       // sendRaw datagrams handed to the kernel
  kRawTxErrors,          // sendRaw refused by the kernel
  kTunBatches,           // JavaScript callbacks for TUN batches
  kUdpBatches,           // JavaScript callbacks for UDP batches
  // offload (all zero without it)
  kTunGsoPackets,      // TCP super-packets read from the TUN and segmented
  kTunGsoSegments,     // segments made from them
  kTunDropBadOffload,  // TUN packets with an unusable virtio header or GSO layout
  kUdpGsoFallbacks,    // the kernel refused UDP GSO: switched to one datagram per message
  kUdpCoalesced,       // received TCP segments appended to the previous entry (not separate writes)
  // forwarding (workers >= 1; all zero without it)
  kTunDropNoRoute,    // TUN packets whose destination no route holds
  kTunDropNoSession,  // TUN packets routed to a peer without a send slot
  kTunDropMalformed,  // TUN packets that are not IPv4/IPv6 or too short for their header
  kEventsDropped,     // reports for the JS thread dropped because its queue was full
  kGlobalStatsCount
};

}  // namespace vpcmesh
