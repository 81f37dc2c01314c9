// The sessions table: small integer slots owned by TypeScript (which decides what a slot
// means: a peer's current or previous session). Native code keeps per slot the keyed
// AEAD contexts, the send counter, the receive replay window and the endpoint, plus a
// hash map from our local index (the receiver index in incoming messages) to the slot.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "aead.h"
#include "replay_window.h"
#include "udp_socket.h"

namespace vpcmesh {

struct Session {
  bool active = false;
  uint32_t localIndex = 0;   // receiver index peers put in messages to us
  uint32_t remoteIndex = 0;  // receiver index we put in messages to the peer
  uint64_t sendCounter = 0;  // next counter to send; authoritative (JS sees a copy)
  AeadContext sealer;
  AeadContext opener;
  ReplayWindow replay;
  Endpoint endpoint;  // where sealed messages go; unset = drop
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

 private:
  CipherKind cipher_;
  std::vector<std::unique_ptr<Session>> slots_;
  std::unordered_map<uint32_t, int> byIndex_;
};

}  // namespace vpcmesh
