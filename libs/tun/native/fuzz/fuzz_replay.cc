// libFuzzer target: the replay window (replay_window.h) against a reference model.
//
// Input: records of 3 bytes [op][u16 LE value]. op bits 0-1 choose the counter: newest +
// value, newest - value, value * 64 words ahead (exercises the ring wrap), or the next 8
// input bytes as an absolute counter. op bit 2 set: the message "fails to authenticate",
// so the counter is checked but not marked. The model is a set of marked counters; both
// must agree on every Check, and newest() must match.
#include <cstddef>
#include <cstdint>
#include <set>

#include "fuzz_check.h"
#include "replay_window.h"

using vpcmesh::ReplayWindow;

namespace {

struct Model {
  uint64_t newest = 0;
  std::set<uint64_t> seen;

  bool Check(uint64_t c) const {
    if (c > newest) return true;
    if (newest - c >= ReplayWindow::kWindowSize) return false;
    return seen.count(c) == 0;
  }
  void Mark(uint64_t c) {
    if (c > newest) newest = c;
    seen.insert(c);
    // Forget what can never be asked about again (keeps the set small).
    while (!seen.empty() && newest - *seen.begin() >= ReplayWindow::kWindowSize)
      seen.erase(seen.begin());
  }
};

uint64_t LoadLe64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ReplayWindow window;
  window.Reset();
  Model model;
  size_t i = 0;
  while (i + 3 <= size) {
    const uint8_t op = data[i];
    const uint64_t value = uint64_t(data[i + 1]) | uint64_t(data[i + 2]) << 8;
    i += 3;
    uint64_t counter = 0;
    switch (op & 3) {
      case 0:
        counter = window.newest() + value;
        break;
      case 1:
        counter = window.newest() - value;  // wraps below 0 on purpose
        break;
      case 2:
        counter = window.newest() + value * ReplayWindow::kWordBits;
        break;
      default:
        if (i + 8 > size) return 0;
        counter = LoadLe64(data + i);
        i += 8;
        break;
    }
    const bool accepted = window.Check(counter);
    FUZZ_CHECK(accepted == model.Check(counter));
    if (accepted && (op & 4) == 0) {
      window.Mark(counter);
      model.Mark(counter);
      FUZZ_CHECK(!window.Check(counter));  // a marked counter is never accepted again
    }
    FUZZ_CHECK(window.newest() == model.newest);
  }
  return 0;
}
