#include "session_table.h"

#include <openssl/crypto.h>

#include <cstring>

namespace vpcmesh {

namespace {
uint64_t nextGeneration = 0;  // JS thread only (Install runs there)
}  // namespace

TableLock::TableLock() {
  pthread_rwlockattr_t attr;
  pthread_rwlockattr_init(&attr);
  pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
  pthread_rwlock_init(&lock_, &attr);
  pthread_rwlockattr_destroy(&attr);
}

TableLock::~TableLock() { pthread_rwlock_destroy(&lock_); }

SessionTable::SessionTable(size_t slots, CipherKind cipher) : cipher_(cipher) {
  slots_.reserve(slots);
  for (size_t i = 0; i < slots; i++) slots_.push_back(std::make_unique<Session>());
  byIndex_.reserve(slots * 2);
}

int SessionTable::Lookup(uint32_t index) const {
  auto it = byIndex_.find(index);
  return it == byIndex_.end() ? -1 : it->second;
}

InstallResult SessionTable::Install(int slot, const SessionKeys& keys) {
  Session* s = At(slot);
  if (s == nullptr) return InstallResult::kBadSlot;
  int owner = Lookup(keys.localIndex);
  if (owner >= 0 && owner != slot) return InstallResult::kIndexInUse;
  if (s->active) byIndex_.erase(s->localIndex);
  s->active = false;
  if (!s->sealer.Init(cipher_, keys.sendKey, true) ||
      !s->opener.Init(cipher_, keys.recvKey, false)) {
    s->sealer.Reset();
    s->opener.Reset();
    return InstallResult::kCryptoFailed;
  }
  s->localIndex = keys.localIndex;
  s->remoteIndex = keys.remoteIndex;
  s->sendCounter.store(0, std::memory_order_relaxed);
  s->generation = ++nextGeneration;
  std::memcpy(s->sendKey, keys.sendKey, kKeySize);
  std::memcpy(s->recvKey, keys.recvKey, kKeySize);
  s->noticed = false;
  s->roamNoticed = false;
  {
    std::lock_guard<std::mutex> g(s->replayMutex);
    s->replay.Reset();
  }
  s->active = true;
  byIndex_[keys.localIndex] = slot;
  return InstallResult::kOk;
}

void SessionTable::Clear(int slot) {
  Session* s = At(slot);
  if (s == nullptr) return;
  if (s->active) byIndex_.erase(s->localIndex);
  s->active = false;
  s->sealer.Reset();
  s->opener.Reset();
  s->endpoint = Endpoint{};
  s->generation = 0;
  OPENSSL_cleanse(s->sendKey, kKeySize);
  OPENSSL_cleanse(s->recvKey, kKeySize);
}

}  // namespace vpcmesh
