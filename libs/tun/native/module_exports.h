// What every build of the addon exports: the NativeEngine class and the wire and layout
// constants (libs/tun/src/native.ts checks the stats layout against its own when it
// loads the addon). The production entry is addon.cc; the test addon's is test_addon.cc.
#pragma once

#include <napi.h>

namespace vpcmesh {

void ExportEngine(Napi::Env env, Napi::Object exports);

}  // namespace vpcmesh
