// Module entry of the production addon vpcmesh_tun: the NativeEngine class and the constants
// (module_exports.h), nothing else. Test hooks live only in vpcmesh_tun_test
// (test_addon.cc).
#include <napi.h>

#include "module_exports.h"

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  vpcmesh::ExportEngine(env, exports);
  return exports;
}

NODE_API_MODULE(vpcmesh_tun, InitModule)
