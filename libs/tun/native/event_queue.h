// Reports from packet threads to the JS thread (forwarding engines): raw datagrams
// (handshakes), control payloads, keepalives, Notices, demands and errors. A bounded ring of
// fixed-size events under one mutex: pushing never allocates and never blocks for long; a
// full ring drops the event (the caller counts kEventsDropped). The first push into an empty
// ring wakes the JS thread through `wake` (uv_async_send, safe from any thread).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

namespace vpcmesh {

enum class EventType : uint8_t {
  kEntry,   // a UDP batch entry: kind, slot, flags, source, bytes
  kDemand,  // `peer` wants a session
  kError,   // `code`/message in bytes
};

// Payload bytes an event carries: every handshake and control message fits; a longer raw
// datagram is dropped (counted).
constexpr size_t kEventBytes = 2048;

struct Event {
  EventType type;
  uint8_t kind;      // kEntry: PacketKind
  uint8_t flags;     // kEntry: PacketFlag bits
  int32_t slot;      // kEntry: the slot (-1 for raw)
  int32_t peer;      // kDemand
  const char* code;  // kError: a static VPCMESH_ERR_TUN_* string
  sockaddr_storage source;
  uint32_t length;
  uint8_t bytes[kEventBytes];
};

class EventQueue {
 public:
  EventQueue(size_t capacity, std::function<void()> wake)
      : ring_(new Event[capacity]), capacity_(capacity), wake_(std::move(wake)) {}

  // Any thread. Fills the next free event with `fill` under the lock; false if full.
  template <typename Fill>
  bool Push(Fill fill) {
    bool wasEmpty;
    {
      std::lock_guard<std::mutex> g(mutex_);
      if (count_ == capacity_) return false;
      wasEmpty = count_ == 0;
      fill(ring_[(head_ + count_) % capacity_]);
      count_++;
    }
    if (wasEmpty) wake_();
    return true;
  }

  // JS thread. Hands up to `max` events, oldest first, to `take` (under the lock: copy out
  // and return quickly) and removes them. Returns how many.
  template <typename Take>
  size_t Drain(size_t max, Take take) {
    std::lock_guard<std::mutex> g(mutex_);
    size_t n = 0;
    for (; n < max && count_ > 0; n++) {
      take(ring_[head_]);
      head_ = (head_ + 1) % capacity_;
      count_--;
    }
    return n;
  }

 private:
  std::mutex mutex_;
  std::unique_ptr<Event[]> ring_;
  size_t capacity_;
  size_t head_ = 0;
  size_t count_ = 0;
  std::function<void()> wake_;
};

}  // namespace vpcmesh
