// The per-packet paths: TUN and UDP batches, sealing, opening, sending and writing.
// These hot loops are the sanctioned exception to the function-size budget: they stay
// in one piece so the per-packet work is visible at a glance. None of them throws or
// allocates per packet; every dropped packet increments exactly one counter.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "engine.h"
#include "wire_format.h"

namespace vpcmesh {

namespace {

// Classifies an authenticated payload by its first byte.
int ClassifyPayload(const uint8_t* p, size_t len) {
  if (len == 0) return kKindKeepalive;
  uint8_t version = p[0] >> 4;
  if (version == 4 || version == 6) return kKindIp;
  if (p[0] == kControlFirstByte) return kKindControl;
  return -1;
}

bool IsTransientSendError(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS; }

}  // namespace

// --- TUN -> peers ------------------------------------------------------------------

// Hot loop: reads up to batchCap_ packets (until EAGAIN); each lands at
// slot*stride_ + kHeaderSize so the header can be written in front of it and the tag
// after it, and the sealed message is sent straight from the buffer.
size_t Engine::ReadTunBatch() {
  const size_t capacity = stride_ - kOverhead;
  size_t n = 0;
  while (n < batchCap_) {
    uint8_t* p = tunBuf_ + n * stride_ + kHeaderSize;
    ssize_t r = read(tunFd_, p, capacity);
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
    if (size_t(r) > capacity) {  // the kernel reports the full length of a cut packet
      Global(kTunReadErrors)++;
      continue;
    }
    tunLen_[n] = uint32_t(r);
    tunOffsets_[n] = int32_t(n * stride_ + kHeaderSize);
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
void Engine::OnTunReadable() {
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
bool Engine::SealMessage(int slot, uint8_t* msg, size_t len) {
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

// Hot loop: seals packets [0, count) of the TUN batch to the slots JS chose and fills
// the sendmmsg vector. Returns the number of messages ready to send.
size_t Engine::SealTunBatch(size_t count) {
  const int64_t slots = int64_t(sessions_->size());
  size_t m = 0;
  for (size_t i = 0; i < count; i++) {
    int64_t slot = tunSlots_[i];
    if (slot < 0 || slot >= slots) {
      Global(kTunDropUnrouted)++;
      continue;
    }
    uint8_t* msg = tunBuf_ + i * stride_;
    size_t len = tunLen_[i];
    if (!SealMessage(int(slot), msg, len)) continue;
    Session* s = sessions_->At(slot);
    sendIov_[m] = iovec{msg, len + kOverhead};
    sendMsgs_[m].msg_hdr.msg_name = &s->endpoint.addr;
    sendMsgs_[m].msg_hdr.msg_namelen = s->endpoint.len;
    sendSlot_[m] = int32_t(slot);
    m++;
  }
  return m;
}

// Hot loop: sendmmsg until done. A transient refusal (full socket buffer) drops the
// rest of the batch; any other error drops only the message it names. Never blocks,
// never queues; each iteration makes progress, so the loop is bounded by `messages`.
size_t Engine::SendSealed(size_t messages) {
  size_t done = 0, sent = 0;
  while (done < messages) {
    int r = sendmmsg(udpFd_, &sendMsgs_[done], unsigned(messages - done), MSG_DONTWAIT);
    if (r > 0) {
      for (size_t k = done; k < done + size_t(r); k++) {
        SlotStat(sendSlot_[k], kTxPackets)++;
        SlotStat(sendSlot_[k], kTxBytes) += sendIov_[k].iov_len;
      }
      done += size_t(r);
      sent += size_t(r);
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    size_t stop = (r < 0 && IsTransientSendError(errno)) ? messages : done + 1;
    for (; done < stop; done++) SlotStat(sendSlot_[done], kTxDropSendError)++;
  }
  return sent;
}

// sealAndSend(count) -> messages handed to the kernel. Only inside onTun, once per batch.
Napi::Value Engine::SealAndSend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) return Napi::Number::New(env, 0);
  if (!tunBatchOpen_) ThrowCoded(env, "VPCMESH_ERR_TUN_NO_BATCH", "sealAndSend() outside onTun or called twice");
  size_t count = info[0].IsNumber() ? size_t(std::max(0, info[0].As<Napi::Number>().Int32Value())) : tunCount_;
  if (count > tunCount_) count = tunCount_;
  tunBatchOpen_ = false;
  Global(kTunDropUnrouted) += tunCount_ - count;
  size_t sent = SendSealed(SealTunBatch(count));
  return Napi::Number::New(env, double(sent));
}

// sealAndSendOne(slot, payload) -> true if handed to the kernel. false after close.
Napi::Value Engine::SealAndSendOne(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) return Napi::Boolean::New(env, false);
  if (!info[0].IsNumber() || !info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    ThrowCoded(env, "VPCMESH_ERR_TUN_INVALID_ARGUMENT", "sealAndSendOne(slot, Uint8Array)");
  double slotD = info[0].As<Napi::Number>().DoubleValue();
  if (slotD != double(int64_t(slotD)) || slotD < 0 || slotD >= double(sessions_->size()))
    ThrowCoded(env, "VPCMESH_ERR_TUN_INVALID_ARGUMENT", "slot out of range");
  int slot = int(slotD);
  Napi::Uint8Array payload = info[1].As<Napi::Uint8Array>();
  size_t len = payload.ByteLength();
  if (len > oneBuf_.size() - kOverhead) {
    SlotStat(slot, kTxDropTooBig)++;
    return Napi::Boolean::New(env, false);
  }
  std::memcpy(oneBuf_.data() + kHeaderSize, payload.Data(), len);
  if (!SealMessage(slot, oneBuf_.data(), len)) return Napi::Boolean::New(env, false);
  const Endpoint& ep = sessions_->At(slot)->endpoint;
  ssize_t r = sendto(udpFd_, oneBuf_.data(), len + kOverhead, MSG_DONTWAIT,
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

size_t Engine::ReceiveUdpBatch() {
  for (size_t i = 0; i < batchCap_; i++) {
    recvMsgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    recvMsgs_[i].msg_hdr.msg_flags = 0;
  }
  for (;;) {
    int r = recvmmsg(udpFd_, recvMsgs_.data(), unsigned(batchCap_), MSG_DONTWAIT, nullptr);
    if (r >= 0) return size_t(r);
    if (errno == EINTR) continue;
    // ICMP errors surfacing on the socket and the like: count, try again next readiness.
    if (errno != EAGAIN && errno != EWOULDBLOCK) Global(kUdpRecvErrors)++;
    return 0;
  }
}

void Engine::Report(uint8_t kind, int32_t slot, size_t offset, size_t length, size_t recvIndex, uint8_t flags) {
  size_t r = udpCount_++;
  udpEntries_[r] = UdpEntry{uint32_t(offset), uint32_t(length), slot, kind, uint16_t(recvIndex)};
  udpOffsets_[r] = int32_t(offset);
  udpLengths_[r] = int32_t(length);
  udpSlots_[r] = slot;
  udpKinds_[r] = kind;
  udpFlags_[r] = flags;
  udpVerdicts_[r] = kVerdictDrop;
}

// Hot path: classifies datagram i, and for a data message authenticates, checks the
// replay window and decrypts it in place. Reports survivors; counts every drop.
void Engine::ProcessDatagram(size_t i) {
  const mmsghdr& m = recvMsgs_[i];
  uint8_t* p = udpBuf_ + i * stride_;
  size_t len = m.msg_len;
  Global(kUdpRxDatagrams)++;
  if (m.msg_hdr.msg_flags & MSG_TRUNC) return void(Global(kUdpDropTruncated)++);
  if (len < 4) return void(Global(kUdpDropTooShort)++);
  if (LoadLe32(p) != kTypeData) {
    Global(kUdpRxRaw)++;
    return Report(kKindRaw, -1, i * stride_, len, i, 0);
  }
  if (len < kOverhead) return void(Global(kUdpDropTooShort)++);
  int slot = sessions_->Lookup(LoadLe32(p + kOffsetReceiver));
  if (slot < 0) return void(Global(kUdpDropUnknownIndex)++);
  Session* s = sessions_->At(slot);
  uint64_t counter = LoadLe64(p + kOffsetCounter);
  if (counter >= kRejectAfterMessages || !s->replay.Check(counter)) return void(SlotStat(slot, kRxDropReplay)++);
  size_t plen = len - kOverhead;
  if (!s->opener.Open(counter, p, p + kHeaderSize, plen, p + kHeaderSize + plen))
    return void(SlotStat(slot, kRxDropAuth)++);
  s->replay.Mark(counter);
  SlotStat(slot, kRxPackets)++;
  SlotStat(slot, kRxBytes) += len;
  SlotStat(slot, kRecvNewest) = s->replay.newest();
  int kind = ClassifyPayload(p + kHeaderSize, plen);
  if (kind < 0) return void(SlotStat(slot, kRxDropMalformed)++);
  if (kind == kKindKeepalive) SlotStat(slot, kRxKeepalives)++;
  if (kind == kKindControl) SlotStat(slot, kRxControl)++;
  bool same = s->endpoint.set() && SameEndpoint(recvAddrs_[i], s->endpoint.addr);
  Report(uint8_t(kind), slot, i * stride_ + kHeaderSize, plen, i, same ? 0 : kFlagNewSource);
}

void Engine::OnUdpReadable() {
  size_t n = ReceiveUdpBatch();
  if (n == 0) return;
  udpCount_ = 0;
  for (size_t i = 0; i < n; i++) ProcessDatagram(i);
  if (udpCount_ == 0) return;
  udpBatchOpen_ = udpInCallback_ = true;
  Global(kUdpBatches)++;
  CallJs(onUdp_, {Napi::Number::New(Env(), double(udpCount_))});
  if (closed_) return;
  udpInCallback_ = false;
  if (!udpBatchOpen_) return;
  udpBatchOpen_ = false;  // JS never called writeTun: its IP packets count as rejected
  for (size_t r = 0; r < udpCount_; r++)
    if (udpEntries_[r].kind == kKindIp) SlotStat(udpEntries_[r].slot, kRxDropRejected)++;
}

// Hot loop: writeTun(count) -> packets written. Writes IP entries [0, count) whose
// verdict is kVerdictAccept, one write() each (a TUN has no batched write without
// IFF_VNET_HDR). Only inside onUdp, once per batch.
Napi::Value Engine::WriteTun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) return Napi::Number::New(env, 0);
  if (!udpBatchOpen_) ThrowCoded(env, "VPCMESH_ERR_TUN_NO_BATCH", "writeTun() outside onUdp or called twice");
  size_t count = info[0].IsNumber() ? size_t(std::max(0, info[0].As<Napi::Number>().Int32Value())) : udpCount_;
  udpBatchOpen_ = false;
  size_t written = 0;
  for (size_t r = 0; r < udpCount_; r++) {
    const UdpEntry& e = udpEntries_[r];
    if (e.kind != kKindIp) continue;
    if (r >= count || udpVerdicts_[r] != kVerdictAccept) {
      SlotStat(e.slot, kRxDropRejected)++;
      continue;
    }
    ssize_t w = write(tunFd_, udpBuf_ + e.offset, e.length);
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
