// A forwarding engine's packet thread: one lane (its own TUN queue and UDP socket), routing
// and source checks from the ForwardingTable, reports for the JS thread through the
// EventQueue. It never calls JavaScript and never allocates per packet.
//
// Loop: poll(TUN, UDP, stop eventfd) -> one TUN batch (read, route, seal, sendmmsg) and one
// UDP batch (recvmmsg, open, check, write), each under the sessions table's read lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "event_queue.h"
#include "forwarding_table.h"
#include "lane.h"
#include "unique_fd.h"

namespace vpcmesh {

class Worker : public LaneHost {
 public:
  Worker(const LaneConfig& cfg, SessionTable* sessions, ForwardingTable* forwarding,
         EventQueue* events, uint64_t* slotStats, uint64_t* globalStats, UniqueFd tunFd,
         UniqueFd udpFd);
  ~Worker() override;

  // Starts the thread; it runs until `stopFd` (an eventfd shared by all workers) is readable.
  void Start(int stopFd);
  // Joins the thread (after stopFd was signalled) and closes the fds.
  void Join();
  int udpFd() const { return udpFd_.get(); }
  uint64_t tunPackets() const { return tunPackets_.load(std::memory_order_relaxed); }
  uint64_t udpDatagrams() const { return udpDatagrams_.load(std::memory_order_relaxed); }

  // LaneHost
  bool FlushUdp(Lane& lane) override;
  void TunGone(Lane& lane, int err) override;

 private:
  void Run(int stopFd);
  void TunBatch();
  void UdpBatch();
  void RouteTunBatch(size_t n);
  void ReportEntry(Lane& lane, size_t i, bool withBytes);

  SessionTable* sessions_;
  ForwardingTable* forwarding_;
  EventQueue* events_;
  uint64_t* globalStats_;
  UniqueFd tunFd_;
  UniqueFd udpFd_;
  LaneCiphers ciphers_;
  // The batch arrays (what the inline engine shares with JS), owned here.
  struct Buffers {
    explicit Buffers(const LaneConfig& cfg);
    std::vector<uint8_t> tun, udp, small;
    std::vector<int32_t> ints;
    LaneBuffers view;
  };
  Buffers buffers_;
  Lane lane_;
  std::thread thread_;
  bool tunAlive_ = true;
  std::shared_ptr<const RouteSnapshot> routes_;  // this batch's snapshot
  std::atomic<uint64_t> tunPackets_{0};
  std::atomic<uint64_t> udpDatagrams_{0};
};

}  // namespace vpcmesh
