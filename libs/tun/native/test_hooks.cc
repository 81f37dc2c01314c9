#include "test_hooks.h"

#include <chrono>
#include <vector>

#include "aead.h"
#include "engine.h"
#include "replay_window.h"
#include "wire_format.h"

namespace vpcmesh {

namespace {

CipherKind CipherArg(const Napi::Value& v) {
  CipherKind kind;
  if (!v.IsString() || !ParseCipherKind(v.As<Napi::String>().Utf8Value().c_str(), &kind))
    ThrowCoded(v.Env(), "VPCMESH_ERR_TUN_INVALID_ARGUMENT", "cipher must be aes-256-gcm or chacha20-poly1305");
  return kind;
}

double ElapsedNs(std::chrono::steady_clock::time_point since) {
  return double(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - since).count());
}

}  // namespace

Napi::Value ReplayWindowRun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_biguint64_array)
    ThrowCoded(env, "VPCMESH_ERR_TUN_INVALID_ARGUMENT", "counters must be a BigUint64Array");
  Napi::TypedArray arr = info[0].As<Napi::TypedArray>();
  const uint64_t* counters = reinterpret_cast<const uint64_t*>(
      static_cast<uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset());
  size_t n = arr.ElementLength();
  Napi::Uint8Array out = Napi::Uint8Array::New(env, n);
  ReplayWindow w;
  w.Reset();
  for (size_t i = 0; i < n; i++) {
    bool ok = counters[i] < kRejectAfterMessages && w.Check(counters[i]);
    if (ok) w.Mark(counters[i]);
    out[i] = ok ? 1 : 0;
  }
  return out;
}

Napi::Value SealForTest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CipherKind kind = CipherArg(info[0]);
  if (!info[1].IsTypedArray() || info[1].As<Napi::Uint8Array>().ByteLength() != kKeySize || !info[2].IsNumber() ||
      !info[3].IsBigInt() || !info[4].IsTypedArray())
    ThrowCoded(env, "VPCMESH_ERR_TUN_INVALID_ARGUMENT", "sealForTest(cipher, key32, index, counter, plaintext)");
  bool lossless = false;
  uint64_t counter = info[3].As<Napi::BigInt>().Uint64Value(&lossless);
  Napi::Uint8Array plain = info[4].As<Napi::Uint8Array>();
  Napi::Uint8Array out = Napi::Uint8Array::New(env, plain.ByteLength() + kOverhead);
  std::memcpy(out.Data() + kHeaderSize, plain.Data(), plain.ByteLength());
  WriteDataHeader(out.Data(), info[2].As<Napi::Number>().Uint32Value(), counter);
  AeadContext ctx;
  uint8_t* body = out.Data() + kHeaderSize;
  if (!ctx.Init(kind, info[1].As<Napi::Uint8Array>().Data(), true) ||
      !ctx.Seal(counter, out.Data(), body, plain.ByteLength(), body + plain.ByteLength()))
    ThrowCoded(env, "VPCMESH_ERR_TUN_CRYPTO_FAILED", "seal failed");
  return out;
}

Napi::Value AeadBench(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CipherKind kind = CipherArg(info[0]);
  size_t size = info[1].As<Napi::Number>().Uint32Value();
  size_t packets = info[2].As<Napi::Number>().Uint32Value();
  constexpr size_t kBatch = 64;
  std::vector<uint8_t> buf(kBatch * (size + kOverhead), 0x45);
  uint8_t key[kKeySize] = {1, 2, 3};
  AeadContext sealer, opener;
  sealer.Init(kind, key, true);
  opener.Init(kind, key, false);
  auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < packets; i++) {
    uint8_t* m = buf.data() + (i % kBatch) * (size + kOverhead);
    WriteDataHeader(m, 7, i);
    sealer.Seal(i, m, m + kHeaderSize, size, m + kHeaderSize + size);
  }
  double sealNs = ElapsedNs(t0);
  // Re-seal one batch so every message in the buffer is valid, then time opening.
  size_t openOk = 0;
  auto t1 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < packets; i++) {
    uint8_t* m = buf.data() + (i % kBatch) * (size + kOverhead);
    uint64_t c = LoadLe64(m + kOffsetCounter);
    openOk += opener.Open(c, m, m + kHeaderSize, size, m + kHeaderSize + size) ? 1 : 0;
    sealer.Seal(c, m, m + kHeaderSize, size, m + kHeaderSize + size);  // restore ciphertext
  }
  double openNs = ElapsedNs(t1) - sealNs;  // subtract the restoring seals (same cost)
  Napi::Object o = Napi::Object::New(env);
  o.Set("sealNsPerPacket", sealNs / double(packets));
  o.Set("openNsPerPacket", openNs / double(packets));
  o.Set("openOk", double(openOk));
  return o;
}

}  // namespace vpcmesh
