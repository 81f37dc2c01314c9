// libFuzzer target: TCP coalescing (TcpCoalescer), as NativeEngine::ReportIp and CloseGroup
// (lane_offload.cc) drive it over one UDP GRO buffer of opened datagrams.
//
// Input: records [ctl][u16 LE length][bytes]. ctl bit 0 clear: the bytes are a segment.
// Set: the segment continues the previous one (its headers, next sequence number, IPv4 ID
// + 1) with the bytes as payload; bit 4 then sets PSH, bit 5 FIN, bit 6 flips the TCP
// window. ctl bit 1: fix the IP length and the IPv4 and TCP checksums. The segments lie
// back to back in one exactly sized buffer; each is appended to the open group or starts
// a new one, as in the engine. Checked for every finished group: it stays inside its room
// and 64 KiB, a single segment is left byte for byte as it was, and a group of several
// carries a consistent virtio header, and SegmentTcp splits it back into the original
// segments: identical except checksums (which must verify), the window and the urgent
// pointer (taken from the first segment; URG is never coalesced).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "checksum.h"
#include "fuzz_check.h"
#include "reference_checksum.h"
#include "tcp_offload.h"

using namespace vpcmesh;
using vpcmesh_fuzz::LoadBe16;

namespace {

using Bytes = std::vector<uint8_t>;

void StoreBe16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
void StoreBe32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = uint8_t(v >> (24 - 8 * i));
}

// Sets the IP length and recomputes the IPv4 header and TCP checksums (reference sums).
void FixUp(Bytes& s) {
  TcpPacket t;
  if (!ParseTcpPacket(s.data(), s.size(), &t) || s.size() > kMaxIpPacket) return;
  uint8_t* p = s.data();
  if (t.version == 4) {
    StoreBe16(p + kIpv4OffTotalLength, uint16_t(s.size()));
    StoreBe16(p + kIpv4OffChecksum, 0);
    StoreBe16(p + kIpv4OffChecksum,
              uint16_t(~vpcmesh_fuzz::RefFold(vpcmesh_fuzz::RefAdd(p, t.ipLen, 0))));
  } else {
    StoreBe16(p + kIpv6OffPayloadLength, uint16_t(s.size() - kIpv6Header));
  }
  uint8_t* tcp = p + t.ipLen;
  StoreBe16(tcp + kTcpOffChecksum, 0);
  const size_t tcpLen = s.size() - t.ipLen;
  uint32_t acc =
      t.version == 4 ? vpcmesh_fuzz::RefAdd(p + 12, 8, 0) : vpcmesh_fuzz::RefAdd(p + 8, 32, 0);
  acc = vpcmesh_fuzz::RefAdd(tcp, tcpLen, acc + 6 + uint32_t(tcpLen >> 16) + (tcpLen & 0xffff));
  StoreBe16(tcp + kTcpOffChecksum, uint16_t(~vpcmesh_fuzz::RefFold(acc)));
}

// The segment following `prev` with payload [body, body+n).
Bytes Continue(const Bytes& prev, const uint8_t* body, size_t n, uint8_t ctl) {
  TcpPacket t;
  if (!ParseTcpPacket(prev.data(), prev.size(), &t)) return Bytes(body, body + n);
  Bytes s(prev.begin(), prev.begin() + long(t.hdrLen));
  s.insert(s.end(), body, body + n);
  uint8_t* tcp = s.data() + t.ipLen;
  uint32_t seq = vpcmesh_fuzz::LoadBe32(tcp + kTcpOffSequence);
  StoreBe32(tcp + kTcpOffSequence, seq + uint32_t(prev.size() - t.hdrLen));
  if (t.version == 4) StoreBe16(s.data() + kIpv4OffId, uint16_t(LoadBe16(s.data() + 4) + 1));
  tcp[kTcpOffFlags] &= uint8_t(~(kTcpPsh | kTcpFin));
  if (ctl & 0x10) tcp[kTcpOffFlags] |= kTcpPsh;
  if (ctl & 0x20) tcp[kTcpOffFlags] |= kTcpFin;
  if (ctl & 0x40) tcp[14] ^= 0x01;  // window
  return s;
}

std::vector<Bytes> Segments(const uint8_t* data, size_t size) {
  std::vector<Bytes> segs;
  size_t total = 0;
  for (size_t i = 0; i + 3 <= size && segs.size() < 256;) {
    const uint8_t ctl = data[i];
    size_t n = std::min<size_t>(size_t(data[i + 1]) | size_t(data[i + 2]) << 8, size - i - 3);
    const uint8_t* body = data + i + 3;
    i += 3 + n;
    Bytes s =
        (ctl & 1) && !segs.empty() ? Continue(segs.back(), body, n, ctl) : Bytes(body, body + n);
    if (ctl & 2) FixUp(s);
    if (s.empty() || total + s.size() > 4 * kMaxIpPacket) break;
    total += s.size();
    segs.push_back(std::move(s));
  }
  return segs;
}

// Header bytes that may differ between an original segment and its resegmented copy.
bool MayDiffer(const TcpPacket& t, size_t i) {
  if (t.version == 4 && (i == kIpv4OffChecksum || i == kIpv4OffChecksum + 1)) return true;
  if (i < t.ipLen) return false;
  const size_t o = i - t.ipLen;
  return o >= 14 && o < 20;  // window, checksum, urgent pointer
}

void CheckGroup(const uint8_t* head, size_t len, size_t room, const VnetHeader& h,
                const std::vector<const Bytes*>& originals) {
  FUZZ_CHECK(len <= room && len <= kMaxIpPacket);
  if (originals.size() == 1) {
    FUZZ_CHECK(h.gsoType == 0 && h.flags == 0 && h.gsoSize == 0);
    return FUZZ_CHECK(len == originals[0]->size() &&
                      std::memcmp(head, originals[0]->data(), len) == 0);
  }
  TcpPacket t;
  FUZZ_CHECK(ParseTcpPacket(head, len, &t));
  FUZZ_CHECK(h.flags == kVnetNeedsCsum && h.hdrLen == t.hdrLen && h.csumStart == t.ipLen &&
             h.csumOffset == kTcpOffChecksum);
  FUZZ_CHECK(h.gsoType == (t.version == 4 ? kVnetGsoTcpV4 : kVnetGsoTcpV6));
  FUZZ_CHECK(h.gsoSize == originals[0]->size() - t.hdrLen);
  // The partial checksum the kernel completes: the pseudo-header sum, not complemented.
  uint16_t partial;
  std::memcpy(&partial, head + t.ipLen + kTcpOffChecksum, 2);
  const size_t tcpLen = len - t.ipLen;
  const uint8_t* src = head + (t.version == 4 ? kIpv4OffSource : kIpv6OffSource);
  const size_t alen = t.version == 4 ? 4 : 16;
  FUZZ_CHECK(partial ==
             ChecksumFold(PseudoHeaderSum(src, src + alen, alen, kIpProtoTcp, uint32_t(tcpLen))));
  std::vector<uint8_t> out(originals.size() * len);
  std::vector<uint32_t> lens(originals.size());
  const int n = SegmentTcp(head, len, h, len, out.data(), len, originals.size(), lens.data());
  FUZZ_CHECK(n == int(originals.size()));
  for (size_t k = 0; k < originals.size(); k++) {
    const Bytes& o = *originals[k];
    const uint8_t* seg = out.data() + k * len;
    FUZZ_CHECK(lens[k] == o.size());
    for (size_t i = 0; i < o.size(); i++) FUZZ_CHECK(MayDiffer(t, i) || seg[i] == o[i]);
    FUZZ_CHECK(vpcmesh_fuzz::RefTcpChecksumValid(seg, o.size(), t.ipLen));
    FUZZ_CHECK(vpcmesh_fuzz::RefTcpChecksumValid(o.data(), o.size(), t.ipLen));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<Bytes> segs = Segments(data, size);
  size_t total = 0;
  for (const Bytes& s : segs) total += s.size();
  Bytes buf(total);  // one GRO buffer, exactly sized
  std::vector<size_t> offsets;
  for (size_t i = 0, off = 0; i < segs.size(); off += segs[i++].size()) {
    offsets.push_back(off);
    std::memcpy(buf.data() + off, segs[i].data(), segs[i].size());
  }
  TcpCoalescer c;
  std::vector<const Bytes*> group;
  size_t headOffset = 0;
  auto finish = [&]() {
    if (!c.open()) return;
    FUZZ_CHECK(c.segments() == group.size());
    VnetHeader h;
    const size_t len = c.Finish(&h);
    CheckGroup(buf.data() + headOffset, len, total - headOffset, h, group);
  };
  for (size_t i = 0; i < segs.size(); i++) {
    if (c.open() && c.Append(buf.data() + offsets[i], segs[i].size())) {
      group.push_back(&segs[i]);
      continue;
    }
    finish();
    group.assign(1, &segs[i]);
    headOffset = offsets[i];
    c.Start(buf.data() + offsets[i], segs[i].size(), total - offsets[i]);
  }
  finish();
  return 0;
}
