// NativeEngine: the JavaScript-visible packet engine object, in one of two modes.
//
// Inline (workers 0): one TUN fd and one UDP socket, both polled with uv_poll on the JS
// thread; packets move in batches through preallocated buffers shared with JavaScript
// (lane.h holds the hot loops):
//   TUN readable -> read <= batch packets -> onTun(count) -> JS fills slots[] ->
//                   JS calls sealAndSend(count) (encrypt in place + sendmmsg)
//   UDP readable -> recvmmsg <= batch -> decrypt in place -> onUdp(count) ->
//                   JS fills verdicts[] -> JS calls writeTun(count)
//
// Forwarding (workers N >= 1): N packet threads (worker.h), each with its own TUN queue
// (IFF_MULTI_QUEUE) and UDP socket (SO_REUSEPORT), route and check sources with the tables
// JS uploads (forwarding_table.h). What JS must see (handshakes, control, Notices, demands,
// errors) reaches it through an EventQueue drained on the JS thread (uv_async), delivered
// as onUdp batches in the shared arrays and onDemand calls. The JS thread itself seals only
// sealAndSendOne messages (with the sessions' own AEAD contexts) and sends raw datagrams.
//
// With `offload`: the TUN carries a virtio_net_hdr and TSO; a TCP super-packet is one batch
// entry, segmented to MTU-sized packets at seal time, each sealed as its own data message and
// sent with UDP GSO. The socket has UDP_GRO; received buffers are split into datagrams, each
// opened and replay-checked on its own, then consecutive in-order TCP segments are coalesced
// into one entry (one TUN write).
#pragma once

#include <napi.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "event_queue.h"
#include "forwarding_table.h"
#include "lane.h"
#include "session_table.h"
#include "tun_device.h"
#include "udp_socket.h"
#include "unique_fd.h"
#include "worker.h"

namespace vpcmesh {

struct PollHandle;
struct HookCloser;
struct AsyncHandle;

class NativeEngine : public Napi::ObjectWrap<NativeEngine>, public LaneHost {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit NativeEngine(const Napi::CallbackInfo& info);
  ~NativeEngine() override;

  // LaneHost (the inline lane, JS thread)
  bool FlushUdp(Lane& lane) override;
  void TunGone(Lane& lane, int err) override;

 private:
  // --- setup (engine.cc) ---
  void ParseOptions(const Napi::Object& opts, TunConfig* tun, UdpConfig* udp, std::string* cipher);
  void OpenWorkers(Napi::Env env, const TunConfig& tun, const UdpConfig& udp);
  void AllocateShared(Napi::Env env);
  // --- JS methods, control plane (engine.cc) ---
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value SetSession(const Napi::CallbackInfo& info);
  Napi::Value SetEndpoint(const Napi::CallbackInfo& info);
  Napi::Value ClearSession(const Napi::CallbackInfo& info);
  Napi::Value UdpSource(const Napi::CallbackInfo& info);
  Napi::Value SendRaw(const Napi::CallbackInfo& info);
  Napi::Value GetViews(const Napi::CallbackInfo& info);
  Napi::Value GetInfo(const Napi::CallbackInfo& info);
  // --- JS methods, data plane (engine_js.cc) ---
  Napi::Value SealAndSend(const Napi::CallbackInfo& info);
  Napi::Value SealAndSendOne(const Napi::CallbackInfo& info);
  Napi::Value WriteTun(const Napi::CallbackInfo& info);
  // --- JS methods, forwarding tables (engine_forwarding.cc) ---
  Napi::Value SetRoutes(const Napi::CallbackInfo& info);
  Napi::Value SetPeer(const Napi::CallbackInfo& info);
  Napi::Value SetSlotPeer(const Napi::CallbackInfo& info);
  Napi::Value WorkerStats(const Napi::CallbackInfo& info);
  // --- lifecycle (engine.cc) ---
  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnEnvTeardown(napi_async_cleanup_hook_handle hook, void* arg);
  PollHandle* StartPoll(int fd);
  void StopPoll(PollHandle** ph, HookCloser* closer);
  void CloseEverything(HookCloser* closer);
  void StopWorkers(HookCloser* closer);
  void CallJs(Napi::FunctionReference& fn, std::initializer_list<napi_value> args);
  void ReportError(const char* code, const std::string& message);
  // --- inline batches (engine_js.cc) ---
  void OnTunReadable();
  void OnUdpReadable();
  // --- forwarding events (engine_forwarding.cc) ---
  static void OnEvents(uv_async_t* handle);
  void DeliverEvents();
  bool workers() const { return !workers_.empty(); }
  int sendFd() const { return workers() ? workers_[0]->udpFd() : udpFd_.get(); }

  // configuration
  LaneConfig laneCfg_;
  std::string cipherName_;
  std::string tunName_;
  int udpFamily_ = 0;
  int udpPort_ = 0;
  size_t workerCount_ = 0;

  // OS resources. UniqueFd members are closed even when the constructor throws after
  // opening them (the destructor of a half-built object never runs; its members' do).
  UniqueFd tunFd_;  // inline mode only (workers own their queues)
  UniqueFd udpFd_;
  UniqueFd stopFd_;  // eventfd: readable = workers stop
  PollHandle* tunPoll_ = nullptr;
  PollHandle* udpPoll_ = nullptr;
  AsyncHandle* async_ = nullptr;
  napi_async_cleanup_hook_handle hook_ = nullptr;
  bool started_ = false;
  bool closed_ = false;
  bool tunGoneReported_ = false;
  int callbackDepth_ = 0;      // >0 while a JS callback of ours is running
  bool unrefPending_ = false;  // close() ran inside a callback: drop self-ref after it

  std::unique_ptr<SessionTable> sessions_;
  std::unique_ptr<ForwardingTable> forwarding_;
  std::unique_ptr<EventQueue> events_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<Napi::AsyncContext> asyncContext_;
  Napi::FunctionReference onTun_, onUdp_, onError_, onDemand_;

  // shared with JS (owned by ArrayBuffers kept alive by views_)
  Napi::ObjectReference views_;
  LaneBuffers shared_{};
  uint64_t* slotStats_ = nullptr;
  uint64_t* globalStats_ = nullptr;
  std::unique_ptr<Lane> lane_;  // the JS thread's lane over the shared arrays

  // batch state on the JS thread
  size_t tunCount_ = 0;
  bool tunBatchOpen_ = false;  // inside onTun and sealAndSend not yet called
  bool udpBatchOpen_ = false;  // inside onUdp and writeTun not yet called
  bool udpInCallback_ = false;
  size_t udpCount_ = 0;                    // entries of the batch JS is looking at
  std::vector<sockaddr_storage> sources_;  // forwarding: sources of the delivered events
  std::vector<uint8_t> oneBuf_;            // scratch for sealAndSendOne
};

// Throws a JS Error with `code` (a VPCMESH_ERR_TUN_* string) and, if nonzero, `errno`.
[[noreturn]] void ThrowCoded(Napi::Env env, const char* code, const std::string& message,
                             int err = 0);

}  // namespace vpcmesh
