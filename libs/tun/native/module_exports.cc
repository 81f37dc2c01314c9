#include "module_exports.h"

#include "engine.h"
#include "replay_window.h"
#include "stats.h"
#include "wire_format.h"

namespace vpcmesh {

void ExportEngine(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeEngine", NativeEngine::Define(env));
  Napi::Object c = Napi::Object::New(env);
  c.Set("headerSize", double(kHeaderSize));
  c.Set("overhead", double(kOverhead));
  c.Set("replayWindowSize", double(ReplayWindow::kWindowSize));
  c.Set("slotStatsStride", double(kSlotStatsStride));
  c.Set("globalStatsCount", double(kGlobalStatsCount));
  exports.Set("constants", c);
}

}  // namespace vpcmesh
