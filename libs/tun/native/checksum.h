// The Internet checksum (RFC 1071) and the TCP pseudo-header sums (RFC 9293 §3.1 for
// IPv4, RFC 8200 §8.1 for IPv6).
//
// Sums are accumulated over native-order words in a 64-bit accumulator and folded at the
// end. RFC 1071 §2(B) (byte-order independence) lets a folded native-order sum be stored
// back with a native store and come out right on the wire, so nothing is byte-swapped.
// Pieces summed separately must each start at an even offset of the checksummed data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace vpcmesh {

constexpr uint8_t kIpProtoTcp = 6;   // RFC 9293
constexpr uint8_t kIpProtoUdp = 17;  // RFC 768

// Hot loop: adds the bytes [p, p+n) to `acc` as 16-bit words (a trailing odd byte is
// padded with zero, RFC 1071 §4.1).
inline uint64_t ChecksumAdd(const uint8_t* p, size_t n, uint64_t acc) {
  uint32_t w[4];
  while (n >= 16) {
    std::memcpy(w, p, 16);
    acc += uint64_t(w[0]) + w[1] + w[2] + w[3];
    p += 16;
    n -= 16;
  }
  while (n >= 4) {
    std::memcpy(w, p, 4);
    acc += w[0];
    p += 4;
    n -= 4;
  }
  uint16_t h = 0;
  if (n >= 2) {
    std::memcpy(&h, p, 2);
    acc += h;
    p += 2;
    n -= 2;
  }
  if (n == 1) {
    uint8_t last[2] = {p[0], 0};
    std::memcpy(&h, last, 2);
    acc += h;
  }
  return acc;
}

// Folds a sum to 16 bits (end-around carry), native order, not complemented.
inline uint16_t ChecksumFold(uint64_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return uint16_t(acc);
}

// The 16-bit field value (complemented fold) as bytes, ready to memcpy into a header.
inline void StoreChecksum(uint8_t* field, uint64_t acc) {
  uint16_t v = uint16_t(~ChecksumFold(acc));
  std::memcpy(field, &v, 2);
}

// Sum of the TCP/UDP pseudo-header: source and destination address (4 or 16 bytes each,
// taken from the IP header), protocol and upper-layer length.
inline uint64_t PseudoHeaderSum(const uint8_t* src, const uint8_t* dst, size_t addrLen,
                                uint8_t proto, uint32_t length) {
  uint64_t acc = ChecksumAdd(src, addrLen, 0);
  acc = ChecksumAdd(dst, addrLen, acc);
  uint8_t tail[8] = {
      0, 0,    uint8_t(length >> 24), uint8_t(length >> 16), uint8_t(length >> 8), uint8_t(length),
      0, proto};
  return ChecksumAdd(tail, sizeof tail, acc);  // zero-padded words: same sum for both layouts
}

}  // namespace vpcmesh
