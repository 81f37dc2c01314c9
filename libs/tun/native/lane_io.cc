// The per-packet paths of a lane (lane.h): TUN and UDP batches, sealing, opening, sending and
// writing. These hot loops are the sanctioned exception to the size guideline (see CONTRIBUTING.md,
// Hot paths): they stay in one piece so the per-packet work is visible at a glance. None of them
// throws or allocates per packet; every dropped packet increments exactly one counter.
#include <netinet/udp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "datagram_open.h"
#include "lane.h"
#include "wire_format.h"

namespace vpcmesh {

namespace {

bool IsTransientSendError(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS; }

// Puts a UDP_SEGMENT cmsg (the GSO datagram size) in h's control buffer.
void WriteSegmentCmsg(msghdr* h, uint16_t size) {
  cmsghdr* c = CMSG_FIRSTHDR(h);
  c->cmsg_level = SOL_UDP;
  c->cmsg_type = UDP_SEGMENT;
  c->cmsg_len = CMSG_LEN(sizeof size);
  std::memcpy(CMSG_DATA(c), &size, sizeof size);
}

}  // namespace

Lane::Lane(const LaneConfig& cfg, const LaneBuffers& bufs, SessionTable* sessions,
           uint64_t* slotStats, uint64_t* globalStats, LaneCiphers* ciphers, LaneHost* host)
    : cfg_(cfg),
      b_(bufs),
      sessions_(sessions),
      slotStats_(slotStats),
      globalStats_(globalStats),
      ciphers_(ciphers),
      host_(host),
      udpGso_(cfg.offload) {
  const size_t n = cfg_.batchCap;
  tunLen_.assign(n, 0);
  tunVnet_.assign(n, VnetHeader{});
  udpEntries_.assign(n, UdpEntry{});
  recvMsgs_.assign(n, mmsghdr{});
  recvIov_.assign(n, iovec{});
  recvAddrs_.assign(n, sockaddr_storage{});
  recvCtl_.assign(cfg_.offload ? n * kRecvCtlLen : 0, 0);
  sendMsgs_.assign(cfg_.sendCap, mmsghdr{});
  sendMsgFirst_.assign(cfg_.sendCap, 0);
  sendMsgCount_.assign(cfg_.sendCap, 0);
  sendCtl_.assign(cfg_.sendCap * kSendCtlLen, 0);
  sendIov_.assign(cfg_.sendCap, iovec{});
  sendSlot_.assign(cfg_.sendCap, -1);
  segArena_.assign(cfg_.offload ? cfg_.arenaSlots * cfg_.segStride : 0, 0);
  segLens_.assign(cfg_.offload ? cfg_.arenaSlots : 0, 0);
  // Every recvmmsg message points at its buffer slot, address storage and (with offload)
  // control buffer once.
  for (size_t i = 0; i < n; i++) {
    recvIov_[i] = iovec{b_.udpBuf + i * cfg_.udpStride, cfg_.udpStride};
    recvMsgs_[i].msg_hdr.msg_iov = &recvIov_[i];
    recvMsgs_[i].msg_hdr.msg_iovlen = 1;
    recvMsgs_[i].msg_hdr.msg_name = &recvAddrs_[i];
    if (cfg_.offload) recvMsgs_[i].msg_hdr.msg_control = &recvCtl_[i * kRecvCtlLen];
  }
}

// --- TUN -> peers ------------------------------------------------------------------

// Hot loop: reads up to cfg_.batchCap packets (until EAGAIN); each lands at
// slot*cfg_.tunStride + kHeaderSize so the header can be written in front of it and the tag
// after it, and the sealed message is sent straight from the buffer. With offload the
// virtio header lands in the 10 bytes before the packet; it is kept (trusted) natively.
size_t Lane::ReadTunBatch() {
  const size_t capacity = cfg_.tunStride - kOverhead;
  const size_t vnet = cfg_.offload ? kVnetHdrLen : 0;
  size_t n = 0;
  while (n < cfg_.batchCap) {
    uint8_t* p = b_.tunBuf + n * cfg_.tunStride + kHeaderSize;
    ssize_t r = read(tunFd_, p - vnet, capacity + vnet);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        AddGlobal(kTunReadErrors);
        host_->TunGone(*this, errno);
      }
      break;
    }
    if (size_t(r) > capacity + vnet ||
        size_t(r) < vnet) {  // the kernel reports the full length of a cut packet
      AddGlobal(kTunReadErrors);
      continue;
    }
    r -= ssize_t(vnet);
    if (cfg_.offload) {
      VnetHeader h = LoadVnetHeader(p - vnet);
      if (!PrepareTunPacket(p, size_t(r), &h)) {
        AddGlobal(kTunDropBadOffload);
        continue;
      }
      tunVnet_[n] = h;
    }
    tunLen_[n] = uint32_t(r);
    b_.tunOffsets[n] = int32_t(n * cfg_.tunStride + kHeaderSize);
    b_.tunLengths[n] = int32_t(r);
    b_.tunSlots[n] = -1;
    AddGlobal(kTunReadPackets);
    AddGlobal(kTunReadBytes, uint64_t(r));
    n++;
  }
  return n;
}

// Checks the slot, writes the header at `msg`, encrypts `len` payload bytes at
// msg+kHeaderSize in place and appends the tag. Counts the drop reason on failure.
bool Lane::SealMessage(int slot, uint8_t* msg, size_t len) {
  if (len > kMaxInnerPacket) {
    AddSlot(slot, kTxDropTooBig);
    return false;
  }
  uint64_t counter;
  return ReserveCounters(slot, 1, &counter) && SealReserved(slot, counter, msg, len);
}

// Reserves `n` consecutive send counters of `slot`'s session with one atomic add (one per
// super-packet, not per datagram: the counter's cache line is shared by every packet
// thread), or counts `n` drops. Packet threads may reserve on the same session at once;
// each gets its own range, so no counter is ever used twice.
bool Lane::ReserveCounters(int slot, size_t n, uint64_t* first) {
  Session* s = sessions_->At(slot);
  if (!s->active) {
    AddSlot(slot, kTxDropNoSession, n);
    return false;
  }
  if (!s->endpoint.set()) {
    AddSlot(slot, kTxDropNoEndpoint, n);
    return false;
  }
  if (!s->ReserveCounters(n, first)) {  // exhausted: only a new session sends again
    AddSlot(slot, kTxDropNoSession, n);
    return false;
  }
  // Several threads may seal on this session: the stat only ever moves forward.
  MaxSlot(slot, kSendCounter, *first + n);
  return true;
}

// Writes the header for `counter` (reserved by ReserveCounters) at `msg` and seals the
// `len`-byte inner packet into msg+kHeaderSize, followed by the tag: in place, or from
// `from` when the packet is elsewhere (a segment assembled in the TUN buffer).
bool Lane::SealReserved(int slot, uint64_t counter, uint8_t* msg, size_t len,
                        const uint8_t* from) {
  Session* s = sessions_->At(slot);
  WriteDataHeader(msg, s->remoteIndex, counter);
  AeadContext* sealer = ciphers_ != nullptr ? ciphers_->Sealer(slot, *s) : &s->sealer;
  uint8_t* inner = msg + kHeaderSize;
  if (sealer == nullptr ||
      !sealer->SealTo(counter, msg, from != nullptr ? from : inner, inner, len, inner + len)) {
    AddSlot(slot, kTxDropSendError);
    return false;
  }
  return true;
}

// Hot loop: seals packets [0, count) of the TUN batch to the slots JS chose (a TCP
// super-packet as one data message per segment) and sends them, flushing whenever
// cfg_.sendCap datagrams are ready. Returns the number of datagrams the kernel took.
size_t Lane::SealAndSendTunBatch(size_t count) {
  const int64_t slots = int64_t(sessions_->size());
  size_t m = 0, sent = 0;
  arenaUsed_ = 0;
  for (size_t i = 0; i < count; i++) {
    int64_t slot = b_.tunSlots[i];
    if (slot == kSlotCounted) continue;
    if (slot < 0 || slot >= slots) {
      AddGlobal(kTunDropUnrouted);
      continue;
    }
    uint8_t* msg = b_.tunBuf + i * cfg_.tunStride;
    size_t len = tunLen_[i];
    if (cfg_.offload && tunVnet_[i].gsoType != kVnetGsoNone) {
      m = SealSuperPacket(i, int(slot), m, &sent);
      continue;
    }
    if (cfg_.offload && len > size_t(cfg_.mtu)) {  // never more than MTU inner bytes per datagram
      AddSlot(slot, kTxDropTooBig);
      continue;
    }
    if (m == cfg_.sendCap) {
      sent += SendSealed(m);
      m = arenaUsed_ = 0;
    }
    if (!SealMessage(int(slot), msg, len)) continue;
    sendIov_[m] = iovec{msg, len + kOverhead};
    sendSlot_[m] = int32_t(slot);
    m++;
  }
  return sent + SendSealed(m);
}

// Fills sendMsgs_ for datagrams [from, to): with UDP GSO, runs of datagrams to the same
// slot, of equal size except a shorter last one, become one message (at most
// kMaxGsoSegments datagrams and kMaxDatagram bytes); otherwise one message each.
// Returns the number of messages.
size_t Lane::GroupDatagrams(size_t from, size_t to) {
  size_t j = 0;
  for (size_t k = from; k < to; j++) {
    const size_t size = sendIov_[k].iov_len;
    size_t n = 1, bytes = size;
    while (udpGso_ && k + n < to && n < kMaxGsoSegments && sendSlot_[k + n] == sendSlot_[k] &&
           sendIov_[k + n - 1].iov_len == size && sendIov_[k + n].iov_len <= size &&
           bytes + sendIov_[k + n].iov_len <= kMaxDatagram)
      bytes += sendIov_[k + n++].iov_len;
    const Endpoint& ep = sessions_->At(sendSlot_[k])->endpoint;
    msghdr& h = sendMsgs_[j].msg_hdr;
    h.msg_name = const_cast<sockaddr_storage*>(&ep.addr);
    h.msg_namelen = ep.len;
    h.msg_iov = &sendIov_[k];
    h.msg_iovlen = n;
    h.msg_control = n > 1 ? &sendCtl_[j * kSendCtlLen] : nullptr;
    h.msg_controllen = n > 1 ? CMSG_SPACE(sizeof(uint16_t)) : 0;
    if (n > 1) WriteSegmentCmsg(&h, uint16_t(size));
    sendMsgFirst_[j] = uint32_t(k);
    sendMsgCount_[j] = uint32_t(n);
    k += n;
  }
  return j;
}

// Hot loop: sendmmsg until done. A transient refusal (full socket buffer) drops the
// rest; any other error drops only the message it names, except that a GSO message
// refused with EIO/EINVAL turns GSO off (counted) and returns its first datagram so the
// caller regroups from there. Never blocks, never queues; bounded by `messages`.
size_t Lane::SendMessages(size_t messages, size_t datagrams, size_t* sent) {
  size_t done = 0;
  // A message's datagrams share one slot (GroupDatagrams): one add per message, not per
  // datagram, on the slot's shared stats.
  auto account = [&](size_t j, bool ok) {
    const size_t first = sendMsgFirst_[j], count = sendMsgCount_[j];
    const int slot = sendSlot_[first];
    if (!ok) return AddSlot(slot, kTxDropSendError, count);
    uint64_t bytes = 0;
    for (size_t k = first; k < first + count; k++) bytes += sendIov_[k].iov_len;
    AddSlot(slot, kTxPackets, count);
    AddSlot(slot, kTxBytes, bytes);
    *sent += count;
  };
  while (done < messages) {
    int r = sendmmsg(udpFd_, &sendMsgs_[done], unsigned(messages - done), MSG_DONTWAIT);
    if (r > 0) {
      for (size_t j = done; j < done + size_t(r); j++) account(j, true);
      done += size_t(r);
      continue;
    }
    int err = r < 0 ? errno : 0;
    if (err == EINTR) continue;
    if (sendMsgCount_[done] > 1 && (err == EIO || err == EINVAL)) {
      udpGso_ = false;
      AddGlobal(kUdpGsoFallbacks);
      return sendMsgFirst_[done];
    }
    size_t stop = IsTransientSendError(err) ? messages : done + 1;
    for (; done < stop; done++) account(done, false);
  }
  return datagrams;
}

// Sends sealed datagrams [0, datagrams). Returns how many the kernel took.
size_t Lane::SendSealed(size_t datagrams) {
  size_t sent = 0;
  for (size_t next = 0; next < datagrams;)
    next = SendMessages(GroupDatagrams(next, datagrams), datagrams, &sent);
  return sent;
}

// --- peers -> TUN ------------------------------------------------------------------

size_t Lane::ReceiveUdpBatch() {
  for (size_t i = 0; i < cfg_.batchCap; i++) {
    recvMsgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    recvMsgs_[i].msg_hdr.msg_controllen = cfg_.offload ? kRecvCtlLen : 0;
    recvMsgs_[i].msg_hdr.msg_flags = 0;
  }
  for (;;) {
    int r = recvmmsg(udpFd_, recvMsgs_.data(), unsigned(cfg_.batchCap), MSG_DONTWAIT, nullptr);
    if (r >= 0) return size_t(r);
    if (errno == EINTR) continue;
    // ICMP errors surfacing on the socket and the like: count, try again next readiness.
    if (errno != EAGAIN && errno != EWOULDBLOCK) AddGlobal(kUdpRecvErrors);
    return 0;
  }
}

void Lane::Report(uint8_t kind, int32_t slot, size_t offset, size_t length, size_t recvIndex,
                  uint8_t flags) {
  CloseGroup();  // the open group (if any) is the previous entry: finish it first
  size_t r = udpCount_++;
  udpEntries_[r] = UdpEntry{
      uint32_t(offset), uint32_t(length), slot, kind, flags, uint16_t(recvIndex), 1, VnetHeader{}};
  b_.udpOffsets[r] = int32_t(offset);
  b_.udpLengths[r] = int32_t(length);
  b_.udpSlots[r] = slot;
  b_.udpKinds[r] = kind;
  b_.udpFlags[r] = flags;
  b_.udpVerdicts[r] = kVerdictDrop;
}

// Hot path: classifies the datagram at b_.udpBuf+offset (from recvmmsg message
// recvIndex), and for a data message authenticates, checks the replay window and
// decrypts it in place. Reports survivors; counts every drop.
void Lane::ProcessDatagram(size_t recvIndex, size_t offset, size_t len, bool truncated) {
  uint8_t* p = b_.udpBuf + offset;
  AddGlobal(kUdpRxDatagrams);
  if (truncated) return void(AddGlobal(kUdpDropTruncated));
  const OpenResult r = OpenDatagram(*sessions_, p, len, ciphers_);
  const int slot = r.slot;
  switch (r.status) {
    case OpenStatus::kTooShort:
      return void(AddGlobal(kUdpDropTooShort));
    case OpenStatus::kRaw:
      AddGlobal(kUdpRxRaw);
      return Report(kKindRaw, -1, offset, len, recvIndex, 0);
    case OpenStatus::kUnknownIndex:
      return void(AddGlobal(kUdpDropUnknownIndex));
    case OpenStatus::kReplay:
      return void(AddSlot(slot, kRxDropReplay));
    case OpenStatus::kAuthFailed:
      return void(AddSlot(slot, kRxDropAuth));
    case OpenStatus::kOpened:
      break;
  }
  Session* s = sessions_->At(slot);
  CountReceived(slot, len, r.newest);
  const int kind = r.kind;
  const size_t plen = r.payloadLen;
  if (kind < 0) return void(AddSlot(slot, kRxDropMalformed));
  if (kind == kKindKeepalive) AddSlot(slot, kRxKeepalives);
  if (kind == kKindControl) AddSlot(slot, kRxControl);
  bool same = s->endpoint.set() && SameEndpoint(recvAddrs_[recvIndex], s->endpoint.addr);
  uint8_t flags = same ? 0 : kFlagNewSource;
  if (cfg_.offload && kind == kKindIp)
    return ReportIp(slot, offset + kHeaderSize, plen, recvIndex, flags);
  Report(uint8_t(kind), slot, offset + kHeaderSize, plen, recvIndex, flags);
}

// Adds a received data message to the run of messages from one slot, whose stats are
// added to the shared arrays at once when the slot changes or the batch is flushed.
void Lane::CountReceived(int slot, size_t len, uint64_t newest) {
  if (slot != rxRun_.slot) {
    FlushRxStats();
    rxRun_.slot = slot;
  }
  rxRun_.packets++;
  rxRun_.bytes += len;
  rxRun_.newest = std::max(rxRun_.newest, newest);
}

void Lane::FlushRxStats() {
  if (rxRun_.slot >= 0) {
    AddSlot(rxRun_.slot, kRxPackets, rxRun_.packets);
    AddSlot(rxRun_.slot, kRxBytes, rxRun_.bytes);
    MaxSlot(rxRun_.slot, kRecvNewest, rxRun_.newest);
  }
  rxRun_ = RxRun{};
}

// Hands the reported entries to the host (finishing an open coalescing group first).
// Returns false if the host said stop.
bool Lane::Flush() {
  FlushRxStats();  // before the host runs: it may read the stats or replace sessions
  CloseGroup();
  if (udpCount_ == 0) return true;
  bool go = host_->FlushUdp(*this);
  udpCount_ = 0;
  return go;
}

bool Lane::ProcessReceived(size_t n) {
  udpCount_ = 0;
  for (size_t i = 0; i < n; i++) {
    if (cfg_.offload) {
      if (!ProcessGroBuffer(i)) return false;
      continue;
    }
    ProcessDatagram(i, i * cfg_.udpStride, recvMsgs_[i].msg_len,
                    recvMsgs_[i].msg_hdr.msg_flags & MSG_TRUNC);
  }
  return Flush();
}

// Hot loop: writes IP entries [0, count) whose verdict is kVerdictAccept, one write()
// each (a TUN has no batched write; with offload a coalesced entry is one write of a GSO
// super-packet behind its virtio header, written here from the trusted copy). A verdict
// covers every segment coalesced into the entry (they share the inner source).
size_t Lane::WriteAccepted(size_t count) {
  const size_t vnet = cfg_.offload ? kVnetHdrLen : 0;
  size_t written = 0;
  for (size_t r = 0; r < udpCount_; r++) {
    const UdpEntry& e = udpEntries_[r];
    if (e.kind != kKindIp) continue;
    if (r >= count || b_.udpVerdicts[r] != kVerdictAccept) {
      AddSlot(e.slot, kRxDropRejected, e.segments);
      continue;
    }
    uint8_t* p = b_.udpBuf + e.offset - vnet;  // the 16-byte data header has room for it
    if (cfg_.offload) StoreVnetHeader(p, e.vnet);
    ssize_t w = write(tunFd_, p, e.length + vnet);
    if (w < 0) {
      AddGlobal(kTunWriteErrors);
      continue;
    }
    AddGlobal(kTunWritePackets);
    AddGlobal(kTunWriteBytes, e.length);
    written++;
  }
  return written;
}

}  // namespace vpcmesh
