// Lane: one packet path's I/O state and hot loops. A TUN fd and a UDP socket, the batch
// buffers, the sendmmsg/recvmmsg scratch and the offload arena. The inline engine (workers
// 0) has one lane on the JS thread whose batch buffers are the arrays shared with
// JavaScript; a forwarding engine has one lane per worker thread (worker.h). What a lane
// does not decide is asked of its LaneHost: which slot a TUN packet goes to (the caller fills
// slots() before SealAndSendTunBatch) and which received IP packets to write (FlushUdp).
//
// Threading: a lane is used by one thread. Sessions are shared: every method that touches
// them runs under the sessions table's read lock when other threads exist (the worker
// takes it per batch). Stats are shared arrays updated with relaxed atomic adds, one per
// super-packet, GSO message or run of received messages from one slot where it can.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <vector>

#include "datagram_open.h"
#include "lane_ciphers.h"
#include "session_table.h"
#include "stats.h"
#include "tcp_offload.h"

namespace vpcmesh {

// Bits in udpFlags[].
constexpr uint8_t kFlagNewSource = 1;  // authenticated, from an address != slot endpoint
// Values of udpVerdicts[]: JavaScript writes kVerdictAccept to let an IP packet through.
constexpr uint8_t kVerdictDrop = 0;
constexpr uint8_t kVerdictAccept = 1;
// A TUN batch slot meaning "dropped, already counted" (a forwarding worker's routing).
constexpr int32_t kSlotCounted = -2;

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
  VnetHeader vnet;     // what WriteAccepted puts in front (offload only)
};

// Sizes, fixed when the engine opens (engine.cc ParseOptions).
struct LaneConfig {
  int mtu = 0;
  size_t batchCap = 0;
  size_t stride = 0;      // bytes per packet slot without offload
  size_t tunStride = 0;   // bytes per packet slot in the TUN buffer (stride, or a super-packet)
  size_t udpStride = 0;   // bytes per recvmmsg slot in the UDP buffer (stride, or a GRO buffer)
  size_t segStride = 0;   // bytes per sealed segment in the arena (offload)
  size_t sendCap = 0;     // datagrams sealed before a flush
  size_t arenaSlots = 0;  // segments the arena holds (offload)
  bool offload = false;   // IFF_VNET_HDR + TSO on the TUN, UDP GSO/GRO on the socket
};

// The batch arrays: JS-shared ArrayBuffers (inline) or the worker's own memory.
struct LaneBuffers {
  uint8_t* tunBuf;
  int32_t* tunOffsets;
  int32_t* tunLengths;
  int32_t* tunSlots;
  uint8_t* udpBuf;
  int32_t* udpOffsets;
  int32_t* udpLengths;
  int32_t* udpSlots;
  uint8_t* udpKinds;
  uint8_t* udpFlags;
  uint8_t* udpVerdicts;
};

class Lane;

// What a lane asks its owner.
class LaneHost {
 public:
  virtual ~LaneHost() = default;
  // The reported UDP entries [0, lane.udpCount()) are complete: decide and write them
  // (WriteAccepted). False stops processing the rest of the received buffers (closed).
  virtual bool FlushUdp(Lane& lane) = 0;
  // read() on the TUN failed with `err` (other than EAGAIN): the device is gone.
  virtual void TunGone(Lane& lane, int err) = 0;
};

class Lane {
 public:
  // `ciphers` nullptr: seal and open with the sessions' own contexts (JS thread only).
  Lane(const LaneConfig& cfg, const LaneBuffers& bufs, SessionTable* sessions, uint64_t* slotStats,
       uint64_t* globalStats, LaneCiphers* ciphers, LaneHost* host);
  Lane(const Lane&) = delete;
  Lane& operator=(const Lane&) = delete;

  void SetFds(int tunFd, int udpFd) {
    tunFd_ = tunFd;
    udpFd_ = udpFd;
  }
  const LaneConfig& config() const { return cfg_; }
  const LaneBuffers& buffers() const { return b_; }

  // --- TUN -> peers (lane_io.cc) ---
  // Reads up to batchCap packets; slots() are preset to -1. Returns the count.
  size_t ReadTunBatch();
  // Seals packets [0, count) to slots()[i] and sends them. Returns datagrams sent.
  size_t SealAndSendTunBatch(size_t count);
  // Seals one message at `msg` (payload at msg+kHeaderSize) for `slot`, counting drops.
  bool SealMessage(int slot, uint8_t* msg, size_t len);
  // The two halves of SealMessage, for a super-packet's segments: reserve n counters at
  // once (or count n drops), then seal each message with its own counter.
  bool ReserveCounters(int slot, size_t n, uint64_t* first);
  bool SealReserved(int slot, uint64_t counter, uint8_t* msg, size_t len,
                    const uint8_t* from = nullptr);
  size_t tunLength(size_t i) const { return tunLen_[i]; }

  // --- peers -> TUN (lane_io.cc, lane_offload.cc) ---
  // recvmmsg up to batchCap datagrams (buffers). Returns the count.
  size_t ReceiveUdpBatch();
  // Opens what ReceiveUdpBatch got, reporting entries and calling host->FlushUdp whenever
  // batchCap entries are reported and at the end. False if the host said stop.
  bool ProcessReceived(size_t n);
  // Writes IP entries [0, count) with an Accept verdict to the TUN; counts the rest as
  // rejected. Once per flush. Returns packets written.
  size_t WriteAccepted(size_t count);
  size_t udpCount() const { return udpCount_; }
  const UdpEntry& entry(size_t i) const { return udpEntries_[i]; }
  const sockaddr_storage& source(size_t i) const { return recvAddrs_[udpEntries_[i].recvIndex]; }
  // After a flush: forget the entries (ProcessReceived does it after FlushUdp).
  void ClearUdp() { udpCount_ = 0; }

  // --- stats (relaxed atomics: several lanes share the arrays) ---
  void AddSlot(int slot, SlotStat f, uint64_t n = 1) {
    __atomic_fetch_add(&slotStats_[size_t(slot) * kSlotStatsStride + f], n, __ATOMIC_RELAXED);
  }
  void StoreSlot(int slot, SlotStat f, uint64_t v) {
    __atomic_store_n(&slotStats_[size_t(slot) * kSlotStatsStride + f], v, __ATOMIC_RELAXED);
  }
  // Raises a session stat to `v` (several threads may race; it never moves back). A new
  // session resets it with StoreSlot under the table's write lock.
  void MaxSlot(int slot, SlotStat f, uint64_t v) {
    uint64_t* p = &slotStats_[size_t(slot) * kSlotStatsStride + f];
    uint64_t cur = __atomic_load_n(p, __ATOMIC_RELAXED);
    while (cur < v &&
           !__atomic_compare_exchange_n(p, &cur, v, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
  }
  void AddGlobal(GlobalStat f, uint64_t n = 1) {
    __atomic_fetch_add(&globalStats_[f], n, __ATOMIC_RELAXED);
  }

 private:
  size_t SendSealed(size_t datagrams);
  size_t GroupDatagrams(size_t from, size_t to);
  size_t SendMessages(size_t messages, size_t datagrams, size_t* sent);
  void ProcessDatagram(size_t recvIndex, size_t offset, size_t len, bool truncated);
  void Report(uint8_t kind, int32_t slot, size_t offset, size_t length, size_t recvIndex,
              uint8_t flags);
  bool Flush();
  // offload (lane_offload.cc)
  size_t SealSuperPacket(size_t i, int slot, size_t m, size_t* sent);
  bool ProcessGroBuffer(size_t recvIndex);
  void ReportIp(int slot, size_t offset, size_t len, size_t recvIndex, uint8_t flags);
  void CloseGroup();
  void CountReceived(int slot, size_t len, uint64_t newest);
  void FlushRxStats();

  const LaneConfig cfg_;
  const LaneBuffers b_;
  SessionTable* sessions_;
  uint64_t* slotStats_;
  uint64_t* globalStats_;
  LaneCiphers* ciphers_;
  LaneHost* host_;
  int tunFd_ = -1;
  int udpFd_ = -1;
  bool udpGso_;  // UDP_SEGMENT in use (cleared when the kernel refuses it)

  // native-only batch state
  std::vector<uint32_t> tunLen_;     // trusted lengths of the current TUN batch
  std::vector<VnetHeader> tunVnet_;  // trusted virtio headers of the current TUN batch (offload)
  std::vector<UdpEntry> udpEntries_;
  size_t udpCount_ = 0;
  // Received data messages of one slot not yet added to the shared stats (Flush adds them).
  struct RxRun {
    int slot = -1;
    uint64_t packets = 0, bytes = 0, newest = 0;
  } rxRun_;

  // recvmmsg / sendmmsg scratch, preallocated for batchCap messages
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
  size_t arenaUsed_ = 0;    // segment slots of segArena_ holding unsent datagrams
  TcpCoalescer coalescer_;  // open group = the last reported UDP entry
};

}  // namespace vpcmesh
