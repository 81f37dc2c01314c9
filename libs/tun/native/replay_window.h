// Sliding anti-replay window, RFC 6479 style (https://www.rfc-editor.org/rfc/rfc6479):
// a ring of 64-bit words; moving the window forward clears whole words instead of
// shifting a bitmap. Accepts any counter newer than the newest seen, and out-of-order
// counters up to kWindowSize behind it that were not seen before.
#pragma once

#include <cstdint>

namespace vpcmesh {

class ReplayWindow {
 public:
  static constexpr unsigned kWordBits = 64;
  static constexpr unsigned kRingWords = 128;                            // 8192 bits
  static constexpr uint64_t kWindowSize = (kRingWords - 1) * kWordBits;  // 8128 counters

  // Forgets everything: the next counter of any value (0 included) is accepted.
  void Reset();
  // True if `counter` would be accepted (not seen, not too old). Does not record it:
  // call Mark() only after the message authenticated.
  bool Check(uint64_t counter) const;
  // Records `counter` as seen, moving the window forward if it is the newest.
  // Precondition: Check(counter) returned true.
  void Mark(uint64_t counter);
  // The newest counter recorded (0 before any).
  uint64_t newest() const { return newest_; }

 private:
  uint64_t newest_ = 0;
  uint64_t ring_[kRingWords] = {};
};

}  // namespace vpcmesh
