#include "replay_window.h"

#include <cstring>

namespace vpcmesh {

namespace {
constexpr unsigned kIndexMask = ReplayWindow::kRingWords - 1;
constexpr unsigned kBitShift = 6;  // log2(kWordBits)
}  // namespace

void ReplayWindow::Reset() {
  newest_ = 0;
  std::memset(ring_, 0, sizeof ring_);
}

bool ReplayWindow::Check(uint64_t counter) const {
  if (counter > newest_) return true;
  if (newest_ - counter >= kWindowSize) return false;  // too old
  uint64_t word = ring_[(counter >> kBitShift) & kIndexMask];
  return (word & (1ull << (counter & (kWordBits - 1)))) == 0;
}

void ReplayWindow::Mark(uint64_t counter) {
  uint64_t index = counter >> kBitShift;
  if (counter > newest_) {
    uint64_t current = newest_ >> kBitShift;
    uint64_t diff = index - current;
    if (diff > kRingWords) diff = kRingWords;
    for (uint64_t i = 1; i <= diff; i++) ring_[(current + i) & kIndexMask] = 0;
    newest_ = counter;
  }
  ring_[index & kIndexMask] |= 1ull << (counter & (kWordBits - 1));
}

}  // namespace vpcmesh
