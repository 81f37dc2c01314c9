// FUZZ_CHECK: an invariant of a fuzz target. On failure it prints the condition and
// aborts, which libFuzzer reports as a crash and saves the input as a reproducer
// (scripts/fuzz.mjs passes -artifact_prefix=test/fuzz/crashes/<target>-). An expression
// of type void, so `return FUZZ_CHECK(x);` ends a void function.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace vpcmesh_fuzz {

inline void Check(bool ok, const char* cond, const char* file, int line) {
  if (ok) return;
  std::fprintf(stderr, "FUZZ_CHECK failed: %s (%s:%d)\n", cond, file, line);
  std::abort();
}

}  // namespace vpcmesh_fuzz

#define FUZZ_CHECK(cond) ::vpcmesh_fuzz::Check(bool(cond), #cond, __FILE__, __LINE__)
