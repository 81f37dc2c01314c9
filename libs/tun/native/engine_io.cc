// The per-packet paths: TUN and UDP batches, sealing, opening, sending and writing.
// These hot loops are the sanctioned exception to the size guideline (see CONTRIBUTING.md,
// Hot paths): they stay in one piece so the per-packet work is visible at a glance. None of them
// throws or allocates per packet; every dropped packet increments exactly one counter.
#include <netinet/udp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "datagram_open.h"
#include "engine.h"
#include "slot_arg.h"
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

// --- TUN -> peers ------------------------------------------------------------------

// Hot loop: reads up to batchCap_ packets (until EAGAIN); each lands at
// slot*tunStride_ + kHeaderSize so the header can be written in front of it and the tag
// after it, and the sealed message is sent straight from the buffer. With offload the
// virtio header lands in the 10 bytes before the packet; it is kept (trusted) natively.
size_t NativeEngine::ReadTunBatch() {
  const size_t capacity = tunStride_ - kOverhead;
  const size_t vnet = offload_ ? kVnetHdrLen : 0;
  size_t n = 0;
  while (n < batchCap_) {
    uint8_t* p = tunBuf_ + n * tunStride_ + kHeaderSize;
    ssize_t r = read(tunFd_.get(), p - vnet, capacity + vnet);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        Global(kTunReadErrors)++;
        int err = errno;
        StopPoll(&tunPoll_, nullptr);  // the device is gone: stop reading, keep UDP alive
        ReportError("VPCMESH_ERR_TUN_DEVICE_GONE", std::string("read from TUN: ") + strerror(err));
      }
      break;
    }
    if (size_t(r) > capacity + vnet ||
        size_t(r) < vnet) {  // the kernel reports the full length of a cut packet
      Global(kTunReadErrors)++;
      continue;
    }
    r -= ssize_t(vnet);
    if (offload_) {
      VnetHeader h = LoadVnetHeader(p - vnet);
      if (!PrepareTunPacket(p, size_t(r), &h)) {
        Global(kTunDropBadOffload)++;
        continue;
      }
      tunVnet_[n] = h;
    }
    tunLen_[n] = uint32_t(r);
    tunOffsets_[n] = int32_t(n * tunStride_ + kHeaderSize);
    tunLengths_[n] = int32_t(r);
    tunSlots_[n] = -1;
    Global(kTunReadPackets)++;
    Global(kTunReadBytes) += uint64_t(r);
    n++;
  }
  return n;
}

// One batch per readiness callback: uv_poll is level-triggered, so a full batch makes
// it fire again on the next loop turn, after timers and the other fd had their turn.
void NativeEngine::OnTunReadable() {
  size_t n = ReadTunBatch();
  if (n == 0 || closed_) return;
  tunCount_ = n;
  tunBatchOpen_ = true;
  Global(kTunBatches)++;
  CallJs(onTun_, {Napi::Number::New(Env(), double(n))});
  if (closed_) return;
  if (tunBatchOpen_) Global(kTunDropUnrouted) += n;  // JS never called sealAndSend
  tunBatchOpen_ = false;
}

// Checks the slot, writes the header at `msg`, encrypts `len` payload bytes at
// msg+kHeaderSize in place and appends the tag. Counts the drop reason on failure.
bool NativeEngine::SealMessage(int slot, uint8_t* msg, size_t len) {
  Session* s = sessions_->At(slot);
  if (!s->active || s->sendCounter >= kRejectAfterMessages) {
    SlotStat(slot, kTxDropNoSession)++;
    return false;
  }
  if (!s->endpoint.set()) {
    SlotStat(slot, kTxDropNoEndpoint)++;
    return false;
  }
  if (len > kMaxInnerPacket) {
    SlotStat(slot, kTxDropTooBig)++;
    return false;
  }
  uint64_t counter = s->sendCounter++;
  SlotStat(slot, kSendCounter) = s->sendCounter;
  WriteDataHeader(msg, s->remoteIndex, counter);
  if (!s->sealer.Seal(counter, msg, msg + kHeaderSize, len, msg + kHeaderSize + len)) {
    SlotStat(slot, kTxDropSendError)++;
    return false;
  }
  return true;
}

// Hot loop: seals packets [0, count) of the TUN batch to the slots JS chose (a TCP
// super-packet as one data message per segment) and sends them, flushing whenever
// sendCap_ datagrams are ready. Returns the number of datagrams the kernel took.
size_t NativeEngine::SealAndSendTunBatch(size_t count) {
  const int64_t slots = int64_t(sessions_->size());
  size_t m = 0, sent = 0;
  arenaUsed_ = 0;
  for (size_t i = 0; i < count; i++) {
    int64_t slot = tunSlots_[i];
    if (slot < 0 || slot >= slots) {
      Global(kTunDropUnrouted)++;
      continue;
    }
    uint8_t* msg = tunBuf_ + i * tunStride_;
    size_t len = tunLen_[i];
    if (offload_ && tunVnet_[i].gsoType != kVnetGsoNone) {
      m = SealSuperPacket(i, int(slot), m, &sent);
      continue;
    }
    if (offload_ && len > size_t(mtu_)) {  // never more than MTU inner bytes per datagram
      SlotStat(slot, kTxDropTooBig)++;
      continue;
    }
    if (m == sendCap_) {
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
size_t NativeEngine::GroupDatagrams(size_t from, size_t to) {
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
size_t NativeEngine::SendMessages(size_t messages, size_t datagrams, size_t* sent) {
  size_t done = 0;
  auto account = [&](size_t j, bool ok) {
    for (size_t k = sendMsgFirst_[j]; k < sendMsgFirst_[j] + sendMsgCount_[j]; k++) {
      if (!ok) {
        SlotStat(sendSlot_[k], kTxDropSendError)++;
        continue;
      }
      SlotStat(sendSlot_[k], kTxPackets)++;
      SlotStat(sendSlot_[k], kTxBytes) += sendIov_[k].iov_len;
      (*sent)++;
    }
  };
  while (done < messages) {
    int r = sendmmsg(udpFd_.get(), &sendMsgs_[done], unsigned(messages - done), MSG_DONTWAIT);
    if (r > 0) {
      for (size_t j = done; j < done + size_t(r); j++) account(j, true);
      done += size_t(r);
      continue;
    }
    int err = r < 0 ? errno : 0;
    if (err == EINTR) continue;
    if (sendMsgCount_[done] > 1 && (err == EIO || err == EINVAL)) {
      udpGso_ = false;
      Global(kUdpGsoFallbacks)++;
      return sendMsgFirst_[done];
    }
    size_t stop = IsTransientSendError(err) ? messages : done + 1;
    for (; done < stop; done++) account(done, false);
  }
  return datagrams;
}

// Sends sealed datagrams [0, datagrams). Returns how many the kernel took.
size_t NativeEngine::SendSealed(size_t datagrams) {
  size_t sent = 0;
  for (size_t next = 0; next < datagrams;)
    next = SendMessages(GroupDatagrams(next, datagrams), datagrams, &sent);
  return sent;
}

// sealAndSend(count) -> datagrams handed to the kernel. Only inside onTun, once per batch.
Napi::Value NativeEngine::SealAndSend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) return Napi::Number::New(env, 0);
  if (!tunBatchOpen_)
    ThrowCoded(env, "VPCMESH_ERR_TUN_NO_BATCH", "sealAndSend() outside onTun or called twice");
  size_t count =
      info[0].IsNumber() ? size_t(std::max(0, info[0].As<Napi::Number>().Int32Value())) : tunCount_;
  if (count > tunCount_) count = tunCount_;
  tunBatchOpen_ = false;
  Global(kTunDropUnrouted) += tunCount_ - count;
  size_t sent = SealAndSendTunBatch(count);
  return Napi::Number::New(env, double(sent));
}

// sealAndSendOne(slot, payload) -> true if handed to the kernel. false after close.
Napi::Value NativeEngine::SealAndSendOne(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) return Napi::Boolean::New(env, false);
  int slot = SlotArg(info[0], sessions_->size());
  if (!info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    ThrowCoded(env, "VPCMESH_ERR_TUN_INVALID_ARGUMENT", "sealAndSendOne(slot, Uint8Array)");
  Napi::Uint8Array payload = info[1].As<Napi::Uint8Array>();
  size_t len = payload.ByteLength();
  if (len > oneBuf_.size() - kOverhead) {
    SlotStat(slot, kTxDropTooBig)++;
    return Napi::Boolean::New(env, false);
  }
  std::memcpy(oneBuf_.data() + kHeaderSize, payload.Data(), len);
  if (!SealMessage(slot, oneBuf_.data(), len)) return Napi::Boolean::New(env, false);
  const Endpoint& ep = sessions_->At(slot)->endpoint;
  ssize_t r = sendto(udpFd_.get(), oneBuf_.data(), len + kOverhead, MSG_DONTWAIT,
                     reinterpret_cast<const sockaddr*>(&ep.addr), ep.len);
  if (r < 0) {
    SlotStat(slot, kTxDropSendError)++;
    return Napi::Boolean::New(env, false);
  }
  SlotStat(slot, kTxPackets)++;
  SlotStat(slot, kTxBytes) += len + kOverhead;
  return Napi::Boolean::New(env, true);
}

// --- peers -> TUN ------------------------------------------------------------------

size_t NativeEngine::ReceiveUdpBatch() {
  for (size_t i = 0; i < batchCap_; i++) {
    recvMsgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    recvMsgs_[i].msg_hdr.msg_controllen = offload_ ? kRecvCtlLen : 0;
    recvMsgs_[i].msg_hdr.msg_flags = 0;
  }
  for (;;) {
    int r = recvmmsg(udpFd_.get(), recvMsgs_.data(), unsigned(batchCap_), MSG_DONTWAIT, nullptr);
    if (r >= 0) return size_t(r);
    if (errno == EINTR) continue;
    // ICMP errors surfacing on the socket and the like: count, try again next readiness.
    if (errno != EAGAIN && errno != EWOULDBLOCK) Global(kUdpRecvErrors)++;
    return 0;
  }
}

void NativeEngine::Report(uint8_t kind, int32_t slot, size_t offset, size_t length,
                          size_t recvIndex, uint8_t flags) {
  CloseGroup();  // the open group (if any) is the previous entry: finish it first
  size_t r = udpCount_++;
  udpEntries_[r] = UdpEntry{
      uint32_t(offset), uint32_t(length), slot, kind, flags, uint16_t(recvIndex), 1, VnetHeader{}};
  udpOffsets_[r] = int32_t(offset);
  udpLengths_[r] = int32_t(length);
  udpSlots_[r] = slot;
  udpKinds_[r] = kind;
  udpFlags_[r] = flags;
  udpVerdicts_[r] = kVerdictDrop;
}

// Hot path: classifies the datagram at udpBuf_+offset (from recvmmsg message
// recvIndex), and for a data message authenticates, checks the replay window and
// decrypts it in place. Reports survivors; counts every drop.
void NativeEngine::ProcessDatagram(size_t recvIndex, size_t offset, size_t len, bool truncated) {
  uint8_t* p = udpBuf_ + offset;
  Global(kUdpRxDatagrams)++;
  if (truncated) return void(Global(kUdpDropTruncated)++);
  const OpenResult r = OpenDatagram(*sessions_, p, len);
  const int slot = r.slot;
  switch (r.status) {
    case OpenStatus::kTooShort:
      return void(Global(kUdpDropTooShort)++);
    case OpenStatus::kRaw:
      Global(kUdpRxRaw)++;
      return Report(kKindRaw, -1, offset, len, recvIndex, 0);
    case OpenStatus::kUnknownIndex:
      return void(Global(kUdpDropUnknownIndex)++);
    case OpenStatus::kReplay:
      return void(SlotStat(slot, kRxDropReplay)++);
    case OpenStatus::kAuthFailed:
      return void(SlotStat(slot, kRxDropAuth)++);
    case OpenStatus::kOpened:
      break;
  }
  Session* s = sessions_->At(slot);
  SlotStat(slot, kRxPackets)++;
  SlotStat(slot, kRxBytes) += len;
  SlotStat(slot, kRecvNewest) = s->replay.newest();
  const int kind = r.kind;
  const size_t plen = r.payloadLen;
  if (kind < 0) return void(SlotStat(slot, kRxDropMalformed)++);
  if (kind == kKindKeepalive) SlotStat(slot, kRxKeepalives)++;
  if (kind == kKindControl) SlotStat(slot, kRxControl)++;
  bool same = s->endpoint.set() && SameEndpoint(recvAddrs_[recvIndex], s->endpoint.addr);
  uint8_t flags = same ? 0 : kFlagNewSource;
  if (offload_ && kind == kKindIp)
    return ReportIp(slot, offset + kHeaderSize, plen, recvIndex, flags);
  Report(uint8_t(kind), slot, offset + kHeaderSize, plen, recvIndex, flags);
}

// Hands the reported entries to JS (finishing an open coalescing group first). Returns
// false if JS closed the engine.
bool NativeEngine::DeliverUdpBatch() {
  CloseGroup();
  if (udpCount_ == 0) return true;
  udpBatchOpen_ = udpInCallback_ = true;
  Global(kUdpBatches)++;
  CallJs(onUdp_, {Napi::Number::New(Env(), double(udpCount_))});
  if (closed_) return false;
  udpInCallback_ = false;
  if (udpBatchOpen_) {
    udpBatchOpen_ = false;  // JS never called writeTun: its IP packets count as rejected
    for (size_t r = 0; r < udpCount_; r++)
      if (udpEntries_[r].kind == kKindIp)
        SlotStat(udpEntries_[r].slot, kRxDropRejected) += udpEntries_[r].segments;
  }
  udpCount_ = 0;
  return true;
}

void NativeEngine::OnUdpReadable() {
  size_t n = ReceiveUdpBatch();
  if (n == 0) return;
  udpCount_ = 0;
  for (size_t i = 0; i < n; i++) {
    if (offload_) {
      if (!ProcessGroBuffer(i)) return;
      continue;
    }
    ProcessDatagram(i, i * udpStride_, recvMsgs_[i].msg_len,
                    recvMsgs_[i].msg_hdr.msg_flags & MSG_TRUNC);
  }
  DeliverUdpBatch();
}

// Hot loop: writeTun(count) -> packets written. Writes IP entries [0, count) whose
// verdict is kVerdictAccept, one write() each (a TUN has no batched write; with offload
// a coalesced entry is one write of a GSO super-packet behind its virtio header, written
// here from the trusted copy). A verdict covers every segment coalesced into the entry
// (they share the inner source). Only inside onUdp, once per batch.
Napi::Value NativeEngine::WriteTun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) return Napi::Number::New(env, 0);
  if (!udpBatchOpen_)
    ThrowCoded(env, "VPCMESH_ERR_TUN_NO_BATCH", "writeTun() outside onUdp or called twice");
  size_t count =
      info[0].IsNumber() ? size_t(std::max(0, info[0].As<Napi::Number>().Int32Value())) : udpCount_;
  udpBatchOpen_ = false;
  const size_t vnet = offload_ ? kVnetHdrLen : 0;
  size_t written = 0;
  for (size_t r = 0; r < udpCount_; r++) {
    const UdpEntry& e = udpEntries_[r];
    if (e.kind != kKindIp) continue;
    if (r >= count || udpVerdicts_[r] != kVerdictAccept) {
      SlotStat(e.slot, kRxDropRejected) += e.segments;
      continue;
    }
    uint8_t* p = udpBuf_ + e.offset - vnet;  // the 16-byte data header has room for it
    if (offload_) StoreVnetHeader(p, e.vnet);
    ssize_t w = write(tunFd_.get(), p, e.length + vnet);
    if (w < 0) {
      Global(kTunWriteErrors)++;
      continue;
    }
    Global(kTunWritePackets)++;
    Global(kTunWriteBytes) += e.length;
    written++;
  }
  return Napi::Number::New(env, double(written));
}

}  // namespace vpcmesh
