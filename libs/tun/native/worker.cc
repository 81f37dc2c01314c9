#include "worker.h"

#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <shared_mutex>

#include "wire_format.h"

namespace vpcmesh {

namespace {

uint64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return uint64_t(ts.tv_sec) * 1000 + uint64_t(ts.tv_nsec) / 1000000;
}

// The peer an IP packet's source (source=true) or destination address routes to: -1 when
// none, -2 when the packet is not IPv4/IPv6 or too short for its header.
int32_t RouteOf(const RouteSnapshot& routes, const uint8_t* p, size_t len, bool source) {
  if (len < 1) return -2;
  const uint8_t version = p[0] >> 4;
  if (version == 4 && len >= 20) return routes.LookupV4(p + (source ? 12 : 16));
  if (version == 6 && len >= 40) return routes.LookupV6(p + (source ? 8 : 24));
  return -2;
}

}  // namespace

Worker::Buffers::Buffers(const LaneConfig& cfg)
    : tun(cfg.batchCap * cfg.tunStride),
      udp(cfg.batchCap * cfg.udpStride),
      small(cfg.batchCap * 3),
      ints(cfg.batchCap * 6) {
  int32_t* i = ints.data();
  const size_t n = cfg.batchCap;
  view = LaneBuffers{tun.data(),          i,         i + n,     i + 2 * n,    udp.data(),
                     i + 3 * n,           i + 4 * n, i + 5 * n, small.data(), small.data() + n,
                     small.data() + 2 * n};
}

Worker::Worker(const LaneConfig& cfg, SessionTable* sessions, ForwardingTable* forwarding,
               EventQueue* events, uint64_t* slotStats, uint64_t* globalStats, UniqueFd tunFd,
               UniqueFd udpFd)
    : sessions_(sessions),
      forwarding_(forwarding),
      events_(events),
      globalStats_(globalStats),
      tunFd_(std::move(tunFd)),
      udpFd_(std::move(udpFd)),
      ciphers_(sessions->cipher(), sessions->size()),
      buffers_(cfg),
      lane_(cfg, buffers_.view, sessions, slotStats, globalStats, &ciphers_, this) {
  lane_.SetFds(tunFd_.get(), udpFd_.get());
}

Worker::~Worker() {
  if (thread_.joinable()) thread_.join();  // Join() normally ran; never leave it running
}

void Worker::Start(int stopFd) {
  thread_ = std::thread([this, stopFd] { Run(stopFd); });
}

void Worker::Join() {
  if (thread_.joinable()) thread_.join();
  tunFd_.reset();
  udpFd_.reset();
}

void Worker::Run(int stopFd) {
  pollfd fds[3] = {{stopFd, POLLIN, 0}, {udpFd_.get(), POLLIN, 0}, {tunFd_.get(), POLLIN, 0}};
  for (;;) {
    nfds_t n = tunAlive_ ? 3 : 2;
    int r = poll(fds, n, -1);
    if (r < 0) {
      if (errno == EINTR) continue;
      break;  // cannot happen with valid fds; the engine reports nothing more from this worker
    }
    if (fds[0].revents != 0) return;
    if (fds[1].revents != 0) UdpBatch();
    if (tunAlive_ && fds[2].revents != 0) TunBatch();
  }
}

void Worker::TunBatch() {
  std::shared_lock<TableLock> g(sessions_->lock());
  size_t n = lane_.ReadTunBatch();
  if (n == 0) return;
  tunPackets_.fetch_add(n, std::memory_order_relaxed);
  RouteTunBatch(n);
  lane_.SealAndSendTunBatch(n);
}

// Hot loop: the slot of every packet, from its destination's route and the peer's send slot.
void Worker::RouteTunBatch(size_t n) {
  routes_ = forwarding_->routes();
  const LaneBuffers& b = lane_.buffers();
  const size_t stride = lane_.config().tunStride;
  uint64_t now = 0;
  for (size_t i = 0; i < n; i++) {
    const uint8_t* p = b.tunBuf + i * stride + kHeaderSize;
    int32_t peer = RouteOf(*routes_, p, lane_.tunLength(i), false);
    int32_t slot = kSlotCounted;
    if (peer == -2) {
      lane_.AddGlobal(kTunDropMalformed);
    } else if (peer < 0) {
      lane_.AddGlobal(kTunDropNoRoute);
    } else if ((slot = forwarding_->SendSlot(peer)) < 0) {
      slot = kSlotCounted;
      lane_.AddGlobal(kTunDropNoSession);
      if (now == 0) now = NowMs();
      if (forwarding_->TakeDemand(peer, now) && !events_->Push([&](Event& e) {
            e.type = EventType::kDemand;
            e.peer = peer;
          }))
        lane_.AddGlobal(kEventsDropped);
    }
    b.tunSlots[i] = slot;
  }
}

void Worker::UdpBatch() {
  std::shared_lock<TableLock> g(sessions_->lock());
  size_t n = lane_.ReceiveUdpBatch();
  if (n == 0) return;
  udpDatagrams_.fetch_add(n, std::memory_order_relaxed);
  routes_ = forwarding_->routes();
  lane_.ProcessReceived(n);
}

// Queues entry i for the JS thread (with its bytes, or as a bare report).
void Worker::ReportEntry(Lane& lane, size_t i, bool withBytes) {
  const UdpEntry& u = lane.entry(i);
  if (withBytes && u.length > kEventBytes) {
    lane.AddGlobal(kEventsDropped);
    return;
  }
  const uint8_t* data = lane.buffers().udpBuf + u.offset;
  bool ok = events_->Push([&](Event& e) {
    e.type = EventType::kEntry;
    e.kind = withBytes ? u.kind : (u.kind == kKindIp ? uint8_t(kKindNotice) : u.kind);
    e.flags = u.flags;
    e.slot = u.slot;
    e.source = lane.source(i);
    e.length = withBytes ? u.length : 0;
    if (withBytes) std::memcpy(e.bytes, data, u.length);
  });
  if (!ok) lane.AddGlobal(kEventsDropped);
}

// Hot loop: verdicts for IP entries from the source check; everything JS must see is queued.
bool Worker::FlushUdp(Lane& lane) {
  const LaneBuffers& b = lane.buffers();
  const size_t count = lane.udpCount();
  for (size_t i = 0; i < count; i++) {
    const UdpEntry& u = lane.entry(i);
    if (u.kind != kKindIp) {
      ReportEntry(lane, i, u.kind == kKindRaw || u.kind == kKindControl);
      continue;
    }
    const int32_t from = RouteOf(*routes_, b.udpBuf + u.offset, u.length, true);
    b.udpVerdicts[i] = forwarding_->SourceAllowed(u.slot, from) ? kVerdictAccept : kVerdictDrop;
    Session* s = sessions_->At(u.slot);
    bool first = !s->noticed.load(std::memory_order_relaxed) && !s->noticed.exchange(true);
    bool roamed = (u.flags & kFlagNewSource) != 0 &&
                  !s->roamNoticed.load(std::memory_order_relaxed) && !s->roamNoticed.exchange(true);
    if (first || roamed) ReportEntry(lane, i, false);
  }
  lane.WriteAccepted(count);
  return true;
}

void Worker::TunGone(Lane& lane, int err) {
  tunAlive_ = false;  // stop reading the TUN; UDP stays alive (the owner decides)
  bool ok = events_->Push([&](Event& e) {
    e.type = EventType::kError;
    e.code = "VPCMESH_ERR_TUN_DEVICE_GONE";
    const char* prefix = "read from TUN: ";
    std::snprintf(reinterpret_cast<char*>(e.bytes), kEventBytes, "%s%s", prefix,
                  std::strerror(err));
    e.length = uint32_t(std::strlen(reinterpret_cast<char*>(e.bytes)));
  });
  if (!ok) lane.AddGlobal(kEventsDropped);
}

}  // namespace vpcmesh
