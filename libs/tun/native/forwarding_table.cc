#include "forwarding_table.h"

#include <algorithm>

#include "wire_format.h"

namespace vpcmesh {

namespace {

uint32_t MaskV4(uint32_t a, int bits) { return bits == 0 ? 0 : a & (~uint32_t(0) << (32 - bits)); }
uint64_t MaskHalf(uint64_t a, int bits) {
  if (bits <= 0) return 0;
  if (bits >= 64) return a;
  return a & (~uint64_t(0) << (64 - bits));
}
uint32_t LoadBe32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}
uint64_t LoadBe64(const uint8_t* p) { return uint64_t(LoadBe32(p)) << 32 | LoadBe32(p + 4); }

template <typename Levels>
auto& LevelFor(Levels& levels, int bits) {
  for (auto& l : levels)
    if (l.bits == bits) return l.map;
  levels.push_back({bits, {}});
  return levels.back().map;
}

}  // namespace

bool RouteSnapshot::Add(const uint8_t* address, size_t addressLen, int bits, int32_t peer) {
  if (addressLen == 4) {
    if (bits < 0 || bits > 32) return false;
    uint32_t a = LoadBe32(address);
    if (MaskV4(a, bits) != a) return false;
    LevelFor(v4_, bits)[a] = peer;
  } else if (addressLen == 16) {
    if (bits < 0 || bits > 128) return false;
    Key6 k{LoadBe64(address), LoadBe64(address + 8)};
    Key6 m{MaskHalf(k.hi, bits), MaskHalf(k.lo, bits - 64)};
    if (!(m == k)) return false;
    LevelFor(v6_, bits)[k] = peer;
  } else {
    return false;
  }
  count_++;
  return true;
}

void RouteSnapshot::Seal() {
  auto longestFirst = [](const auto& a, const auto& b) { return a.bits > b.bits; };
  std::sort(v4_.begin(), v4_.end(), longestFirst);
  std::sort(v6_.begin(), v6_.end(), longestFirst);
}

int32_t RouteSnapshot::LookupV4(const uint8_t* address) const {
  uint32_t a = LoadBe32(address);
  for (const auto& l : v4_) {
    auto it = l.map.find(MaskV4(a, l.bits));
    if (it != l.map.end()) return it->second;
  }
  return -1;
}

int32_t RouteSnapshot::LookupV6(const uint8_t* address) const {
  Key6 a{LoadBe64(address), LoadBe64(address + 8)};
  for (const auto& l : v6_) {
    auto it = l.map.find(Key6{MaskHalf(a.hi, l.bits), MaskHalf(a.lo, l.bits - 64)});
    if (it != l.map.end()) return it->second;
  }
  return -1;
}

ForwardingTable::ForwardingTable(size_t slots)
    : routes_(std::make_shared<const RouteSnapshot>()), peers_(new Peer[slots]), slotPeer_(slots) {
  for (auto& p : slotPeer_) p.store(-1, std::memory_order_relaxed);
}

bool ForwardingTable::SourceAllowed(int slot, int32_t from) const {
  if (from < 0 || slot < 0 || size_t(slot) >= slotPeer_.size()) return false;
  int32_t owner = slotPeer_[size_t(slot)].load(std::memory_order_relaxed);
  if (owner < 0) return false;
  if (owner == from) return true;
  uint32_t group = peers_[size_t(owner)].group.load(std::memory_order_relaxed);
  return group != 0 && group == peers_[size_t(from)].group.load(std::memory_order_relaxed);
}

bool ForwardingTable::TakeDemand(int32_t peer, uint64_t nowMs) {
  std::atomic<uint64_t>& at = peers_[size_t(peer)].demandAtMs;
  uint64_t last = at.load(std::memory_order_relaxed);
  if (last != 0 && nowMs < last + 1000) return false;
  return at.compare_exchange_strong(last, nowMs == 0 ? 1 : nowMs, std::memory_order_relaxed);
}

}  // namespace vpcmesh
