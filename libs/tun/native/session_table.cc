#include "session_table.h"

namespace vpcmesh {

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
  s->sendCounter = 0;
  s->replay.Reset();
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
}

}  // namespace vpcmesh
