// The sessions table: small integer slots owned by TypeScript (which decides what a slot
// means: a peer's current or previous session). Native code keeps per slot the keyed
// AEAD contexts, the send counter, the receive replay window and the endpoint, plus a
// hash map from our local index (the receiver index in incoming messages) to the slot.
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "aead.h"
#include "replay_window.h"
#include "udp_socket.h"

namespace vpcmesh {

// Threading (workers >= 1): Install, Clear and endpoint changes happen on the JS thread
// under the table's write lock; packet threads hold the read lock for a whole batch. Under
// the read lock several threads may seal on one session (the counter is reserved with an
// atomic add, so no counter is used twice) and open on it (the replay window has its own
// mutex). `sealer`/`opener` belong to the JS thread (inline mode and sealAndSendOne); a
// worker keys its own contexts from `sendKey`/`recvKey` whenever `generation` changed.
struct Session {
  bool active = false;
  uint32_t localIndex = 0;               // receiver index peers put in messages to us
  uint32_t remoteIndex = 0;              // receiver index we put in messages to the peer
  std::atomic<uint64_t> sendCounter{0};  // next counter to send; authoritative (JS sees a copy)
  uint64_t generation = 0;               // changes with every Install (never 0 once installed)
  uint8_t sendKey[kKeySize] = {};
  uint8_t recvKey[kKeySize] = {};
  AeadContext sealer;
  AeadContext opener;
  std::mutex replayMutex;  // guards `replay` between packet threads
  ReplayWindow replay;
  Endpoint endpoint;  // where sealed messages go; unset = drop
  // Forwarding engines: set once a Notice was reported for this session / for a new source.
  std::atomic<bool> noticed{false};
  std::atomic<bool> roamNoticed{false};

  // Reserves `n` consecutive counters; false (nothing reserved) once the reject limit is near.
  bool ReserveCounters(uint64_t n, uint64_t* first) {
    uint64_t c = sendCounter.fetch_add(n, std::memory_order_relaxed);
    if (c >= kRejectAfterMessages || n > kRejectAfterMessages - c) return false;
    *first = c;
    return true;
  }
};

// A writer-preferring read/write lock: the JS thread's Install/Clear must not starve behind
// packet threads that keep taking the read lock. SharedLockable, so std::shared_lock and
// std::lock_guard hold it.
class TableLock {
 public:
  TableLock();
  ~TableLock();
  TableLock(const TableLock&) = delete;
  TableLock& operator=(const TableLock&) = delete;
  void lock_shared() { pthread_rwlock_rdlock(&lock_); }
  void unlock_shared() { pthread_rwlock_unlock(&lock_); }
  void lock() { pthread_rwlock_wrlock(&lock_); }
  void unlock() { pthread_rwlock_unlock(&lock_); }

 private:
  pthread_rwlock_t lock_;
};

struct SessionKeys {
  const uint8_t* sendKey;  // kKeySize bytes
  const uint8_t* recvKey;  // kKeySize bytes
  uint32_t localIndex;
  uint32_t remoteIndex;
};

enum class InstallResult { kOk, kBadSlot, kIndexInUse, kCryptoFailed };

class SessionTable {
 public:
  SessionTable(size_t slots, CipherKind cipher);

  size_t size() const { return slots_.size(); }
  // The slot's session, or nullptr if `slot` is out of range.
  Session* At(int64_t slot) {
    return slot >= 0 && size_t(slot) < slots_.size() ? slots_[slot].get() : nullptr;
  }
  // The slot whose localIndex is `index`, or -1.
  int Lookup(uint32_t index) const;

  // Installs keys in `slot`, replacing any session there (the endpoint is kept).
  // Counter and replay window restart at 0. Fails if another slot owns localIndex.
  InstallResult Install(int slot, const SessionKeys& keys);
  // Removes the session and the endpoint of `slot`. No-op when empty or out of range.
  void Clear(int slot);
  CipherKind cipher() const { return cipher_; }
  // Held for reading by packet threads, for writing by whoever changes sessions (see Session).
  TableLock& lock() { return lock_; }

 private:
  TableLock lock_;
  CipherKind cipher_;
  std::vector<std::unique_ptr<Session>> slots_;
  std::unordered_map<uint32_t, int> byIndex_;
};

}  // namespace vpcmesh
