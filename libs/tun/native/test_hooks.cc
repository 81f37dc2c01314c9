#include "test_hooks.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "aead.h"
#include "engine.h"
#include "replay_window.h"
#include "tcp_offload.h"
#include "wire_format.h"

namespace vpcmesh {

namespace {

CipherKind CipherArg(const Napi::Value& v) {
  CipherKind kind;
  if (!v.IsString() || !ParseCipherKind(v.As<Napi::String>().Utf8Value().c_str(), &kind))
    ThrowCoded(v.Env(), "VPCMESH_ERR_TUN_INVALID_ARGUMENT",
               "cipher must be aes-256-gcm or chacha20-poly1305");
  return kind;
}

double ElapsedNs(std::chrono::steady_clock::time_point since) {
  return double(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - since)
          .count());
}

Napi::Uint8Array BytesArg(const Napi::Value& v, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    ThrowCoded(v.Env(), "VPCMESH_ERR_TUN_INVALID_ARGUMENT",
               std::string(what) + " must be a Uint8Array");
  return v.As<Napi::Uint8Array>();
}

uint16_t U16Field(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? uint16_t(v.As<Napi::Number>().Uint32Value()) : 0;
}

Napi::Object VnetObject(Napi::Env env, const VnetHeader& h) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("flags", h.flags);
  o.Set("gsoType", h.gsoType);
  o.Set("hdrLen", h.hdrLen);
  o.Set("gsoSize", h.gsoSize);
  o.Set("csumStart", h.csumStart);
  o.Set("csumOffset", h.csumOffset);
  return o;
}

}  // namespace

Napi::Value TcpSegment(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Uint8Array pkt = BytesArg(info[0], "packet");
  if (!info[1].IsObject() || !info[2].IsNumber())
    ThrowCoded(env, "VPCMESH_ERR_TUN_INVALID_ARGUMENT",
               "tcpSegment(packet, {gsoType, gsoSize}, mtu)");
  VnetHeader h;
  h.gsoType = uint8_t(U16Field(info[1].As<Napi::Object>(), "gsoType"));
  h.gsoSize = U16Field(info[1].As<Napi::Object>(), "gsoSize");
  size_t mtu = info[2].As<Napi::Number>().Uint32Value();
  constexpr size_t kMaxSegments = 1024;
  size_t stride = mtu + 64;
  std::vector<uint8_t> out(kMaxSegments * stride);
  std::vector<uint32_t> lens(kMaxSegments);
  int n = SegmentTcp(pkt.Data(), pkt.ByteLength(), h, mtu, out.data(), stride, kMaxSegments,
                     lens.data());
  if (n < 0) return Napi::Number::New(env, n);
  Napi::Array segs = Napi::Array::New(env, size_t(n));
  for (int k = 0; k < n; k++)
    segs.Set(uint32_t(k),
             Napi::Buffer<uint8_t>::Copy(env, out.data() + size_t(k) * stride, lens[k]));
  return segs;
}

Napi::Value TcpCoalesce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray())
    ThrowCoded(env, "VPCMESH_ERR_TUN_INVALID_ARGUMENT", "tcpCoalesce(packets: Uint8Array[])");
  Napi::Array in = info[0].As<Napi::Array>();
  Napi::Array out = Napi::Array::New(env);
  std::vector<uint8_t> group(kMaxIpPacket), seg;
  size_t groupLen = 0;
  TcpCoalescer c;
  auto emit = [&]() {
    if (groupLen == 0) return;
    Napi::Object o = Napi::Object::New(env);
    VnetHeader h;
    o.Set("segments", double(c.open() ? c.segments() : 1));
    size_t len = c.open() ? c.Finish(&h) : groupLen;
    o.Set("packet", Napi::Buffer<uint8_t>::Copy(env, group.data(), len));
    o.Set("vnet", VnetObject(env, h));
    out.Set(out.Length(), o);
    groupLen = 0;
  };
  for (uint32_t i = 0; i < in.Length(); i++) {
    Napi::Uint8Array p = BytesArg(in.Get(i), "packet");
    if (p.ByteLength() > kMaxIpPacket)
      ThrowCoded(env, "VPCMESH_ERR_TUN_INVALID_ARGUMENT", "packet too large");
    seg.assign(p.Data(), p.Data() + p.ByteLength());
    if (c.open() && c.Append(seg.data(), seg.size())) continue;
    emit();
    std::memcpy(group.data(), seg.data(), seg.size());
    groupLen = seg.size();
    c.Start(group.data(), groupLen, group.size());
  }
  emit();
  return out;
}

Napi::Value CompleteChecksumHook(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Uint8Array pkt = BytesArg(info[0], "packet");
  if (!info[1].IsNumber() || !info[2].IsNumber())
    ThrowCoded(env, "VPCMESH_ERR_TUN_INVALID_ARGUMENT",
               "completeChecksum(packet, csumStart, csumOffset)");
  Napi::Buffer<uint8_t> copy = Napi::Buffer<uint8_t>::Copy(env, pkt.Data(), pkt.ByteLength());
  bool ok = CompleteChecksum(copy.Data(), copy.Length(), info[1].As<Napi::Number>().Uint32Value(),
                             info[2].As<Napi::Number>().Uint32Value());
  return ok ? Napi::Value(copy) : env.Null();
}

Napi::Value ReplayWindowRun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_biguint64_array)
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
  if (!info[1].IsTypedArray() || info[1].As<Napi::Uint8Array>().ByteLength() != kKeySize ||
      !info[2].IsNumber() || !info[3].IsBigInt() || !info[4].IsTypedArray())
    ThrowCoded(env, "VPCMESH_ERR_TUN_INVALID_ARGUMENT",
               "sealForTest(cipher, key32, index, counter, plaintext)");
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

// idleSealBench(cipher, payloadBytes, rounds, gapUs) -> Float64Array: the nanoseconds of each
// of `rounds` single seals, each after sleeping gapUs (what a packet costs after the tunnel
// has been idle: caches and TLB cold). Sorted ascending.
Napi::Value IdleSealBench(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CipherKind kind = CipherArg(info[0]);
  size_t size = std::min<size_t>(info[1].As<Napi::Number>().Uint32Value(), kMaxInnerPacket);
  size_t rounds = std::min<size_t>(info[2].As<Napi::Number>().Uint32Value(), 10000);
  uint32_t gapUs = std::min<uint32_t>(info[3].As<Napi::Number>().Uint32Value(), 1000000);
  std::vector<uint8_t> msg(size + kOverhead, 0x45);
  uint8_t key[kKeySize] = {1, 2, 3};
  AeadContext sealer;
  sealer.Init(kind, key, true);
  Napi::Float64Array out = Napi::Float64Array::New(env, rounds);
  for (size_t i = 0; i < rounds; i++) {
    if (gapUs > 0) {
      timespec gap{time_t(gapUs / 1000000), long(gapUs % 1000000) * 1000};
      nanosleep(&gap, nullptr);
    }
    auto t0 = std::chrono::steady_clock::now();
    WriteDataHeader(msg.data(), 7, i);
    sealer.Seal(i, msg.data(), msg.data() + kHeaderSize, size, msg.data() + kHeaderSize + size);
    out[i] = ElapsedNs(t0);
  }
  std::sort(out.Data(), out.Data() + rounds);
  return out;
}

void ExportTestHooks(Napi::Env env, Napi::Object exports) {
  exports.Set("replayWindowRun", Napi::Function::New(env, ReplayWindowRun));
  exports.Set("sealForTest", Napi::Function::New(env, SealForTest));
  exports.Set("aeadBench", Napi::Function::New(env, AeadBench));
  exports.Set("idleSealBench", Napi::Function::New(env, IdleSealBench));
  exports.Set("tcpSegment", Napi::Function::New(env, TcpSegment));
  exports.Set("tcpCoalesce", Napi::Function::New(env, TcpCoalesce));
  exports.Set("completeChecksum", Napi::Function::New(env, CompleteChecksumHook));
}

}  // namespace vpcmesh
