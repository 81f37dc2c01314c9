// AEAD contexts of one packet thread. An OpenSSL context cannot be used by two threads at
// once, so every worker keys its own from the session's keys, lazily, the first time it
// seals or opens on a slot after the session there changed (Session::generation). The
// caller holds the sessions table's read lock.
#pragma once

#include <cstdint>
#include <memory>

#include "aead.h"
#include "session_table.h"

namespace vpcmesh {

class LaneCiphers {
 public:
  LaneCiphers(CipherKind kind, size_t slots) : kind_(kind), entries_(new Entry[slots]) {}

  // The context sealing for the session in `slot`, or nullptr if OpenSSL refused the key.
  AeadContext* Sealer(int slot, const Session& s) {
    Entry& e = entries_[slot];
    if (e.sealGen != s.generation) {
      e.sealGen = 0;
      if (!e.seal.Init(kind_, s.sendKey, true)) return nullptr;
      e.sealGen = s.generation;
    }
    return &e.seal;
  }
  // The context opening for the session in `slot`, or nullptr if OpenSSL refused the key.
  AeadContext* Opener(int slot, const Session& s) {
    Entry& e = entries_[slot];
    if (e.openGen != s.generation) {
      e.openGen = 0;
      if (!e.open.Init(kind_, s.recvKey, false)) return nullptr;
      e.openGen = s.generation;
    }
    return &e.open;
  }

 private:
  struct Entry {
    uint64_t sealGen = 0;
    uint64_t openGen = 0;
    AeadContext seal;
    AeadContext open;
  };
  CipherKind kind_;
  std::unique_ptr<Entry[]> entries_;
};

}  // namespace vpcmesh
