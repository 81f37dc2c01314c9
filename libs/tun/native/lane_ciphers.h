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
    return Keyed(&e.seal, &e.sealGen, s.generation, s.sendKey, true);
  }
  // The context opening for the session in `slot`, or nullptr if OpenSSL refused the key.
  AeadContext* Opener(int slot, const Session& s) {
    Entry& e = entries_[slot];
    return Keyed(&e.open, &e.openGen, s.generation, s.recvKey, false);
  }

 private:
  // `ctx`, keyed with `key` unless it already holds generation `gen` (*keyedGen).
  AeadContext* Keyed(AeadContext* ctx, uint64_t* keyedGen, uint64_t gen, const uint8_t* key,
                     bool encrypt) {
    if (*keyedGen == gen) return ctx;
    *keyedGen = 0;
    if (!ctx->Init(kind_, key, encrypt)) return nullptr;
    *keyedGen = gen;
    return ctx;
  }
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
