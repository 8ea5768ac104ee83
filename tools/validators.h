// CLI11 validators with short messages (the stock range validators print the whole double range).
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace dg::tools {

// Accepts a number for which `ok` holds; otherwise "must be <what>, got <s>".
inline CLI::Validator number_where(std::function<bool(double)> ok, std::string what,
                                   std::string name) {
  return CLI::Validator(
      [ok, what](std::string& s) -> std::string {
        try {
          size_t used = 0;
          double v = std::stod(s, &used);
          if (used != s.size()) return "'" + s + "' is not a number";
          return ok(v) ? std::string() : "must be " + what + ", got " + s;
        } catch (const std::exception&) {
          return "'" + s + "' is not a number";
        }
      },
      name);
}

inline CLI::Validator positive() {
  return number_where([](double v) { return v > 0; }, "> 0", "POSITIVE");
}
inline CLI::Validator non_negative() {
  return number_where([](double v) { return v >= 0; }, ">= 0", "NON-NEGATIVE");
}

}  // namespace dg::tools
