// Exceptions carrying the failing call, file:line and a hint, so every failure says where it
// happened and what to try (policy: docs/design.md#error-handling).
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace dg {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

[[noreturn]] inline void throw_error(const char* file, int line, const std::string& what,
                                     const std::string& hint = {}) {
  std::ostringstream os;
  os << what << " [" << file << ":" << line << "]";
  if (!hint.empty()) os << " (hint: " << hint << ")";
  throw Error(os.str());
}

}  // namespace dg

// DG_CHECK(cond, msg) throws dg::Error with msg (which may use << chaining) and file:line; msg
// itself says what was expected, so the condition text is not repeated to the user.
#define DG_CHECK(cond, msg)                                                            \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::ostringstream dg_os_;                                                       \
      dg_os_ << msg;                                                                   \
      ::dg::throw_error(__FILE__, __LINE__, dg_os_.str());                             \
    }                                                                                  \
  } while (0)

#define DG_FAIL(msg)                                                                   \
  do {                                                                                 \
    std::ostringstream dg_os_;                                                         \
    dg_os_ << msg;                                                                     \
    ::dg::throw_error(__FILE__, __LINE__, dg_os_.str());                               \
  } while (0)
