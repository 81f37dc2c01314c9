// The offload halves of a lane's per-packet paths (see engine.h, lane.h): segmenting TCP
// super-packets read from the TUN into sealed datagrams, splitting UDP GRO buffers into datagrams,
// and coalescing opened TCP segments into one TUN write. Every datagram is still sealed,
// authenticated and replay-checked on its own; only the packing around it changes.
#include <netinet/udp.h>

#include <algorithm>
#include <cstring>

#include "lane.h"
#include "wire_format.h"

namespace vpcmesh {

namespace {

// The datagram size of a UDP_GRO buffer (the UDP_GRO cmsg), or 0 if it holds one datagram.
size_t GroSegmentSize(msghdr* h) {
  for (cmsghdr* c = CMSG_FIRSTHDR(h); c != nullptr; c = CMSG_NXTHDR(h, c)) {
    if (c->cmsg_level != SOL_UDP || c->cmsg_type != UDP_GRO) continue;
    int size = 0;
    std::memcpy(&size, CMSG_DATA(c), sizeof size);
    return size > 0 ? size_t(size) : 0;
  }
  return 0;
}

}  // namespace

// Hot path: segments TUN entry i (a TSO super-packet) and seals each segment as its own
// data message (own counter) to `slot` into segArena_, appending the datagrams at
// sendIov_[m...]. Flushes first if they do not fit. Returns the new datagram count.
//
// The payload is never copied on its own: segment k's headers are computed into the arena,
// then written into the TUN buffer just in front of its payload (over the end of segment
// k-1's payload, already sealed) and the whole segment is sealed from there into the arena
// in one pass. The TUN entry is overwritten.
size_t Lane::SealSuperPacket(size_t i, int slot, size_t m, size_t* sent) {
  uint8_t* pkt = b_.tunBuf + i * cfg_.tunStride + kHeaderSize;
  size_t hdrLen = 0;  // each segment's headers (its payload stays in the TUN buffer)
  auto segment = [&]() {
    return SegmentTcpHeaders(pkt, tunLen_[i], tunVnet_[i], size_t(cfg_.mtu),
                             segArena_.data() + arenaUsed_ * cfg_.segStride + kHeaderSize,
                             cfg_.segStride, std::min(cfg_.sendCap - m, cfg_.arenaSlots - arenaUsed_),
                             segLens_.data(), &hdrLen);
  };
  int n = segment();
  if (n == kSegmentTooMany && (m > 0 || arenaUsed_ > 0)) {  // room after a flush
    *sent += SendSealed(m);
    m = arenaUsed_ = 0;
    n = segment();
  }
  if (n == kSegmentTooBig) {
    AddSlot(slot, kTxDropTooBig);
    return m;
  }
  if (n < 0) {
    AddGlobal(kTunDropBadOffload);
    return m;
  }
  AddGlobal(kTunGsoPackets);
  AddGlobal(kTunGsoSegments, uint64_t(n));
  // Segments are at most the MTU: one counter range for the whole super-packet.
  uint64_t counter;
  if (ReserveCounters(slot, size_t(n), &counter)) {
    uint8_t* seg = pkt;  // segment k, assembled in front of its payload
    for (size_t k = 0; k < size_t(n); k++, counter++, seg += tunVnet_[i].gsoSize) {
      uint8_t* msg = segArena_.data() + (arenaUsed_ + k) * cfg_.segStride;
      std::memcpy(seg, msg + kHeaderSize, hdrLen);
      if (!SealReserved(slot, counter, msg, segLens_[k], seg)) continue;
      sendIov_[m] = iovec{msg, segLens_[k] + kOverhead};
      sendSlot_[m] = int32_t(slot);
      m++;
    }
  }
  arenaUsed_ += size_t(n);
  return m;
}

// Hot loop: splits recvmmsg message `recvIndex` (a UDP GRO buffer of equal-size
// datagrams, the last maybe shorter) and processes each datagram, delivering a full
// batch to JS whenever cfg_.batchCap entries are reported. False if JS closed the engine.
bool Lane::ProcessGroBuffer(size_t recvIndex) {
  mmsghdr& m = recvMsgs_[recvIndex];
  const size_t len = m.msg_len, base = recvIndex * cfg_.udpStride;
  const bool truncated = m.msg_hdr.msg_flags & MSG_TRUNC;
  size_t size = GroSegmentSize(&m.msg_hdr);
  if (size == 0 || size > len) size = std::max<size_t>(len, 1);
  for (size_t off = 0; off == 0 || off < len; off += size) {
    if (udpCount_ == cfg_.batchCap && !Flush()) return false;
    ProcessDatagram(recvIndex, base + off, std::min(size, len - off), truncated);
  }
  return true;
}

// Reports an opened IP packet, or appends it to the previous entry when that entry is
// an open TCP group of the same slot and source address and the segment continues it
// (TcpCoalescer decides; the verdict JS gives the entry then covers both).
void Lane::ReportIp(int slot, size_t offset, size_t len, size_t recvIndex, uint8_t flags) {
  if (coalescer_.open()) {
    const UdpEntry& last = udpEntries_[udpCount_ - 1];
    if (last.slot == slot && last.flags == flags &&
        SameEndpoint(recvAddrs_[last.recvIndex], recvAddrs_[recvIndex]) &&
        coalescer_.Append(b_.udpBuf + offset, len)) {
      AddGlobal(kUdpCoalesced);
      return;
    }
  }
  Report(kKindIp, slot, offset, len, recvIndex, flags);
  // The group may grow up to the end of this entry's receive slot. That never clobbers
  // unprocessed data: an appended payload only moves towards the front, over bytes of
  // segments already appended or datagrams dropped, and any new entry closes the group.
  coalescer_.Start(b_.udpBuf + offset, len, (recvIndex + 1) * cfg_.udpStride - offset);
}

// Finishes the open group (the last entry): final length, segment count, virtio header.
void Lane::CloseGroup() {
  if (!coalescer_.open()) return;
  UdpEntry& e = udpEntries_[udpCount_ - 1];
  e.segments = uint16_t(coalescer_.segments());
  e.length = uint32_t(coalescer_.Finish(&e.vnet));
  b_.udpLengths[udpCount_ - 1] = int32_t(e.length);
}

}  // namespace vpcmesh
