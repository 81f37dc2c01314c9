#include "datagram_open.h"

#include "wire_format.h"

namespace vpcmesh {

int ClassifyPayload(const uint8_t* p, size_t len) {
  if (len == 0) return kKindKeepalive;
  uint8_t version = p[0] >> 4;
  if (version == 4 || version == 6) return kKindIp;
  if (p[0] == kControlFirstByte) return kKindControl;
  return -1;
}

OpenResult OpenDatagram(SessionTable& sessions, uint8_t* p, size_t len, LaneCiphers* ciphers) {
  OpenResult r;
  if (len < 4) return r;
  if (LoadLe32(p) != kTypeData) {
    r.status = OpenStatus::kRaw;
    return r;
  }
  if (len < kOverhead) return r;
  r.slot = sessions.Lookup(LoadLe32(p + kOffsetReceiver));
  r.status = OpenStatus::kUnknownIndex;
  if (r.slot < 0) return r;
  Session* s = sessions.At(r.slot);
  uint64_t counter = LoadLe64(p + kOffsetCounter);
  r.status = OpenStatus::kReplay;
  if (counter >= kRejectAfterMessages) return r;
  {
    std::lock_guard<std::mutex> g(s->replayMutex);
    if (!s->replay.Check(counter)) return r;
  }
  size_t plen = len - kOverhead;
  r.status = OpenStatus::kAuthFailed;
  AeadContext* opener = ciphers != nullptr ? ciphers->Opener(r.slot, *s) : &s->opener;
  if (opener == nullptr || !opener->Open(counter, p, p + kHeaderSize, plen, p + kHeaderSize + plen))
    return r;
  {
    // Another thread may have taken the same counter meanwhile: check again, then mark.
    std::lock_guard<std::mutex> g(s->replayMutex);
    r.status = OpenStatus::kReplay;
    if (!s->replay.Check(counter)) return r;
    s->replay.Mark(counter);
    r.newest = s->replay.newest();
  }
  r.status = OpenStatus::kOpened;
  r.payloadLen = plen;
  r.kind = ClassifyPayload(p + kHeaderSize, plen);
  return r;
}

}  // namespace vpcmesh
