// CLI11 validators with short messages (the stock range validators print the whole double range).
#pragma once
#include <CLI/CLI.hpp>

#include <string>

namespace dg::tools {

inline CLI::Validator positive() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        try {
          size_t used = 0;
          double v = std::stod(s, &used);
          if (used != s.size()) return "'" + s + "' is not a number";
          return v > 0 ? std::string() : "must be > 0, got " + s;
        } catch (const std::exception&) {
          return "'" + s + "' is not a number";
        }
      },
      "POSITIVE");
}

inline CLI::Validator non_negative() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        try {
          size_t used = 0;
          double v = std::stod(s, &used);
          if (used != s.size()) return "'" + s + "' is not a number";
          return v >= 0 ? std::string() : "must be >= 0, got " + s;
        } catch (const std::exception&) {
          return "'" + s + "' is not a number";
        }
      },
      "NON-NEGATIVE");
}

}  // namespace dg::tools
