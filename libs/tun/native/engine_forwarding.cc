// The forwarding engine's JS side (workers >= 1): the tables JS uploads, and the events
// packet threads queue for the JS thread, delivered as onUdp batches and onDemand calls.
#include <algorithm>
#include <cstring>

#include "engine.h"
#include "slot_arg.h"

namespace vpcmesh {

namespace {

void RequireForwarding(Napi::Env env, bool workers) {
  if (!workers)
    ThrowCoded(env, "VPCMESH_ERR_TUN_INVALID_ARGUMENT",
               "forwarding tables need an engine opened with workers >= 1");
}

int32_t IndexArg(const Napi::Value& v, size_t size, bool allowNone, const char* what) {
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -2;
  if (d != double(int64_t(d)) || d < (allowNone ? -1 : 0) || d >= double(size))
    ThrowCoded(v.Env(), "VPCMESH_ERR_TUN_INVALID_ARGUMENT",
               std::string(what) + " must be an integer in [" + (allowNone ? "-1" : "0") + ", " +
                   std::to_string(size) + ")");
  return int32_t(d);
}

}  // namespace

// setRoutes([{address: Uint8Array(4|16), bits, peer}]): replaces the table, all or nothing.
Napi::Value NativeEngine::SetRoutes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireForwarding(env, workers());
  if (!info[0].IsArray())
    ThrowCoded(env, "VPCMESH_ERR_TUN_INVALID_ARGUMENT", "routes array required");
  Napi::Array a = info[0].As<Napi::Array>();
  auto next = std::make_shared<RouteSnapshot>();
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value v = a.Get(i);
    Napi::Object o = v.IsObject() ? v.As<Napi::Object>() : Napi::Object::New(env);
    Napi::Value addr = o.Get("address");
    std::string where = "route " + std::to_string(i);
    if (!addr.IsTypedArray() || addr.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
      ThrowCoded(env, "VPCMESH_ERR_TUN_INVALID_ARGUMENT", where + ": address must be a Uint8Array");
    Napi::Uint8Array bytes = addr.As<Napi::Uint8Array>();
    int32_t peer = IndexArg(o.Get("peer"), sessions_->size(), false, (where + ": peer").c_str());
    Napi::Value bits = o.Get("bits");
    int b = bits.IsNumber() ? bits.As<Napi::Number>().Int32Value() : -1;
    if (!next->Add(bytes.Data(), bytes.ByteLength(), b, peer))
      ThrowCoded(env, "VPCMESH_ERR_TUN_INVALID_ARGUMENT",
                 where + ": not a prefix (4 or 16 address bytes, bits in range, no host bits)");
  }
  next->Seal();
  forwarding_->SetRoutes(std::move(next));
  return env.Undefined();
}

// setPeer(peer, sendSlot, group)
Napi::Value NativeEngine::SetPeer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireForwarding(env, workers());
  int32_t peer = IndexArg(info[0], sessions_->size(), false, "peer");
  int32_t slot = IndexArg(info[1], sessions_->size(), true, "sendSlot");
  double g = info[2].IsNumber() ? info[2].As<Napi::Number>().DoubleValue() : -1;
  if (g != double(int64_t(g)) || g < 0 || g > double(UINT32_MAX))
    ThrowCoded(env, "VPCMESH_ERR_TUN_INVALID_ARGUMENT", "group must be a u32");
  forwarding_->SetPeer(size_t(peer), slot, uint32_t(g));
  return env.Undefined();
}

// setSlotPeer(slot, peer)
Napi::Value NativeEngine::SetSlotPeer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireForwarding(env, workers());
  int slot = SlotArg(info[0], sessions_->size());
  int32_t peer = IndexArg(info[1], sessions_->size(), true, "peer");
  forwarding_->SetSlotPeer(size_t(slot), peer);
  return env.Undefined();
}

// workerStats() -> [{tunPackets, udpDatagrams}] per worker ([] inline).
Napi::Value NativeEngine::WorkerStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env, workers_.size());
  for (size_t i = 0; i < workers_.size(); i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("tunPackets", double(workers_[i]->tunPackets()));
    o.Set("udpDatagrams", double(workers_[i]->udpDatagrams()));
    out.Set(uint32_t(i), o);
  }
  return out;
}

// uv_async callback: the queue went from empty to not empty.
void NativeEngine::OnEvents(uv_async_t* handle) {
  auto* self = static_cast<NativeEngine*>(handle->data);
  if (self == nullptr || self->closed_) return;
  Napi::HandleScope scope(self->Env());
  self->DeliverEvents();
}

// Drains the queue in batches: entries into the shared UDP arrays (one onUdp call per
// batch), demands and errors as they come. Stops when empty or when JS closed the engine.
void NativeEngine::DeliverEvents() {
  const size_t cap = laneCfg_.batchCap;
  const size_t stride = laneCfg_.udpStride;
  std::vector<int32_t> demands;
  std::vector<std::pair<const char*, std::string>> errors;
  for (;;) {
    size_t n = 0;
    demands.clear();
    errors.clear();
    size_t took = events_->Drain(cap, [&](const Event& e) {
      if (e.type == EventType::kDemand) {
        demands.push_back(e.peer);
        return;
      }
      if (e.type == EventType::kError) {
        errors.emplace_back(e.code, std::string(reinterpret_cast<const char*>(e.bytes), e.length));
        return;
      }
      uint8_t* dst = shared_.udpBuf + n * stride;
      std::memcpy(dst, e.bytes, std::min<size_t>(e.length, stride));
      shared_.udpOffsets[n] = int32_t(n * stride);
      shared_.udpLengths[n] = int32_t(e.length);
      shared_.udpSlots[n] = e.slot;
      shared_.udpKinds[n] = e.kind;
      shared_.udpFlags[n] = e.flags;
      shared_.udpVerdicts[n] = kVerdictDrop;
      sources_[n] = e.source;
      n++;
    });
    if (took == 0) return;
    if (n > 0) {
      udpCount_ = n;
      udpBatchOpen_ = udpInCallback_ = true;
      lane_->AddGlobal(kUdpBatches);
      CallJs(onUdp_, {Napi::Number::New(Env(), double(n))});
      udpBatchOpen_ = udpInCallback_ = false;
      udpCount_ = 0;
      if (closed_) return;
    }
    for (int32_t peer : demands) {
      if (!onDemand_.IsEmpty()) CallJs(onDemand_, {Napi::Number::New(Env(), double(peer))});
      if (closed_) return;
    }
    for (auto& [code, message] : errors) {
      if (tunGoneReported_) continue;  // every queue of a deleted device says so: once is enough
      tunGoneReported_ = true;
      ReportError(code, message);
      if (closed_) return;
    }
  }
}

}  // namespace vpcmesh
