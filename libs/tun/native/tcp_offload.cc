#include "tcp_offload.h"

#include <algorithm>
#include <cstring>

#include "checksum.h"

namespace vpcmesh {

namespace {

uint16_t LoadBe16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t LoadBe32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
void StoreBe16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
void StoreBe32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = uint8_t(v >> (24 - 8 * i));
}

constexpr uint8_t kCoalesceRefusedFlags = kTcpSyn | kTcpFin | kTcpRst | kTcpUrg | kTcpCwr | kTcpPsh;
constexpr uint16_t kTcpChecksumOffset = uint16_t(kTcpOffChecksum);
constexpr uint16_t kUdpChecksumOffset = 6;  // RFC 768

// The pseudo-header sum of a TCP segment of `tcpLen` bytes inside IP packet `p`.
uint64_t TcpPseudoSum(const uint8_t* p, const TcpPacket& t, size_t tcpLen) {
  if (t.version == 4)
    return PseudoHeaderSum(p + kIpv4OffSource, p + kIpv4OffSource + 4, 4, kIpProtoTcp,
                           uint32_t(tcpLen));
  return PseudoHeaderSum(p + kIpv6OffSource, p + kIpv6OffSource + 16, 16, kIpProtoTcp,
                         uint32_t(tcpLen));
}

// True if the TCP checksum of the whole packet verifies (RFC 1071 §1: the sum over the
// data including the checksum field folds to all ones).
bool TcpChecksumValid(const uint8_t* p, size_t len, const TcpPacket& t) {
  uint64_t acc = TcpPseudoSum(p, t, len - t.ipLen);
  return ChecksumFold(ChecksumAdd(p + t.ipLen, len - t.ipLen, acc)) == 0xffff;
}

// True if the IP header's length field says exactly `len` bytes.
bool IpLengthMatches(const uint8_t* p, size_t len, const TcpPacket& t) {
  if (t.version == 4) return LoadBe16(p + kIpv4OffTotalLength) == len;
  return size_t(LoadBe16(p + kIpv6OffPayloadLength)) + kIpv6Header == len;
}

// Sets the IP length fields of a packet of `len` bytes (and the IPv4 ID and checksum).
void WriteIpLength(uint8_t* p, const TcpPacket& t, size_t len, uint16_t id) {
  if (t.version == 6) return StoreBe16(p + kIpv6OffPayloadLength, uint16_t(len - kIpv6Header));
  StoreBe16(p + kIpv4OffTotalLength, uint16_t(len));
  StoreBe16(p + kIpv4OffId, id);
  std::memset(p + kIpv4OffChecksum, 0, 2);
  StoreChecksum(p + kIpv4OffChecksum, ChecksumAdd(p, t.ipLen, 0));
}

}  // namespace

VnetHeader LoadVnetHeader(const uint8_t* p) {
  VnetHeader h;
  h.flags = p[0];
  h.gsoType = p[1];
  std::memcpy(&h.hdrLen, p + 2, 2);
  std::memcpy(&h.gsoSize, p + 4, 2);
  std::memcpy(&h.csumStart, p + 6, 2);
  std::memcpy(&h.csumOffset, p + 8, 2);
  return h;
}

void StoreVnetHeader(uint8_t* p, const VnetHeader& h) {
  p[0] = h.flags;
  p[1] = h.gsoType;
  std::memcpy(p + 2, &h.hdrLen, 2);
  std::memcpy(p + 4, &h.gsoSize, 2);
  std::memcpy(p + 6, &h.csumStart, 2);
  std::memcpy(p + 8, &h.csumOffset, 2);
}

bool ParseTcpPacket(const uint8_t* p, size_t len, TcpPacket* out) {
  if (len < 1) return false;
  TcpPacket t;
  t.version = p[0] >> 4;
  if (t.version == 4) {
    t.ipLen = size_t(p[0] & 0x0f) * 4;
    if (len < kIpv4MinHeader || t.ipLen < kIpv4MinHeader || p[kIpv4OffProtocol] != kIpProtoTcp)
      return false;
    if (LoadBe16(p + kIpv4OffFlagsFragment) & (kIpv4MoreFragments | kIpv4FragmentOffsetMask))
      return false;
  } else if (t.version == 6) {
    t.ipLen = kIpv6Header;
    if (len < kIpv6Header || p[kIpv6OffNextHeader] != kIpProtoTcp) return false;
  } else {
    return false;
  }
  if (len < t.ipLen + kTcpMinHeader) return false;
  size_t tcpLen = size_t(p[t.ipLen + kTcpOffDataOffset] >> 4) * 4;
  t.hdrLen = t.ipLen + tcpLen;
  if (tcpLen < kTcpMinHeader || len < t.hdrLen) return false;
  *out = t;
  return true;
}

bool CompleteChecksum(uint8_t* p, size_t len, size_t start, size_t offset) {
  if (start >= len || offset + 2 > len - start) return false;
  uint8_t* field = p + start + offset;
  StoreChecksum(field, ChecksumAdd(p + start, len - start, 0));
  if (offset == kUdpChecksumOffset && field[0] == 0 && field[1] == 0)
    field[0] = field[1] = 0xff;  // RFC 768
  return true;
}

bool PrepareTunPacket(uint8_t* p, size_t len, VnetHeader* h) {
  uint8_t gso = h->gsoType & uint8_t(~kVnetGsoEcn);
  if (gso == kVnetGsoTcpV4 || gso == kVnetGsoTcpV6) return h->gsoSize > 0;
  if (gso != kVnetGsoNone) return false;
  if ((h->flags & kVnetNeedsCsum) == 0) return true;
  if (!CompleteChecksum(p, len, h->csumStart, h->csumOffset)) return false;
  h->flags &= uint8_t(~kVnetNeedsCsum);
  return true;
}

// Hot loop: one iteration per segment (copy headers + payload, fix fields, checksum).
int SegmentTcpHeaders(const uint8_t* pkt, size_t len, const VnetHeader& h, size_t mtu,
                      uint8_t* out, size_t stride, size_t maxSegments, uint32_t* lens,
                      size_t* hdrLen) {
  TcpPacket t;
  uint8_t gso = h.gsoType & uint8_t(~kVnetGsoEcn);
  if (!ParseTcpPacket(pkt, len, &t) || h.gsoSize == 0 || len == t.hdrLen) return kSegmentMalformed;
  if (gso != (t.version == 4 ? kVnetGsoTcpV4 : kVnetGsoTcpV6)) return kSegmentMalformed;
  const size_t payload = len - t.hdrLen, size = h.gsoSize;
  const size_t count = (payload + size - 1) / size;
  if (t.hdrLen + std::min(size, payload) > mtu) return kSegmentTooBig;
  if (count > maxSegments) return kSegmentTooMany;
  const uint32_t seq0 = LoadBe32(pkt + t.ipLen + kTcpOffSequence);
  const uint16_t id0 = t.version == 4 ? LoadBe16(pkt + kIpv4OffId) : 0;
  const uint8_t flags0 = pkt[t.ipLen + kTcpOffFlags];
  const size_t tcpHdr = t.hdrLen - t.ipLen;  // a multiple of 4: the payload's sum continues it
  for (size_t k = 0; k < count; k++) {
    uint8_t* seg = out + k * stride;
    const uint8_t* data = pkt + t.hdrLen + k * size;
    const size_t chunk = std::min(size, payload - k * size), segLen = t.hdrLen + chunk;
    std::memcpy(seg, pkt, t.hdrLen);
    WriteIpLength(seg, t, segLen, uint16_t(id0 + k));
    uint8_t* tcp = seg + t.ipLen;
    StoreBe32(tcp + kTcpOffSequence, seq0 + uint32_t(k * size));
    uint8_t flags = flags0;
    if (k + 1 != count) flags &= uint8_t(~(kTcpFin | kTcpPsh));
    if (k != 0) flags &= uint8_t(~kTcpCwr);
    tcp[kTcpOffFlags] = flags;
    std::memset(tcp + kTcpOffChecksum, 0, 2);
    uint64_t sum = ChecksumAdd(tcp, tcpHdr, TcpPseudoSum(seg, t, segLen - t.ipLen));
    StoreChecksum(tcp + kTcpOffChecksum, ChecksumAdd(data, chunk, sum));
    lens[k] = uint32_t(segLen);
  }
  *hdrLen = t.hdrLen;
  return int(count);
}

int SegmentTcp(const uint8_t* pkt, size_t len, const VnetHeader& h, size_t mtu, uint8_t* out,
               size_t stride, size_t maxSegments, uint32_t* lens) {
  size_t hdrLen = 0;
  int n = SegmentTcpHeaders(pkt, len, h, mtu, out, stride, maxSegments, lens, &hdrLen);
  for (int k = 0; k < n; k++)
    std::memcpy(out + size_t(k) * stride + hdrLen, pkt + hdrLen + size_t(k) * h.gsoSize,
                lens[k] - hdrLen);
  return n;
}

// --- TcpCoalescer ------------------------------------------------------------------

bool TcpCoalescer::Start(uint8_t* pkt, size_t len, size_t room) {
  head_ = nullptr;
  TcpPacket t;
  if (!ParseTcpPacket(pkt, len, &t) || !IpLengthMatches(pkt, len, t) || len == t.hdrLen)
    return false;
  if (pkt[t.ipLen + kTcpOffFlags] & kCoalesceRefusedFlags) return false;
  if (!TcpChecksumValid(pkt, len, t)) return false;
  head_ = pkt;
  len_ = len;
  room_ = std::min(room, kMaxIpPacket);
  count_ = 1;
  t_ = t;
  gsoSize_ = len - t.hdrLen;
  nextSeq_ = LoadBe32(pkt + t.ipLen + kTcpOffSequence) + uint32_t(gsoSize_);
  last_ = psh_ = false;
  return true;
}

// Same flow, same headers apart from length/ID/checksum/sequence/window, next in order.
bool TcpCoalescer::Continues(const uint8_t* seg, size_t len, const TcpPacket& t) const {
  const uint8_t* a = head_;
  if (t.version != t_.version || t.ipLen != t_.ipLen || t.hdrLen != t_.hdrLen) return false;
  if (t.version == 4) {
    if (std::memcmp(a, seg, 2) != 0 ||
        std::memcmp(a + 6, seg + 6, 4) != 0 ||             // ver/IHL/TOS; flags/TTL/proto
        std::memcmp(a + 12, seg + 12, t.ipLen - 12) != 0)  // addresses, options
      return false;
    if (LoadBe16(seg + kIpv4OffId) != uint16_t(LoadBe16(a + kIpv4OffId) + count_)) return false;
  } else if (std::memcmp(a, seg, 4) != 0 || std::memcmp(a + 6, seg + 6, kIpv6Header - 6) != 0) {
    return false;  // traffic class/flow label; next header/hop limit/addresses
  }
  const uint8_t* x = a + t.ipLen;
  const uint8_t* y = seg + t.ipLen;
  return std::memcmp(x, y, 4) == 0 &&  // ports
         LoadBe32(y + kTcpOffSequence) == nextSeq_ &&
         std::memcmp(x + kTcpOffAck, y + kTcpOffAck, 5) == 0 &&  // ACK, data offset
         (y[kTcpOffFlags] & uint8_t(~kTcpPsh)) == x[kTcpOffFlags] &&
         std::memcmp(x + kTcpMinHeader, y + kTcpMinHeader, t.hdrLen - t.ipLen - kTcpMinHeader) ==
             0;  // options
}

bool TcpCoalescer::Append(const uint8_t* seg, size_t len) {
  TcpPacket t;
  if (head_ == nullptr || last_ || !ParseTcpPacket(seg, len, &t) || !IpLengthMatches(seg, len, t))
    return false;
  const size_t payload = len - t.hdrLen;
  if (payload == 0 || payload > gsoSize_ || len_ + payload > room_) return false;
  if (!Continues(seg, len, t) || !TcpChecksumValid(seg, len, t)) return false;
  const bool psh = seg[t.ipLen + kTcpOffFlags] & kTcpPsh;
  std::memmove(head_ + len_, seg + t.hdrLen, payload);
  len_ += payload;
  count_++;
  nextSeq_ += uint32_t(payload);
  last_ = psh || payload < gsoSize_;
  psh_ = psh;
  return true;
}

size_t TcpCoalescer::Finish(VnetHeader* h) {
  *h = VnetHeader{};
  size_t len = len_;
  if (head_ != nullptr && count_ > 1) {
    WriteIpLength(head_, t_, len, t_.version == 4 ? LoadBe16(head_ + kIpv4OffId) : 0);
    uint8_t* tcp = head_ + t_.ipLen;
    if (psh_) tcp[kTcpOffFlags] |= kTcpPsh;
    uint16_t partial = ChecksumFold(
        TcpPseudoSum(head_, t_, len - t_.ipLen));  // not complemented: the kernel finishes it
    std::memcpy(tcp + kTcpOffChecksum, &partial, 2);
    h->flags = kVnetNeedsCsum;
    h->gsoType = t_.version == 4 ? kVnetGsoTcpV4 : kVnetGsoTcpV6;
    h->hdrLen = uint16_t(t_.hdrLen);
    h->gsoSize = uint16_t(gsoSize_);
    h->csumStart = uint16_t(t_.ipLen);
    h->csumOffset = kTcpChecksumOffset;
  }
  head_ = nullptr;
  count_ = 0;
  return len;
}

}  // namespace vpcmesh
