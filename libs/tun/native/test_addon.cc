// Module entry of the test addon vpcmesh_tun_test: everything the production addon
// exports, plus the hooks of test_hooks.h. Its NativeEngine is compiled with
// VPCMESH_TEST_HOOKS, which adds the `failAfterOpenForTest` option (engine.cc). Loaded
// only by libs/tun/src/testing/native-hooks.ts.
#include <napi.h>

#include "module_exports.h"
#include "test_hooks.h"

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  vpcmesh::ExportEngine(env, exports);
  vpcmesh::ExportTestHooks(env, exports);
  return exports;
}

NODE_API_MODULE(vpcmesh_tun_test, InitModule)
