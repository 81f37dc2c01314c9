// A deliberately naive Internet checksum (RFC 1071) for the fuzz targets to check the
// engine's optimised one (checksum.h) against: big-endian 16-bit words, one at a time,
// folded at every step. Shares no code with the engine.
#pragma once

#include <cstddef>
#include <cstdint>

namespace vpcmesh_fuzz {

inline uint32_t RefAdd(const uint8_t* p, size_t n, uint32_t acc) {
  for (size_t i = 0; i < n; i += 2) {
    uint32_t word = uint32_t(p[i]) << 8 | (i + 1 < n ? p[i + 1] : 0);
    acc += word;
    acc = (acc & 0xffff) + (acc >> 16);
  }
  return acc;
}

inline uint16_t RefFold(uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return uint16_t(acc);
}

inline uint16_t LoadBe16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline uint32_t LoadBe32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

// True if the TCP checksum of the IP packet `p` (`len` bytes, TCP header at `ipLen`)
// verifies: pseudo-header + segment (checksum field included) folds to 0xffff.
inline bool RefTcpChecksumValid(const uint8_t* p, size_t len, size_t ipLen) {
  const bool v4 = (p[0] >> 4) == 4;
  const size_t tcpLen = len - ipLen;
  uint32_t acc = v4 ? RefAdd(p + 12, 8, 0) : RefAdd(p + 8, 32, 0);
  acc = RefAdd(p + ipLen, tcpLen, acc);
  acc += 6;  // protocol TCP
  acc += uint32_t(tcpLen >> 16) + uint32_t(tcpLen & 0xffff);
  return RefFold(acc) == 0xffff;
}

// True if the IPv4 header checksum over `ipLen` bytes verifies.
inline bool RefIpv4ChecksumValid(const uint8_t* p, size_t ipLen) {
  return RefFold(RefAdd(p, ipLen, 0)) == 0xffff;
}

}  // namespace vpcmesh_fuzz
