// The project's one error type and the checks that throw it (policy:
// docs/design.md#error-handling). Every layer uses it (kernels, engine, datasets, gan, tools), so
// it lives below them all.
//   DG_CHECK / DG_FAIL: what a user can cause (bad input, a bad flag, a wrong shape passed to an
//     op). The message says what was expected, naming the file or argument; it carries no source
//     location, which would show the build machine's paths to users, except in debug mode
//     (environment DG_DEBUG=1), where " [file:line]" is appended.
//   DG_ASSERT: an internal invariant that no input should break; always with file:line, so a bug
//     report points at the code. CUDA, cuBLAS and cuDNN failures (kernels/cuda/check.cuh) report
//     the failing call the same way.
#pragma once
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>

namespace dg {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// True when DG_DEBUG is set to anything but "" or "0" (read once).
inline bool debug_mode() {
  static const bool on = [] {
    const char* v = std::getenv("DG_DEBUG");
    return v && *v && std::string(v) != "0";
  }();
  return on;
}

// Throws `what` with the source location and an optional hint (internal failures, library calls).
[[noreturn]] inline void throw_error(const char* file, int line, const std::string& what,
                                     const std::string& hint = {}) {
  std::ostringstream os;
  os << what << " [" << file << ":" << line << "]";
  if (!hint.empty()) os << " (hint: " << hint << ")";
  throw Error(os.str());
}

// Throws `what` as a user would read it; the source location only in debug mode.
[[noreturn]] inline void throw_user_error(const char* file, int line, const std::string& what) {
  if (debug_mode()) throw_error(file, line, what);
  throw Error(what);
}

}  // namespace dg

// DG_CHECK(cond, msg) throws dg::Error with msg (which may use << chaining); msg itself says what
// was expected, so the condition text is not repeated to the user.
#define DG_CHECK(cond, msg)                                     \
  do {                                                          \
    if (!(cond)) {                                              \
      std::ostringstream dg_os_;                                \
      dg_os_ << msg;                                            \
      ::dg::throw_user_error(__FILE__, __LINE__, dg_os_.str()); \
    }                                                           \
  } while (0)

#define DG_FAIL(msg)                                          \
  do {                                                        \
    std::ostringstream dg_os_;                                \
    dg_os_ << msg;                                            \
    ::dg::throw_user_error(__FILE__, __LINE__, dg_os_.str()); \
  } while (0)

// DG_ASSERT(cond, msg): an internal invariant; the error always carries file:line.
#define DG_ASSERT(cond, msg)                               \
  do {                                                     \
    if (!(cond)) {                                         \
      std::ostringstream dg_os_;                           \
      dg_os_ << "internal error: " << msg;                 \
      ::dg::throw_error(__FILE__, __LINE__, dg_os_.str()); \
    }                                                      \
  } while (0)
