// The inline engine's batches (workers 0): readiness on the JS thread, one JS call per
// batch, and the JS methods that complete a batch. sealAndSendOne works in both modes.
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "engine.h"
#include "slot_arg.h"
#include "wire_format.h"

namespace vpcmesh {

namespace {

// The `count` argument of sealAndSend/writeTun: [0, all], `all` when left out.
size_t CountArg(const Napi::Value& v, size_t all) {
  if (!v.IsNumber()) return all;
  return std::min(all, size_t(std::max(0, v.As<Napi::Number>().Int32Value())));
}

}  // namespace

// One batch per readiness callback: uv_poll is level-triggered, so a full batch makes
// it fire again on the next loop turn, after timers and the other fd had their turn.
void NativeEngine::OnTunReadable() {
  size_t n = lane_->ReadTunBatch();
  if (n == 0 || closed_) return;
  tunCount_ = n;
  tunBatchOpen_ = true;
  lane_->AddGlobal(kTunBatches);
  CallJs(onTun_, {Napi::Number::New(Env(), double(n))});
  if (closed_) return;
  if (tunBatchOpen_) lane_->AddGlobal(kTunDropUnrouted, n);  // JS never called sealAndSend
  tunBatchOpen_ = false;
}

void NativeEngine::OnUdpReadable() {
  size_t n = lane_->ReceiveUdpBatch();
  if (n == 0) return;
  lane_->ProcessReceived(n);
}

// The inline lane's reported entries go to JS; false if JS closed the engine.
bool NativeEngine::FlushUdp(Lane& lane) {
  udpCount_ = lane.udpCount();
  udpBatchOpen_ = udpInCallback_ = true;
  lane.AddGlobal(kUdpBatches);
  CallJs(onUdp_, {Napi::Number::New(Env(), double(udpCount_))});
  if (closed_) return false;
  udpInCallback_ = false;
  if (udpBatchOpen_) {
    udpBatchOpen_ = false;  // JS never called writeTun: its IP packets count as rejected
    lane.WriteAccepted(0);
  }
  udpCount_ = 0;
  return true;
}

void NativeEngine::TunGone(Lane& lane, int err) {
  StopPoll(&tunPoll_, nullptr);  // the device is gone: stop reading, keep UDP alive
  ReportError("VPCMESH_ERR_TUN_DEVICE_GONE", std::string("read from TUN: ") + strerror(err));
}

// sealAndSend(count) -> datagrams handed to the kernel. Only inside onTun, once per batch.
Napi::Value NativeEngine::SealAndSend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) return Napi::Number::New(env, 0);
  if (!tunBatchOpen_)
    ThrowCoded(env, "VPCMESH_ERR_TUN_NO_BATCH", "sealAndSend() outside onTun or called twice");
  size_t count = CountArg(info[0], tunCount_);
  tunBatchOpen_ = false;
  lane_->AddGlobal(kTunDropUnrouted, tunCount_ - count);
  size_t sent = lane_->SealAndSendTunBatch(count);
  return Napi::Number::New(env, double(sent));
}

// sealAndSendOne(slot, payload) -> true if handed to the kernel. false after close. The JS
// thread seals with the session's own context; packet threads have theirs.
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
    lane_->AddSlot(slot, kTxDropTooBig);
    return Napi::Boolean::New(env, false);
  }
  std::memcpy(oneBuf_.data() + kHeaderSize, payload.Data(), len);
  if (!lane_->SealMessage(slot, oneBuf_.data(), len)) return Napi::Boolean::New(env, false);
  const Endpoint& ep = sessions_->At(slot)->endpoint;
  ssize_t r = sendto(sendFd(), oneBuf_.data(), len + kOverhead, MSG_DONTWAIT,
                     reinterpret_cast<const sockaddr*>(&ep.addr), ep.len);
  if (r < 0) {
    lane_->AddSlot(slot, kTxDropSendError);
    return Napi::Boolean::New(env, false);
  }
  lane_->AddSlot(slot, kTxPackets);
  lane_->AddSlot(slot, kTxBytes, len + kOverhead);
  return Napi::Boolean::New(env, true);
}

// writeTun(count) -> packets written: IP entries [0, count) whose verdict is Accept. Only
// inside onUdp, once per batch. A forwarding engine's batches hold no IP entries: 0.
Napi::Value NativeEngine::WriteTun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) return Napi::Number::New(env, 0);
  if (!udpBatchOpen_)
    ThrowCoded(env, "VPCMESH_ERR_TUN_NO_BATCH", "writeTun() outside onUdp or called twice");
  size_t count = CountArg(info[0], udpCount_);
  udpBatchOpen_ = false;
  if (workers()) return Napi::Number::New(env, 0);
  return Napi::Number::New(env, double(lane_->WriteAccepted(count)));
}

}  // namespace vpcmesh
