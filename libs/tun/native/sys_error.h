// A failed system call during setup: which step, and errno. Setup code returns this
// instead of throwing so it stays independent of N-API; the engine turns it into a JS
// error with a VPCMESH_ERR_TUN_* code.
#pragma once

#include <string>

namespace vpcmesh {

struct SysError {
  bool failed = false;
  int err = 0;       // errno, or 0 when the input itself was invalid
  std::string what;  // e.g. "ioctl(TUNSETIFF) vpcmesh0"

  static SysError Ok() { return SysError{}; }
  static SysError Fail(int err, std::string what) { return SysError{true, err, std::move(what)}; }
  std::string Message() const;
};

}  // namespace vpcmesh
