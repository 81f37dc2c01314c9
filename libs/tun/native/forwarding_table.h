// The forwarding engine's decisions, as tables TypeScript uploads (libs/tun/src/engine.ts,
// EngineForwarding): routes (prefix -> peer, longest match), each peer's send slot and group,
// and each slot's owner peer. Routes are an immutable snapshot swapped whole; the per-peer
// and per-slot values are single atomics. Packet threads read everything without locks.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

namespace vpcmesh {

// Prefix -> peer, longest match. Built once, then only read (any number of threads).
class RouteSnapshot {
 public:
  // Adds a route; false if `bits` is out of range for the address length (4 or 16 bytes)
  // or the address has bits set past the prefix. The last of equal prefixes wins.
  bool Add(const uint8_t* address, size_t addressLen, int bits, int32_t peer);
  // Orders the lengths for lookups. Call once after the last Add.
  void Seal();
  // The peer of the longest prefix holding the address, or -1.
  int32_t LookupV4(const uint8_t* address) const;
  int32_t LookupV6(const uint8_t* address) const;
  size_t size() const { return count_; }

 private:
  struct Key6 {
    uint64_t hi, lo;
    bool operator==(const Key6& o) const { return hi == o.hi && lo == o.lo; }
  };
  struct Hash6 {
    size_t operator()(const Key6& k) const { return std::hash<uint64_t>()(k.hi * 31 + k.lo); }
  };
  template <typename Map>
  struct Level {
    int bits;
    Map map;
  };
  std::vector<Level<std::unordered_map<uint32_t, int32_t>>> v4_;  // longest first after Seal
  std::vector<Level<std::unordered_map<Key6, int32_t, Hash6>>> v6_;
  size_t count_ = 0;
};

class ForwardingTable {
 public:
  explicit ForwardingTable(size_t slots);

  // --- JS thread ---
  void SetRoutes(std::shared_ptr<const RouteSnapshot> routes) {
    std::atomic_store(&routes_, std::move(routes));
  }
  // Peer indices and slots are checked by the caller (< slots).
  void SetPeer(size_t peer, int32_t sendSlot, uint32_t group) {
    peers_[peer].group.store(group, std::memory_order_relaxed);
    peers_[peer].sendSlot.store(sendSlot, std::memory_order_relaxed);
    if (sendSlot >= 0) peers_[peer].demandAtMs.store(0, std::memory_order_relaxed);
  }
  void SetSlotPeer(size_t slot, int32_t peer) {
    slotPeer_[slot].store(peer, std::memory_order_relaxed);
  }

  // --- packet threads ---
  std::shared_ptr<const RouteSnapshot> routes() const { return std::atomic_load(&routes_); }
  int32_t SendSlot(int32_t peer) const {
    return peer < 0 ? -1 : peers_[size_t(peer)].sendSlot.load(std::memory_order_relaxed);
  }
  // True if the inner source `from` (a peer index or -1) may arrive on `slot`: it is the
  // slot's owner or a peer of the owner's group.
  bool SourceAllowed(int slot, int32_t from) const;
  // True (once per peer per second) if `peer` should be reported as wanting a session.
  bool TakeDemand(int32_t peer, uint64_t nowMs);
  size_t slots() const { return slotPeer_.size(); }

 private:
  struct Peer {
    std::atomic<int32_t> sendSlot{-1};
    std::atomic<uint32_t> group{0};
    std::atomic<uint64_t> demandAtMs{0};
  };
  std::shared_ptr<const RouteSnapshot> routes_;
  std::unique_ptr<Peer[]> peers_;
  std::vector<std::atomic<int32_t>> slotPeer_;
};

}  // namespace vpcmesh
