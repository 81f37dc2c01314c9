// NativeEngine: the JavaScript-visible packet engine object. One TUN fd and one UDP socket,
// both polled with uv_poll on the JS thread; packets move in batches through
// preallocated buffers shared with JavaScript; the sessions table does the crypto.
//
// Batch protocol (one JS call per batch, see libs/tun/src/engine.ts for the contract):
//   TUN readable -> read <= batch packets -> onTun(count) -> JS fills slots[] ->
//                   JS calls sealAndSend(count) (encrypt in place + sendmmsg)
//   UDP readable -> recvmmsg <= batch -> decrypt in place -> onUdp(count) ->
//                   JS fills verdicts[] -> JS calls writeTun(count)
//
// With `offload` (engine_offload.cc): the TUN carries a virtio_net_hdr and TSO; a TCP
// super-packet is one batch entry, segmented to MTU-sized packets at seal time, each
// sealed as its own data message and sent with UDP GSO. The socket has UDP_GRO; received
// buffers are split into datagrams, each opened and replay-checked on its own, then
// consecutive in-order TCP segments are coalesced into one entry (one TUN write).
//
// Threading: everything runs on the JS thread; there are no locks.
#pragma once

#include <napi.h>
#include <sys/socket.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "datagram_open.h"
#include "session_table.h"
#include "stats.h"
#include "tcp_offload.h"
#include "tun_device.h"
#include "udp_socket.h"
#include "unique_fd.h"

namespace vpcmesh {

// Kinds of entries in a UDP batch (udpKinds[]): PacketKind, in datagram_open.h.
// Bits in udpFlags[].
constexpr uint8_t kFlagNewSource = 1;  // authenticated, from an address != slot endpoint
// Values of udpVerdicts[]: JavaScript writes kVerdictAccept to let an IP packet through.
constexpr uint8_t kVerdictDrop = 0;
constexpr uint8_t kVerdictAccept = 1;

// --- offload limits --------------------------------------------------------------
// Datagrams per UDP GSO send: UDP_MAX_SEGMENTS of older kernels (6.x allows 128).
constexpr size_t kMaxGsoSegments = 64;
// Sealed datagrams held before a flush with offload (a batch of super-packets can expand
// to thousands of segments; they are sent in chunks of this many).
constexpr size_t kMaxSendDatagrams = 1024;
// Bytes of sealed segments held before a flush (bounds the arena for large MTUs).
constexpr size_t kMaxArenaBytes = 4 << 20;
// Control buffers: one UDP_SEGMENT (u16) per send, one UDP_GRO (int) per receive.
constexpr size_t kSendCtlLen = CMSG_SPACE(sizeof(uint16_t));
constexpr size_t kRecvCtlLen = CMSG_SPACE(sizeof(int));

struct PollHandle;
struct HookCloser;

// What native code remembers about one reported UDP batch entry. JavaScript sees copies
// in the shared arrays; these are the trusted originals (JS may scribble on its copies).
struct UdpEntry {
  uint32_t offset;
  uint32_t length;
  int32_t slot;
  uint8_t kind;
  uint8_t flags;       // PacketFlag bits as reported
  uint16_t recvIndex;  // which recvmmsg message it came from (for its source address)
  uint16_t segments;   // datagrams coalesced into this entry (1 without offload)
  VnetHeader vnet;     // what writeTun puts in front (offload only)
};

class NativeEngine : public Napi::ObjectWrap<NativeEngine> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit NativeEngine(const Napi::CallbackInfo& info);
  ~NativeEngine() override;

 private:
  // --- setup (engine.cc) ---
  void ParseOptions(const Napi::Object& opts, TunConfig* tun, UdpConfig* udp, std::string* cipher);
  void AllocateShared(Napi::Env env);
  void PrepareMessages();
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
  // --- JS methods, data plane (engine_io.cc) ---
  Napi::Value SealAndSend(const Napi::CallbackInfo& info);
  Napi::Value SealAndSendOne(const Napi::CallbackInfo& info);
  Napi::Value WriteTun(const Napi::CallbackInfo& info);
  // --- lifecycle (engine.cc) ---
  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnEnvTeardown(napi_async_cleanup_hook_handle hook, void* arg);
  PollHandle* StartPoll(int fd);
  void StopPoll(PollHandle** ph, HookCloser* closer);
  void CloseEverything(HookCloser* closer);
  void CallJs(Napi::FunctionReference& fn, std::initializer_list<napi_value> args);
  void ReportError(const char* code, const std::string& message);
  // --- hot paths (engine_io.cc) ---
  void OnTunReadable();
  void OnUdpReadable();
  size_t ReadTunBatch();
  size_t ReceiveUdpBatch();
  void ProcessDatagram(size_t recvIndex, size_t offset, size_t len, bool truncated);
  void Report(uint8_t kind, int32_t slot, size_t offset, size_t length, size_t recvIndex,
              uint8_t flags);
  bool DeliverUdpBatch();
  bool SealMessage(int slot, uint8_t* msg, size_t len);
  size_t SealAndSendTunBatch(size_t count);
  size_t SendSealed(size_t datagrams);
  size_t GroupDatagrams(size_t from, size_t to);
  size_t SendMessages(size_t messages, size_t datagrams, size_t* sent);
  // --- offload paths (engine_offload.cc) ---
  size_t SealSuperPacket(size_t i, int slot, size_t m, size_t* sent);
  bool ProcessGroBuffer(size_t recvIndex);
  void ReportIp(int slot, size_t offset, size_t len, size_t recvIndex, uint8_t flags);
  void CloseGroup();
  uint64_t& SlotStat(int slot, SlotStat field) {
    return slotStats_[size_t(slot) * kSlotStatsStride + field];
  }
  uint64_t& Global(GlobalStat field) { return globalStats_[field]; }

  // configuration
  int mtu_ = 0;
  size_t batchCap_ = 0;
  size_t stride_ = 0;     // bytes per packet slot without offload (and of oneBuf_)
  size_t tunStride_ = 0;  // bytes per packet slot in tunBuf_ (stride_, or a super-packet)
  size_t udpStride_ = 0;  // bytes per recvmmsg slot in udpBuf_ (stride_, or a GRO buffer)
  size_t segStride_ = 0;  // bytes per sealed segment in segArena_ (offload)
  size_t sendCap_ = 0;    // datagrams sealed before a flush (sendIov_ entries)
  bool offload_ = false;  // IFF_VNET_HDR + TSO on the TUN, UDP GSO/GRO on the socket
  bool udpGso_ = false;   // UDP_SEGMENT in use (cleared when the kernel refuses it)
  std::string cipherName_;
  std::string tunName_;
  int udpFamily_ = 0;
  int udpPort_ = 0;

  // OS resources. UniqueFd members are closed even when the constructor throws after
  // opening them (the destructor of a half-built object never runs; its members' do).
  UniqueFd tunFd_;
  UniqueFd udpFd_;
  PollHandle* tunPoll_ = nullptr;
  PollHandle* udpPoll_ = nullptr;
  napi_async_cleanup_hook_handle hook_ = nullptr;
  bool started_ = false;
  bool closed_ = false;
  int callbackDepth_ = 0;      // >0 while a JS callback of ours is running
  bool unrefPending_ = false;  // close() ran inside a callback: drop self-ref after it

  std::unique_ptr<SessionTable> sessions_;
  std::unique_ptr<Napi::AsyncContext> asyncContext_;
  Napi::FunctionReference onTun_, onUdp_, onError_;

  // shared with JS (owned by ArrayBuffers kept alive by views_)
  Napi::ObjectReference views_;
  uint8_t* tunBuf_ = nullptr;
  int32_t* tunOffsets_ = nullptr;
  int32_t* tunLengths_ = nullptr;
  int32_t* tunSlots_ = nullptr;  // written by JS
  uint8_t* udpBuf_ = nullptr;
  int32_t* udpOffsets_ = nullptr;
  int32_t* udpLengths_ = nullptr;
  int32_t* udpSlots_ = nullptr;
  uint8_t* udpKinds_ = nullptr;
  uint8_t* udpFlags_ = nullptr;
  uint8_t* udpVerdicts_ = nullptr;  // written by JS
  uint64_t* slotStats_ = nullptr;
  uint64_t* globalStats_ = nullptr;

  // native-only batch state
  std::vector<uint32_t> tunLen_;     // trusted lengths of the current TUN batch
  std::vector<VnetHeader> tunVnet_;  // trusted virtio headers of the current TUN batch (offload)
  size_t tunCount_ = 0;
  bool tunBatchOpen_ = false;  // inside onTun and sealAndSend not yet called
  std::vector<UdpEntry> udpEntries_;
  size_t udpCount_ = 0;
  bool udpBatchOpen_ = false;  // inside onUdp and writeTun not yet called
  bool udpInCallback_ = false;
  std::vector<uint8_t> oneBuf_;  // scratch for sealAndSendOne

  // recvmmsg / sendmmsg scratch, preallocated for batchCap_ messages
  std::vector<mmsghdr> recvMsgs_;
  std::vector<iovec> recvIov_;
  std::vector<sockaddr_storage> recvAddrs_;
  std::vector<uint8_t> recvCtl_;        // a UDP_GRO cmsg buffer per message (offload)
  std::vector<mmsghdr> sendMsgs_;       // one per group of datagrams (GSO) or per datagram
  std::vector<uint32_t> sendMsgFirst_;  // first datagram (sendIov_ index) of each message
  std::vector<uint32_t> sendMsgCount_;  // datagrams in each message
  std::vector<uint8_t> sendCtl_;        // a UDP_SEGMENT cmsg buffer per message
  std::vector<iovec> sendIov_;          // one per sealed datagram
  std::vector<int32_t> sendSlot_;       // slot of each sealed datagram
  // offload scratch: segments of super-packets, sealed in place
  std::vector<uint8_t> segArena_;
  std::vector<uint32_t> segLens_;
  size_t arenaSlots_ = 0;   // segments segArena_ holds
  size_t arenaUsed_ = 0;    // segment slots of segArena_ holding unsent datagrams
  TcpCoalescer coalescer_;  // open group = the last reported UDP entry
};

// Throws a JS Error with `code` (a VPCMESH_ERR_TUN_* string) and, if nonzero, `errno`.
[[noreturn]] void ThrowCoded(Napi::Env env, const char* code, const std::string& message,
                             int err = 0);

}  // namespace vpcmesh
