// NativeEngine setup, control-plane methods and lifecycle. The per-packet paths live in lane_io.cc
// and lane_offload.cc (inline batches: engine_js.cc; forwarding: worker.cc, engine_forwarding.cc).
#include "engine.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "slot_arg.h"
#include "wire_format.h"

namespace vpcmesh {

namespace {

// --- option limits ----------------------------------------------------------------
constexpr int kMinMtu = 576;
constexpr int kMaxBatch = 1024;
constexpr int kMaxSlots = 65536;
// Packet threads of a forwarding engine. Bounded by the replay window: threads sealing for
// one session reorder its counters by up to (threads - 1) * kMaxSendDatagrams (docs/protocol.md).
constexpr int kMaxWorkers = 8;
static_assert((kMaxWorkers - 1) * kMaxSendDatagrams < ReplayWindow::kWindowSize,
              "parallel sealing must stay inside the replay window");
// Reports the packet threads may queue for the JS thread before dropping (event_queue.h).
constexpr size_t kEventQueueCapacity = 1024;
// Each buffer slot holds at least this much inner packet, so peers with a larger MTU
// than ours (up to jumbo frames) are not truncated.
constexpr size_t kMinPacketCapacity = 9000;
constexpr size_t kAlign = 64;
// `offload` when the options leave it out (libs/tun/src/engine.ts documents the same):
// on, since it measured about 5x single-stream TCP throughput (test/bench/tunnel.bench.ts).
constexpr bool kDefaultOffload = true;

int IntOption(const Napi::Object& o, const char* key, int def, int lo, int hi) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return def;
  if (!v.IsNumber())
    ThrowCoded(o.Env(), "VPCMESH_ERR_TUN_INVALID_OPTIONS", std::string(key) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (d != double(int64_t(d)) || d < lo || d > hi)
    ThrowCoded(o.Env(), "VPCMESH_ERR_TUN_INVALID_OPTIONS",
               std::string(key) + " must be an integer in [" + std::to_string(lo) + ", " +
                   std::to_string(hi) + "]");
  return int(d);
}

bool BoolOption(const Napi::Object& o, const char* key, bool def) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return def;
  if (!v.IsBoolean())
    ThrowCoded(o.Env(), "VPCMESH_ERR_TUN_INVALID_OPTIONS", std::string(key) + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

size_t AlignUp(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

std::string StringOption(const Napi::Object& o, const char* key, const char* def) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return def;
  if (!v.IsString())
    ThrowCoded(o.Env(), "VPCMESH_ERR_TUN_INVALID_OPTIONS", std::string(key) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

uint32_t U32Field(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (d != double(int64_t(d)) || d < 0 || d > double(UINT32_MAX))
    ThrowCoded(o.Env(), "VPCMESH_ERR_TUN_INVALID_ARGUMENT", std::string(key) + " must be a u32");
  return uint32_t(d);
}

const uint8_t* KeyField(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array ||
      v.As<Napi::Uint8Array>().ByteLength() != kKeySize)
    ThrowCoded(o.Env(), "VPCMESH_ERR_TUN_INVALID_ARGUMENT",
               std::string(key) + " must be a 32-byte Uint8Array");
  return v.As<Napi::Uint8Array>().Data();
}

}  // namespace

// Owns one uv_poll_t. `engine` is cleared when the engine lets go of the handle, so a
// late callback can never reach a closed engine. `closer` is set only during env
// teardown (see OnEnvTeardown).
struct PollHandle {
  uv_poll_t handle;
  NativeEngine* engine;
  HookCloser* closer;
};

// Owns the uv_async_t that wakes the JS thread for queued events (forwarding engines).
struct AsyncHandle {
  uv_async_t handle;
  HookCloser* closer;
};

// Env teardown: counts handles still closing; the last close callback tells Node that
// our async cleanup hook is done. Independent of NativeEngine, which may be finalized first.
struct HookCloser {
  int pending;
  napi_async_cleanup_hook_handle hook;
};

[[noreturn]] void ThrowCoded(Napi::Env env, const char* code, const std::string& message, int err) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  if (err != 0) e.Set("errno", Napi::Number::New(env, err));
  throw e;
}

Napi::Function NativeEngine::Define(Napi::Env env) {
  return DefineClass(env, "NativeEngine",
                     {
                         InstanceMethod<&NativeEngine::Start>("start"),
                         InstanceMethod<&NativeEngine::Close>("close"),
                         InstanceMethod<&NativeEngine::SetSession>("setSession"),
                         InstanceMethod<&NativeEngine::SetEndpoint>("setEndpoint"),
                         InstanceMethod<&NativeEngine::ClearSession>("clearSession"),
                         InstanceMethod<&NativeEngine::SealAndSend>("sealAndSend"),
                         InstanceMethod<&NativeEngine::SealAndSendOne>("sealAndSendOne"),
                         InstanceMethod<&NativeEngine::WriteTun>("writeTun"),
                         InstanceMethod<&NativeEngine::SendRaw>("sendRaw"),
                         InstanceMethod<&NativeEngine::UdpSource>("udpSource"),
                         InstanceMethod<&NativeEngine::GetViews>("views"),
                         InstanceMethod<&NativeEngine::GetInfo>("info"),
                         InstanceMethod<&NativeEngine::SetRoutes>("setRoutes"),
                         InstanceMethod<&NativeEngine::SetPeer>("setPeer"),
                         InstanceMethod<&NativeEngine::SetSlotPeer>("setSlotPeer"),
                         InstanceMethod<&NativeEngine::WorkerStats>("workerStats"),
                     });
}

// new NativeEngine(options): opens the TUN and the UDP socket; nothing is polled until start().
NativeEngine::NativeEngine(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeEngine>(info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject())
    ThrowCoded(env, "VPCMESH_ERR_TUN_INVALID_OPTIONS", "options object required");
  TunConfig tunCfg;
  UdpConfig udpCfg;
  ParseOptions(info[0].As<Napi::Object>(), &tunCfg, &udpCfg, &cipherName_);
  if (workerCount_ == 0) {
    SysError e = OpenTun(tunCfg, &tunFd_, &tunName_);
    if (e.failed) ThrowCoded(env, "VPCMESH_ERR_TUN_OPEN_FAILED", e.Message(), e.err);
    e = OpenUdp(udpCfg, &udpFd_, &udpFamily_, &udpPort_);
    if (e.failed) ThrowCoded(env, "VPCMESH_ERR_TUN_BIND_FAILED", e.Message(), e.err);
  }
  AllocateShared(env);
  if (workerCount_ > 0) OpenWorkers(env, tunCfg, udpCfg);
  lane_ = std::make_unique<Lane>(laneCfg_, shared_, sessions_.get(), slotStats_, globalStats_,
                                 nullptr, this);
  lane_->SetFds(tunFd_.get(), sendFd());
  oneBuf_.assign(laneCfg_.stride, 0);
  asyncContext_ = std::make_unique<Napi::AsyncContext>(env, "vpcmesh_tun");
#ifdef VPCMESH_TEST_HOOKS
  // Test addon only: fail as late as possible, with both fds open and every buffer
  // allocated, to prove the UniqueFd members close them (libs/tun/test/netns-fd-leak.test.ts).
  if (BoolOption(info[0].As<Napi::Object>(), "failAfterOpenForTest", false))
    ThrowCoded(env, "VPCMESH_ERR_TUN_INVALID_OPTIONS",
               "failAfterOpenForTest: tun fd " + std::to_string(tunFd_.get()) + ", udp fd " +
                   std::to_string(udpFd_.get()));
#endif
  napi_add_async_cleanup_hook(env, &NativeEngine::OnEnvTeardown, this, &hook_);
  Ref();  // an open engine stays alive (like a socket) until close() or env exit
}

void NativeEngine::ParseOptions(const Napi::Object& o, TunConfig* tun, UdpConfig* udp,
                                std::string* cipher) {
  LaneConfig& c = laneCfg_;
  tun->name = StringOption(o, "tunName", "");
  tun->mtu = c.mtu = IntOption(o, "mtu", 1420, kMinMtu, int(kMaxInnerPacket));
  tun->txQueueLen = IntOption(o, "txQueueLen", 1000, 1, 1 << 20);
  udp->host = StringOption(o, "bindHost", "0.0.0.0");
  udp->port = IntOption(o, "bindPort", 0, 0, 65535);
  udp->bufferBytes = IntOption(o, "socketBufferBytes", 4 << 20, 65536, 1 << 30);
  udp->fwmark = IntOption(o, "fwmark", 0, 0, 0x7fffffff);
  tun->offload = udp->gro = c.offload = BoolOption(o, "offload", kDefaultOffload);
  c.batchCap = size_t(IntOption(o, "batchSize", 64, 1, kMaxBatch));
  workerCount_ = size_t(IntOption(o, "workers", 0, 0, kMaxWorkers));
  size_t slots = size_t(IntOption(o, "maxSlots", 1024, 1, kMaxSlots));
  *cipher = StringOption(o, "cipher", "aes-256-gcm");
  CipherKind kind;
  if (!ParseCipherKind(cipher->c_str(), &kind))
    ThrowCoded(o.Env(), "VPCMESH_ERR_TUN_INVALID_OPTIONS",
               "cipher must be aes-256-gcm or chacha20-poly1305");
  sessions_ = std::make_unique<SessionTable>(slots, kind);
  size_t capacity = std::max(size_t(c.mtu), kMinPacketCapacity);
  c.stride = c.tunStride = c.udpStride = AlignUp(capacity + kOverhead);
  c.sendCap = c.batchCap;
  if (!c.offload) return;
  c.tunStride = AlignUp(kMaxIpPacket + kOverhead);  // a TSO super-packet
  c.udpStride = AlignUp(kMaxIpPacket + 1);          // a UDP GRO buffer
  c.segStride = AlignUp(size_t(c.mtu) + kOverhead);
  c.sendCap = kMaxSendDatagrams;
  c.arenaSlots = std::clamp(kMaxArenaBytes / c.segStride, kMaxGsoSegments, c.sendCap);
}

// Forwarding engine: one TUN queue and one SO_REUSEPORT socket per worker (threads start
// in start()), the tables and the event queue.
void NativeEngine::OpenWorkers(Napi::Env env, const TunConfig& tunCfg, const UdpConfig& udpCfg) {
  TunConfig tun = tunCfg;
  tun.multiQueue = true;
  UdpConfig udp = udpCfg;
  udp.reusePort = true;
  stopFd_ = UniqueFd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!stopFd_.valid()) ThrowCoded(env, "VPCMESH_ERR_TUN_OPEN_FAILED", "eventfd", errno);
  forwarding_ = std::make_unique<ForwardingTable>(sessions_->size());
  events_ = std::make_unique<EventQueue>(kEventQueueCapacity, [this] {
    if (async_ != nullptr) uv_async_send(&async_->handle);
  });
  sources_.assign(laneCfg_.batchCap, sockaddr_storage{});
  for (size_t i = 0; i < workerCount_; i++) {
    UniqueFd tunFd, udpFd;
    SysError e = i == 0 ? OpenTun(tun, &tunFd, &tunName_) : OpenTunQueue(tun, tunName_, &tunFd);
    if (e.failed) ThrowCoded(env, "VPCMESH_ERR_TUN_OPEN_FAILED", e.Message(), e.err);
    int family = 0, port = 0;
    e = OpenUdp(udp, &udpFd, &family, &port);
    if (e.failed) ThrowCoded(env, "VPCMESH_ERR_TUN_BIND_FAILED", e.Message(), e.err);
    if (i == 0) {
      udpFamily_ = family;
      udpPort_ = udp.port = port;  // the others join the port the first one got
    }
    workers_.push_back(std::make_unique<Worker>(laneCfg_, sessions_.get(), forwarding_.get(),
                                                events_.get(), slotStats_, globalStats_,
                                                std::move(tunFd), std::move(udpFd)));
  }
}

// Allocates every buffer shared with JS as an ArrayBuffer (V8 never moves their
// backing stores) and keeps them alive through one `views` object.
void NativeEngine::AllocateShared(Napi::Env env) {
  Napi::Object v = Napi::Object::New(env);
  auto bytes = [&](const char* name, size_t n) {
    Napi::Uint8Array a = Napi::Uint8Array::New(env, n);
    v.Set(name, a);
    return a.Data();
  };
  auto ints = [&](const char* name) {
    Napi::Int32Array a = Napi::Int32Array::New(env, laneCfg_.batchCap);
    v.Set(name, a);
    return a.Data();
  };
  auto counters = [&](const char* name, size_t n) {
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, n * sizeof(uint64_t));
    napi_value arr;
    napi_create_typedarray(env, napi_biguint64_array, n, ab, 0, &arr);
    v.Set(name, arr);
    std::fill_n(static_cast<uint64_t*>(ab.Data()), n, 0);
    return static_cast<uint64_t*>(ab.Data());
  };
  const size_t n = laneCfg_.batchCap;
  shared_.tunBuf = bytes("tunBuffer", n * laneCfg_.tunStride);
  shared_.tunOffsets = ints("tunOffsets");
  shared_.tunLengths = ints("tunLengths");
  shared_.tunSlots = ints("tunSlots");
  shared_.udpBuf = bytes("udpBuffer", n * laneCfg_.udpStride);
  shared_.udpOffsets = ints("udpOffsets");
  shared_.udpLengths = ints("udpLengths");
  shared_.udpSlots = ints("udpSlots");
  shared_.udpKinds = bytes("udpKinds", n);
  shared_.udpFlags = bytes("udpFlags", n);
  shared_.udpVerdicts = bytes("udpVerdicts", n);
  slotStats_ = counters("slotStats", sessions_->size() * kSlotStatsStride);
  globalStats_ = counters("globalStats", kGlobalStatsCount);
  views_ = Napi::Persistent(v);
}

NativeEngine::~NativeEngine() {
  // Normally close() or env teardown already ran; the fds (if still open) close with
  // their UniqueFd members. Poll handles are never touched here.
  if (hook_ != nullptr) napi_remove_async_cleanup_hook(hook_);
}

// start(onTun(count), onUdp(count), onError(code, message)[, onDemand(peer)]): begins
// polling (inline) or starts the packet threads (forwarding). Once only.
Napi::Value NativeEngine::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) ThrowCoded(env, "VPCMESH_ERR_TUN_CLOSED", "engine is closed");
  if (started_) ThrowCoded(env, "VPCMESH_ERR_TUN_ALREADY_STARTED", "start() may be called once");
  if (!info[0].IsFunction() || !info[1].IsFunction() || !info[2].IsFunction())
    ThrowCoded(env, "VPCMESH_ERR_TUN_INVALID_ARGUMENT",
               "start(onTun, onUdp, onError) needs three functions");
  onTun_ = Napi::Persistent(info[0].As<Napi::Function>());
  onUdp_ = Napi::Persistent(info[1].As<Napi::Function>());
  onError_ = Napi::Persistent(info[2].As<Napi::Function>());
  if (info[3].IsFunction()) onDemand_ = Napi::Persistent(info[3].As<Napi::Function>());
  started_ = true;
  if (workers()) {
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    auto* ah = new AsyncHandle{uv_async_t{}, nullptr};
    if (uv_async_init(loop, &ah->handle, &NativeEngine::OnEvents) != 0) {
      delete ah;
      ThrowCoded(env, "VPCMESH_ERR_TUN_POLL_FAILED", "uv_async_init failed");
    }
    ah->handle.data = this;
    async_ = ah;
    for (auto& w : workers_) w->Start(stopFd_.get());
    return env.Undefined();
  }
  tunPoll_ = StartPoll(tunFd_.get());
  udpPoll_ = StartPoll(udpFd_.get());
  if (tunPoll_ == nullptr || udpPoll_ == nullptr)
    ThrowCoded(env, "VPCMESH_ERR_TUN_POLL_FAILED", "uv_poll_start failed");
  return env.Undefined();
}

PollHandle* NativeEngine::StartPoll(int fd) {
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(Env(), &loop);
  auto* ph = new PollHandle{uv_poll_t{}, this, nullptr};
  if (uv_poll_init(loop, &ph->handle, fd) != 0) {
    delete ph;
    return nullptr;
  }
  ph->handle.data = ph;
  uv_poll_start(&ph->handle, UV_READABLE, &NativeEngine::OnPoll);
  return ph;
}

void NativeEngine::OnPoll(uv_poll_t* handle, int status, int events) {
  auto* ph = static_cast<PollHandle*>(handle->data);
  NativeEngine* self = ph->engine;
  if (self == nullptr || self->closed_) return;
  Napi::HandleScope scope(self->Env());  // every JS value of this batch lives in it
  if (status < 0) {
    self->ReportError("VPCMESH_ERR_TUN_POLL_FAILED",
                      std::string("uv_poll: ") + uv_strerror(status));
    return;
  }
  if (ph == self->tunPoll_)
    self->OnTunReadable();
  else
    self->OnUdpReadable();
}

// Stops and closes a poll handle. The close callback only frees the handle (and during
// env teardown signals the hook); it never touches the engine.
void NativeEngine::StopPoll(PollHandle** slot, HookCloser* closer) {
  PollHandle* ph = *slot;
  if (ph == nullptr) return;
  *slot = nullptr;
  ph->engine = nullptr;
  ph->closer = closer;
  if (closer != nullptr) closer->pending++;
  uv_close(reinterpret_cast<uv_handle_t*>(&ph->handle), [](uv_handle_t* h) {
    auto* p = static_cast<PollHandle*>(h->data);
    HookCloser* c = p->closer;
    delete p;
    if (c != nullptr && --c->pending == 0) {
      napi_remove_async_cleanup_hook(c->hook);
      delete c;
    }
  });
}

// Releases OS resources. `closer` is non-null only during env teardown.
void NativeEngine::CloseEverything(HookCloser* closer) {
  closed_ = true;
  tunBatchOpen_ = udpBatchOpen_ = false;
  StopPoll(&tunPoll_, closer);
  StopPoll(&udpPoll_, closer);
  StopWorkers(closer);
  tunFd_.reset();
  udpFd_.reset();
}

// Stops the packet threads (they finish their current batch), then closes the async
// handle; queued events are dropped. The JS thread blocks for at most one batch per thread.
void NativeEngine::StopWorkers(HookCloser* closer) {
  if (!workers()) return;
  uint64_t one = 1;
  if (stopFd_.valid() && write(stopFd_.get(), &one, sizeof one) < 0) {
    // cannot fail on a fresh eventfd; the joins below would hang, so say so loudly
    napi_fatal_error("vpcmesh_tun", NAPI_AUTO_LENGTH, "eventfd write failed", NAPI_AUTO_LENGTH);
  }
  for (auto& w : workers_) w->Join();
  AsyncHandle* ah = async_;
  async_ = nullptr;
  if (ah == nullptr) return;
  ah->handle.data = nullptr;
  ah->closer = closer;
  if (closer != nullptr) closer->pending++;
  uv_close(reinterpret_cast<uv_handle_t*>(&ah->handle), [](uv_handle_t* h) {
    auto* a = reinterpret_cast<AsyncHandle*>(h);
    HookCloser* c = a->closer;
    delete a;
    if (c != nullptr && --c->pending == 0) {
      napi_remove_async_cleanup_hook(c->hook);
      delete c;
    }
  });
}

// Env teardown (process exit, worker termination) without close(): close the handles
// so the loop can close, and finish the hook once the last uv_close completed.
void NativeEngine::OnEnvTeardown(napi_async_cleanup_hook_handle hook, void* arg) {
  auto* self = static_cast<NativeEngine*>(arg);
  self->hook_ = nullptr;
  auto* closer = new HookCloser{1, hook};  // 1 = guard while the handles are queued
  self->CloseEverything(closer);
  if (--closer->pending == 0) {
    napi_remove_async_cleanup_hook(hook);
    delete closer;
  }
}

// close(): idempotent. Safe inside callbacks; the self-reference is dropped once the
// callback returns.
Napi::Value NativeEngine::Close(const Napi::CallbackInfo& info) {
  if (closed_) return info.Env().Undefined();
  if (hook_ != nullptr) napi_remove_async_cleanup_hook(hook_);
  hook_ = nullptr;
  CloseEverything(nullptr);
  onTun_.Reset();
  onUdp_.Reset();
  onError_.Reset();
  if (callbackDepth_ > 0)
    unrefPending_ = true;
  else
    Unref();
  return info.Env().Undefined();
}

void NativeEngine::CallJs(Napi::FunctionReference& fn, std::initializer_list<napi_value> args) {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  callbackDepth_++;
  try {
    fn.MakeCallback(Value(), args, *asyncContext_);
  } catch (const Napi::Error& e) {
    napi_fatal_exception(env, e.Value());  // -> process 'uncaughtException'
  }
  callbackDepth_--;
  if (unrefPending_ && callbackDepth_ == 0) {
    unrefPending_ = false;
    Unref();  // last use of `this` on this path: the caller returns right after
  }
}

void NativeEngine::ReportError(const char* code, const std::string& message) {
  if (onError_.IsEmpty()) return;
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  CallJs(onError_, {Napi::String::New(env, code), Napi::String::New(env, message)});
}

// setSession(slot, {sendKey, recvKey, localIndex, remoteIndex})
Napi::Value NativeEngine::SetSession(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) ThrowCoded(env, "VPCMESH_ERR_TUN_CLOSED", "engine is closed");
  int slot = SlotArg(info[0], sessions_->size());
  if (!info[1].IsObject())
    ThrowCoded(env, "VPCMESH_ERR_TUN_INVALID_ARGUMENT", "session object required");
  Napi::Object o = info[1].As<Napi::Object>();
  SessionKeys keys{KeyField(o, "sendKey"), KeyField(o, "recvKey"), U32Field(o, "localIndex"),
                   U32Field(o, "remoteIndex")};
  std::lock_guard<TableLock> g(sessions_->lock());  // packet threads finish their batch first
  switch (sessions_->Install(slot, keys)) {
    case InstallResult::kOk:
      break;
    case InstallResult::kIndexInUse:
      ThrowCoded(env, "VPCMESH_ERR_TUN_INDEX_IN_USE", "localIndex already belongs to another slot");
    case InstallResult::kBadSlot:
      ThrowCoded(env, "VPCMESH_ERR_TUN_INVALID_ARGUMENT", "slot out of range");
    case InstallResult::kCryptoFailed:
      ThrowCoded(env, "VPCMESH_ERR_TUN_CRYPTO_FAILED", "OpenSSL refused to key the AEAD context");
  }
  lane_->StoreSlot(slot, kSendCounter, 0);
  lane_->StoreSlot(slot, kRecvNewest, 0);
  return env.Undefined();
}

// setEndpoint(slot, ip, port)
Napi::Value NativeEngine::SetEndpoint(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) ThrowCoded(env, "VPCMESH_ERR_TUN_CLOSED", "engine is closed");
  int slot = SlotArg(info[0], sessions_->size());
  Endpoint ep;
  if (!info[1].IsString() || !info[2].IsNumber() ||
      !ParseEndpoint(info[1].As<Napi::String>().Utf8Value(),
                     info[2].As<Napi::Number>().Int32Value(), udpFamily_, &ep))
    ThrowCoded(env, "VPCMESH_ERR_TUN_INVALID_ADDRESS",
               "invalid endpoint for this socket's address family");
  std::lock_guard<TableLock> g(sessions_->lock());
  Session* s = sessions_->At(slot);
  s->endpoint = ep;
  s->roamNoticed = false;
  return env.Undefined();
}

// clearSession(slot): no-op after close or for an empty slot.
Napi::Value NativeEngine::ClearSession(const Napi::CallbackInfo& info) {
  int slot = SlotArg(info[0], sessions_->size());
  std::lock_guard<TableLock> g(sessions_->lock());
  sessions_->Clear(slot);
  return info.Env().Undefined();
}

// udpSource(i) -> {address, port} of entry i of the current UDP batch, or undefined
// outside the onUdp callback or out of range.
Napi::Value NativeEngine::UdpSource(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t i = info[0].IsNumber() ? info[0].As<Napi::Number>().Uint32Value() : UINT32_MAX;
  if (!udpInCallback_ || i >= udpCount_) return env.Undefined();
  std::string ip;
  int port = 0;
  FormatEndpoint(workers() ? sources_[i] : lane_->source(i), &ip, &port);
  Napi::Object o = Napi::Object::New(env);
  o.Set("address", Napi::String::New(env, ip));
  o.Set("port", Napi::Number::New(env, port));
  return o;
}

// sendRaw(datagram, ip, port) -> boolean handed to the kernel. false after close.
Napi::Value NativeEngine::SendRaw(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    ThrowCoded(env, "VPCMESH_ERR_TUN_INVALID_ARGUMENT", "datagram must be a Uint8Array");
  Endpoint ep;
  if (!info[1].IsString() || !info[2].IsNumber() ||
      !ParseEndpoint(info[1].As<Napi::String>().Utf8Value(),
                     info[2].As<Napi::Number>().Int32Value(), closed_ ? AF_INET6 : udpFamily_, &ep))
    ThrowCoded(env, "VPCMESH_ERR_TUN_INVALID_ADDRESS",
               "invalid destination for this socket's address family");
  if (closed_) return Napi::Boolean::New(env, false);
  Napi::Uint8Array d = info[0].As<Napi::Uint8Array>();
  ssize_t r = sendto(sendFd(), d.Data(), d.ByteLength(), MSG_DONTWAIT,
                     reinterpret_cast<sockaddr*>(&ep.addr), ep.len);
  lane_->AddGlobal(r >= 0 ? kRawTxDatagrams : kRawTxErrors);
  return Napi::Boolean::New(env, r >= 0);
}

Napi::Value NativeEngine::GetViews(const Napi::CallbackInfo& info) { return views_.Value(); }

Napi::Value NativeEngine::GetInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("tunName", tunName_);
  o.Set("udpPort", udpPort_);
  o.Set("udpFamily", udpFamily_ == AF_INET6 ? 6 : 4);
  o.Set("mtu", laneCfg_.mtu);
  o.Set("batchSize", double(laneCfg_.batchCap));
  o.Set("workers", double(workerCount_));
  o.Set("maxSlots", double(sessions_->size()));
  o.Set("cipher", cipherName_);
  o.Set("offload", laneCfg_.offload);
  o.Set("closed", closed_);
  return o;
}

}  // namespace vpcmesh
