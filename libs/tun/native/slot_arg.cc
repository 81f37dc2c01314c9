#include "slot_arg.h"

#include <cmath>
#include <string>

#include "engine.h"

namespace vpcmesh {

int SlotArg(const Napi::Value& v, size_t slots) {
  if (!v.IsNumber())
    ThrowCoded(v.Env(), "VPCMESH_ERR_TUN_INVALID_ARGUMENT", "slot must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d < double(slots)) || d != std::floor(d))
    ThrowCoded(v.Env(), "VPCMESH_ERR_TUN_INVALID_ARGUMENT",
               "slot out of range: " + std::to_string(d) + " (slots are integers in [0, " +
                   std::to_string(slots) + "))");
  return int(d);
}

}  // namespace vpcmesh
