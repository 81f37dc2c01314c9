// The receive path's pure half: classifying a datagram by message type and, for a data
// message, finding its session, checking the replay window, authenticating and decrypting
// it in place, then classifying the payload. No sockets, no stats: NativeEngine::ProcessDatagram
// (engine_io.cc) counts the outcome; the fuzz targets (libs/tun/native/fuzz/) drive it
// directly.
#pragma once

#include <cstddef>
#include <cstdint>

#include "lane_ciphers.h"
#include "session_table.h"

namespace vpcmesh {

// Kinds of entries in a UDP batch (udpKinds[]). 0 is never used so that a stale zero
// cannot pass for a packet.
enum PacketKind : uint8_t {
  kKindIp = 1,
  kKindKeepalive = 2,
  kKindControl = 3,
  kKindRaw = 4,
  kKindNotice = 5,  // forwarding engines: an IP packet already handled, reported without bytes
};

enum class OpenStatus {
  kRaw,           // not a data message: handed to JS as is (kKindRaw)
  kTooShort,      // shorter than a type field, or a data message shorter than kOverhead
  kUnknownIndex,  // no session has the receiver index
  kReplay,        // counter seen before, too old, or at the reject limit
  kAuthFailed,    // the AEAD tag did not verify
  kOpened,        // authenticated, decrypted and marked in the replay window
};

struct OpenResult {
  OpenStatus status = OpenStatus::kTooShort;
  int slot = -1;          // the session's slot, from kReplay on
  int kind = -1;          // kOpened: a PacketKind, or -1 for a malformed payload
  size_t payloadLen = 0;  // kOpened: plaintext bytes at p + kHeaderSize
  uint64_t newest = 0;    // kOpened: the replay window's newest counter after this one
};

// Classifies an authenticated payload by its first byte: a PacketKind, or -1.
int ClassifyPayload(const uint8_t* p, size_t len);

// Hot path: processes the `len`-byte datagram at `p` as described above. On kOpened the
// plaintext replaces the ciphertext in place; on kAuthFailed the buffer holds garbage.
// `ciphers`: a packet thread's own contexts (nullptr: the session's, JS thread only). Safe
// from several threads at once under the table's read lock.
OpenResult OpenDatagram(SessionTable& sessions, uint8_t* p, size_t len,
                        LaneCiphers* ciphers = nullptr);

}  // namespace vpcmesh
