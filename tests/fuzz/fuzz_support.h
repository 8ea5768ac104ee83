// What every libFuzzer target of tests/fuzz/ shares: a finding prints the target's name and aborts
// (libFuzzer keeps the input as an artifact), and a dg::Error is the expected end of malformed
// input while any other exception is a finding.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "base/error.h"

namespace dg::fuzz {

// The target's name in its reports; each target defines it.
extern const char* const kTarget;

[[noreturn]] inline void finding(const char* what, const char* detail = "") {
  std::fprintf(stderr, "%s: FINDING: %s %s\n", kTarget, what, detail);
  std::abort();
}

inline void require(bool ok, const char* what) {
  if (!ok) finding("invariant violated:", what);
}

template <class F>
void expect_ok_or_error(F&& f) {
  try {
    f();
  } catch (const dg::Error&) {
    // Expected for malformed input.
  } catch (const std::exception& e) {
    finding("exception other than dg::Error:", e.what());
  } catch (...) {
    finding("non-std exception");
  }
}

}  // namespace dg::fuzz
