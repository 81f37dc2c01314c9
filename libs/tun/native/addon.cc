// Module entry of vpcmesh_tun: the Engine class, test hooks and the wire constants
// (so TypeScript can assert it was built against the same layout).
#include <napi.h>

#include "engine.h"
#include "stats.h"
#include "test_hooks.h"
#include "wire_format.h"

namespace vpcmesh {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Engine", Engine::Define(env));
  exports.Set("replayWindowRun", Napi::Function::New(env, ReplayWindowRun));
  exports.Set("sealForTest", Napi::Function::New(env, SealForTest));
  exports.Set("aeadBench", Napi::Function::New(env, AeadBench));
  exports.Set("tcpSegment", Napi::Function::New(env, TcpSegment));
  exports.Set("tcpCoalesce", Napi::Function::New(env, TcpCoalesce));
  exports.Set("completeChecksum", Napi::Function::New(env, CompleteChecksumHook));
  Napi::Object c = Napi::Object::New(env);
  c.Set("headerSize", double(kHeaderSize));
  c.Set("overhead", double(kOverhead));
  c.Set("replayWindowSize", double(ReplayWindow::kWindowSize));
  c.Set("slotStatsStride", double(kSlotStatsStride));
  c.Set("globalStatsCount", double(kGlobalStatsCount));
  exports.Set("constants", c);
  return exports;
}

}  // namespace vpcmesh

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  return vpcmesh::Init(env, exports);
}

NODE_API_MODULE(vpcmesh_tun, InitModule)
