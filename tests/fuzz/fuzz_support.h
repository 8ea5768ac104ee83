// What every libFuzzer target of tests/fuzz/ shares: a finding prints the target's name and aborts
// (libFuzzer keeps the input as an artifact), and a dg::Error is the expected end of malformed
// input while any other exception is a finding; parsed arrays must be self-consistent.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "base/error.h"
#include "datasets/npy.h"

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

// A parsed array's dimensions are non-negative, their product fits in 64 bits and equals its
// element count; returns that count.
inline uint64_t require_shape_matches(const dg::data::NpyArray& a) {
  uint64_t n = 1;
  for (int64_t d : a.shape) {
    require(d >= 0, "negative dimension");
    require(!__builtin_mul_overflow(n, static_cast<uint64_t>(d), &n), "shape product overflows");
  }
  require(n == a.data.size(), "element count does not match the shape");
  return n;
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
