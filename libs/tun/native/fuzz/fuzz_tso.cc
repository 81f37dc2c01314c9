// libFuzzer target: TSO segmentation (SegmentTcp), as NativeEngine::SealSuperPacket
// (lane_offload.cc) drives it. Input: 2 bytes choosing the MTU (576..9000) and the
// segment limit (1..64), the 10-byte virtio_net_hdr, then the super-packet. Packets that
// PrepareTunPacket refuses, or without GSO, never reach SegmentTcp and are skipped.
// Segments go into an arena of exactly maxSegments slots of the engine's stride, each at
// the data header's offset with room for the AEAD tag, so ASan sees any overrun. Checked
// for every segment: at most MTU bytes, headers that parse, IP length fields that match,
// a TCP checksum that verifies (naive reference), the sequence number and IPv4 ID of its
// position, FIN/PSH only on the last and CWR only on the first, every other header byte
// as in the super-packet, and payloads that concatenate to the super-packet's payload.
// Success needs a GSO type matching the IP version; errors match their documented causes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz_check.h"
#include "reference_checksum.h"
#include "tcp_offload.h"
#include "wire_format.h"

using namespace vpcmesh;
using vpcmesh_fuzz::LoadBe16;
using vpcmesh_fuzz::LoadBe32;

namespace {

constexpr size_t kMinMtu = 576;
constexpr size_t kMaxMtu = 9000;
constexpr size_t kAlign = 64;

// Header bytes that segmentation may change: IP length, ID and checksum, TCP sequence,
// flags and checksum.
bool MayDiffer(const TcpPacket& t, size_t i) {
  if (t.version == 4 && (i == 2 || i == 3 || i == 4 || i == 5 || i == 10 || i == 11)) return true;
  if (t.version == 6 && (i == 4 || i == 5)) return true;
  if (i < t.ipLen) return false;
  const size_t o = i - t.ipLen;
  return (o >= kTcpOffSequence && o < kTcpOffSequence + 4) || o == kTcpOffFlags ||
         o == kTcpOffChecksum || o == kTcpOffChecksum + 1;
}

void CheckSegments(const std::vector<uint8_t>& pkt, const TcpPacket& t, const VnetHeader& h,
                   size_t mtu, const uint8_t* out, size_t stride, int n, const uint32_t* lens) {
  const uint8_t* p = pkt.data();
  const size_t payload = pkt.size() - t.hdrLen;
  FUZZ_CHECK(size_t(n) == (payload + h.gsoSize - 1) / h.gsoSize);
  const uint8_t flags0 = p[t.ipLen + kTcpOffFlags];
  size_t done = 0;
  for (int k = 0; k < n; k++) {
    const uint8_t* seg = out + size_t(k) * stride;
    const size_t len = lens[k];
    FUZZ_CHECK(len <= mtu && len + kOverhead <= stride && len > t.hdrLen);
    TcpPacket s;
    FUZZ_CHECK(ParseTcpPacket(seg, len, &s) && s.ipLen == t.ipLen && s.hdrLen == t.hdrLen);
    for (size_t i = 0; i < t.hdrLen; i++) FUZZ_CHECK(MayDiffer(t, i) || seg[i] == p[i]);
    if (t.version == 4) {
      FUZZ_CHECK(LoadBe16(seg + 2) == len);
      FUZZ_CHECK(LoadBe16(seg + 4) == uint16_t(LoadBe16(p + 4) + k));
      FUZZ_CHECK(vpcmesh_fuzz::RefIpv4ChecksumValid(seg, t.ipLen));
    } else {
      FUZZ_CHECK(LoadBe16(seg + 4) + kIpv6Header == len);
    }
    FUZZ_CHECK(vpcmesh_fuzz::RefTcpChecksumValid(seg, len, t.ipLen));
    FUZZ_CHECK(LoadBe32(seg + t.ipLen + kTcpOffSequence) ==
               uint32_t(LoadBe32(p + t.ipLen + kTcpOffSequence) + done));
    uint8_t want = flags0;
    if (k + 1 != n) want &= uint8_t(~(kTcpFin | kTcpPsh));
    if (k != 0) want &= uint8_t(~kTcpCwr);
    FUZZ_CHECK(seg[t.ipLen + kTcpOffFlags] == want);
    const size_t chunk = len - t.hdrLen;
    FUZZ_CHECK(chunk == std::min<size_t>(h.gsoSize, payload - done));
    FUZZ_CHECK(std::memcmp(seg + t.hdrLen, p + t.hdrLen + done, chunk) == 0);
    done += chunk;
  }
  FUZZ_CHECK(done == payload);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2 + kVnetHdrLen || size - 2 - kVnetHdrLen > kMaxIpPacket) return 0;
  const size_t mtu = kMinMtu + (size_t(data[0]) * 256 + data[1]) % (kMaxMtu - kMinMtu + 1);
  const size_t maxSegments = 1 + data[1] % 64;
  VnetHeader h = LoadVnetHeader(data + 2);
  std::vector<uint8_t> pkt(data + 2 + kVnetHdrLen, data + size);
  if (!PrepareTunPacket(pkt.data(), pkt.size(), &h) || h.gsoType == kVnetGsoNone) return 0;
  const size_t stride = (mtu + kOverhead + kAlign - 1) / kAlign * kAlign;
  std::vector<uint8_t> arena(maxSegments * stride);
  std::vector<uint32_t> lens(maxSegments);
  const int n = SegmentTcp(pkt.data(), pkt.size(), h, mtu, arena.data() + kHeaderSize, stride,
                           maxSegments, lens.data());
  TcpPacket t;
  const bool parses = ParseTcpPacket(pkt.data(), pkt.size(), &t);
  const uint8_t gso = h.gsoType & uint8_t(~kVnetGsoEcn);
  if (n == kSegmentMalformed) return 0;
  FUZZ_CHECK(parses && h.gsoSize > 0 && pkt.size() > t.hdrLen);
  FUZZ_CHECK(gso == (t.version == 4 ? kVnetGsoTcpV4 : kVnetGsoTcpV6));
  const size_t payload = pkt.size() - t.hdrLen;
  if (n == kSegmentTooBig) {
    FUZZ_CHECK(t.hdrLen + std::min<size_t>(h.gsoSize, payload) > mtu);
    return 0;
  }
  if (n == kSegmentTooMany) {
    FUZZ_CHECK((payload + h.gsoSize - 1) / h.gsoSize > maxSegments);
    return 0;
  }
  FUZZ_CHECK(n > 0 && size_t(n) <= maxSegments);
  CheckSegments(pkt, t, h, mtu, arena.data() + kHeaderSize, stride, n, lens.data());
  return 0;
}
