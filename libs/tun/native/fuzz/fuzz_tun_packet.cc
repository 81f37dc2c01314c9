// libFuzzer target: a packet read from a TUN with IFF_VNET_HDR, as NativeEngine::ReadTunBatch
// (lane_io.cc) handles it with offload on. Input: the 10-byte virtio_net_hdr, then the
// packet. Checked:
//   - the virtio header survives Load/Store unchanged;
//   - PrepareTunPacket accepts exactly: TCPV4/TCPV6 GSO (ECN bit allowed) with gso_size > 0,
//     and non-GSO packets whose NEEDS_CSUM offsets lie inside the packet (then the flag is
//     cleared and the field holds the checksum of [csum_start, len), computed by a naive
//     reference, 0 turned to 0xffff at UDP's offset 6);
//   - ParseTcpPacket's offsets stay inside the packet and agree with the header fields.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz_check.h"
#include "reference_checksum.h"
#include "tcp_offload.h"

using namespace vpcmesh;
using vpcmesh_fuzz::LoadBe16;

namespace {

void CheckVnetRoundTrip(const uint8_t* data) {
  uint8_t out[kVnetHdrLen];
  StoreVnetHeader(out, LoadVnetHeader(data));
  FUZZ_CHECK(std::memcmp(out, data, kVnetHdrLen) == 0);
}

void CheckPrepare(const VnetHeader& in, std::vector<uint8_t>& pkt) {
  const std::vector<uint8_t> before = pkt;
  const size_t len = pkt.size();
  VnetHeader h = in;
  const bool ok = PrepareTunPacket(pkt.data(), len, &h);
  const uint8_t gso = in.gsoType & uint8_t(~kVnetGsoEcn);
  if (gso == kVnetGsoTcpV4 || gso == kVnetGsoTcpV6) {
    FUZZ_CHECK(ok == (in.gsoSize > 0));
    FUZZ_CHECK(pkt == before);
    return;
  }
  if (gso != kVnetGsoNone) return FUZZ_CHECK(!ok);
  if ((in.flags & kVnetNeedsCsum) == 0) return FUZZ_CHECK(ok && pkt == before);
  const size_t start = in.csumStart, field = start + in.csumOffset;
  FUZZ_CHECK(ok == (start < len && field + 2 <= len));
  if (!ok) return FUZZ_CHECK(pkt == before);
  FUZZ_CHECK((h.flags & kVnetNeedsCsum) == 0);
  uint16_t want =
      uint16_t(~vpcmesh_fuzz::RefFold(vpcmesh_fuzz::RefAdd(before.data() + start, len - start, 0)));
  if (in.csumOffset == 6 && want == 0) want = 0xffff;
  FUZZ_CHECK(LoadBe16(pkt.data() + field) == want);
  for (size_t i = 0; i < len; i++) FUZZ_CHECK(i == field || i == field + 1 || pkt[i] == before[i]);
}

void CheckParse(const std::vector<uint8_t>& pkt) {
  TcpPacket t;
  if (!ParseTcpPacket(pkt.data(), pkt.size(), &t)) return;
  const uint8_t* p = pkt.data();
  FUZZ_CHECK(t.version == (p[0] >> 4));
  FUZZ_CHECK(t.version == 4 ? t.ipLen == size_t(p[0] & 0x0f) * 4 && t.ipLen >= kIpv4MinHeader
                            : t.version == 6 && t.ipLen == kIpv6Header);
  FUZZ_CHECK(p[t.version == 4 ? kIpv4OffProtocol : kIpv6OffNextHeader] == 6);
  FUZZ_CHECK(t.hdrLen == t.ipLen + size_t(p[t.ipLen + kTcpOffDataOffset] >> 4) * 4);
  FUZZ_CHECK(t.hdrLen >= t.ipLen + kTcpMinHeader && t.hdrLen <= pkt.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kVnetHdrLen || size - kVnetHdrLen > kMaxIpPacket) return 0;
  CheckVnetRoundTrip(data);
  std::vector<uint8_t> pkt(data + kVnetHdrLen, data + size);  // exact size for ASan
  CheckParse(pkt);
  CheckPrepare(LoadVnetHeader(data), pkt);
  return 0;
}
