// Wire format of vpcmesh tunnel messages (WireGuard-like, little-endian).
// See https://www.wireguard.com/protocol/ for the layout this mirrors.
//
//   data message:  0      1..3    4..7             8..15          16..
//                  type=4 zero    receiver index   counter (LE)   AEAD(inner packet) | tag(16)
//
// The 16-byte header is the AEAD's additional data. Nonce = 4 zero bytes + counter (LE).
// Every other message type (1, 2, 3 handshake/cookie, anything else) is not handled
// natively: it is handed to JavaScript raw.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace vpcmesh {

// --- message header -------------------------------------------------------------
constexpr uint32_t kTypeData = 4;                     // bytes 0..3 as a LE u32
constexpr size_t kOffsetReceiver = 4;                 // bytes 4..7: receiver index (LE u32)
constexpr size_t kOffsetCounter = 8;                  // bytes 8..15: counter (LE u64)
constexpr size_t kHeaderSize = 16;                    // also the AAD
constexpr size_t kTagSize = 16;                       // AEAD tag after the ciphertext
constexpr size_t kOverhead = kHeaderSize + kTagSize;  // 32 bytes per data message
constexpr size_t kNonceSize = 12;                     // 4 zero bytes + 8-byte LE counter
constexpr size_t kKeySize = 32;

// --- limits ---------------------------------------------------------------------
// A session must never send or accept a counter at or above this (WireGuard's
// REJECT_AFTER_MESSAGES = 2^64 - 2^13 - 1); TypeScript rekeys long before.
constexpr uint64_t kRejectAfterMessages = UINT64_MAX - (1ull << 13);
// Largest UDP payload over IPv4 (65535 - 20 IP - 8 UDP).
constexpr size_t kMaxDatagram = 65507;
constexpr size_t kMaxInnerPacket = kMaxDatagram - kOverhead;

// --- inner payload classes --------------------------------------------------------
// The first byte of a decrypted payload: 0x4_ IPv4, 0x6_ IPv6, 0x00 in-tunnel control.
constexpr uint8_t kControlFirstByte = 0x00;

inline uint32_t LoadLe32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
inline uint64_t LoadLe64(const uint8_t* p) {
  return uint64_t(LoadLe32(p)) | uint64_t(LoadLe32(p + 4)) << 32;
}
inline void StoreLe32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = uint8_t(v >> (8 * i));
}
inline void StoreLe64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = uint8_t(v >> (8 * i));
}

// Writes the 16-byte data-message header at `p`.
inline void WriteDataHeader(uint8_t* p, uint32_t receiver, uint64_t counter) {
  StoreLe32(p, kTypeData);
  StoreLe32(p + kOffsetReceiver, receiver);
  StoreLe64(p + kOffsetCounter, counter);
}

// The 12-byte AEAD nonce for `counter`.
inline void MakeNonce(uint8_t nonce[kNonceSize], uint64_t counter) {
  std::memset(nonce, 0, 4);
  StoreLe64(nonce + 4, counter);
}

}  // namespace vpcmesh
