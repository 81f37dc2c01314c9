// The one check of a slot number coming from JavaScript (setSession, setEndpoint,
// clearSession, sealAndSendOne). Setup and control calls only: the per-packet loops
// never throw, they count a drop for a slot out of range instead.
#pragma once

#include <napi.h>

#include <cstddef>

namespace vpcmesh {

// `v` as a slot: an integer in [0, slots). Throws VPCMESH_ERR_TUN_INVALID_ARGUMENT
// (a programming error in the caller) for anything else, NaN and non-numbers included.
int SlotArg(const Napi::Value& v, size_t slots);

}  // namespace vpcmesh
