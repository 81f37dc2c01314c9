// libFuzzer target: the UDP receive path (datagram_open.h). The input is a datagram, given
// to OpenDatagram for an AES-256-GCM and a ChaCha20-Poly1305 sessions table, each with
// sessions installed under fixed keys (receiver indexes 1 and 0x01020304). Checked:
//   - the status agrees with the wire format (raw iff a type other than 4, etc.);
//   - an opened datagram reports its payload length and kind, and opening it again is a
//     replay;
//   - a seal/open round trip of the input's payload under the input's counter (bytes 8..15)
//     gives the plaintext back, a copy with one bit flipped (position from the input) is
//     never accepted and does not spend the counter, and the genuine copy replayed is not
//     accepted.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "datagram_open.h"
#include "fuzz_check.h"
#include "session_table.h"
#include "wire_format.h"

using namespace vpcmesh;

namespace {

constexpr uint32_t kIndexA = 1;
constexpr uint32_t kIndexB = 0x01020304;

struct Keys {
  uint8_t send[kKeySize];
  uint8_t recv[kKeySize];
  Keys() {
    for (size_t i = 0; i < kKeySize; i++) {
      recv[i] = uint8_t(i + 1);     // 0x01..0x20: what the peer seals with
      send[i] = uint8_t(i + 0x21);  // 0x21..0x40
    }
  }
};

struct Fixture {
  Keys keys;
  CipherKind kind;
  SessionTable table;
  AeadContext peer;  // seals as the peer does, with our receive key
  explicit Fixture(CipherKind k) : kind(k), table(4, k) {
    FUZZ_CHECK(peer.Init(k, keys.recv, true));
  }
  // Fresh sessions (replay windows reset) for every input, so each run is reproducible.
  void Install() {
    FUZZ_CHECK(table.Install(0, {keys.send, keys.recv, kIndexA, 7}) == InstallResult::kOk);
    FUZZ_CHECK(table.Install(2, {keys.send, keys.recv, kIndexB, 9}) == InstallResult::kOk);
  }
};

OpenResult Open(Fixture& f, const uint8_t* data, size_t size, std::vector<uint8_t>* out) {
  out->assign(data, data + size);  // exact size: ASan sees any read past the datagram
  return OpenDatagram(f.table, out->data(), size);
}

void CheckClassification(Fixture& f, const uint8_t* data, size_t size) {
  std::vector<uint8_t> buf;
  OpenResult r = Open(f, data, size, &buf);
  if (size < 4) return FUZZ_CHECK(r.status == OpenStatus::kTooShort);
  if (LoadLe32(data) != kTypeData) return FUZZ_CHECK(r.status == OpenStatus::kRaw);
  if (size < kOverhead) return FUZZ_CHECK(r.status == OpenStatus::kTooShort);
  uint32_t index = LoadLe32(data + kOffsetReceiver);
  if (index != kIndexA && index != kIndexB)
    return FUZZ_CHECK(r.status == OpenStatus::kUnknownIndex);
  FUZZ_CHECK(r.slot == (index == kIndexA ? 0 : 2));
  if (LoadLe64(data + kOffsetCounter) >= kRejectAfterMessages)
    return FUZZ_CHECK(r.status == OpenStatus::kReplay);
  if (r.status != OpenStatus::kOpened) return FUZZ_CHECK(r.status == OpenStatus::kAuthFailed);
  FUZZ_CHECK(r.payloadLen == size - kOverhead);
  FUZZ_CHECK(r.kind == ClassifyPayload(buf.data() + kHeaderSize, r.payloadLen));
  FUZZ_CHECK(f.table.At(r.slot)->replay.newest() >= LoadLe64(data + kOffsetCounter));
  FUZZ_CHECK(Open(f, data, size, &buf).status == OpenStatus::kReplay);
}

void CheckRoundTrip(Fixture& f, const uint8_t* data, size_t size) {
  if (size < kHeaderSize) return;
  const uint64_t counter = LoadLe64(data + kOffsetCounter);
  const size_t plen = size - kHeaderSize;
  std::vector<uint8_t> msg(kOverhead + plen);
  WriteDataHeader(msg.data(), kIndexB, counter);
  std::memcpy(msg.data() + kHeaderSize, data + kHeaderSize, plen);
  FUZZ_CHECK(f.peer.Seal(counter, msg.data(), msg.data() + kHeaderSize, plen,
                         msg.data() + kHeaderSize + plen));
  std::vector<uint8_t> buf;
  // One flipped bit (position from input bytes 4..7) must never be accepted.
  const size_t bit = LoadLe32(data + kOffsetReceiver) % (msg.size() * 8);
  std::vector<uint8_t> bad = msg;
  bad[bit / 8] ^= uint8_t(1u << (bit % 8));
  FUZZ_CHECK(Open(f, bad.data(), bad.size(), &buf).status != OpenStatus::kOpened);
  OpenResult r = Open(f, msg.data(), msg.size(), &buf);
  if (counter >= kRejectAfterMessages) return FUZZ_CHECK(r.status == OpenStatus::kReplay);
  FUZZ_CHECK(r.status == OpenStatus::kOpened && r.slot == 2 && r.payloadLen == plen);
  FUZZ_CHECK(std::memcmp(buf.data() + kHeaderSize, data + kHeaderSize, plen) == 0);
  FUZZ_CHECK(f.table.At(2)->replay.newest() >= counter);
  FUZZ_CHECK(Open(f, msg.data(), msg.size(), &buf).status == OpenStatus::kReplay);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture fixtures[] = {Fixture(CipherKind::kAes256Gcm),
                               Fixture(CipherKind::kChaCha20Poly1305)};
  if (size > kMaxDatagram) return 0;
  for (Fixture& f : fixtures) {
    f.Install();
    CheckClassification(f, data, size);
    f.Install();
    CheckRoundTrip(f, data, size);
  }
  return 0;
}
