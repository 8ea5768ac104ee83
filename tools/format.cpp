// Markdown formatting of evaluation tables.
#include "tools/format.h"

#include <cstdio>
#include <limits>

namespace dg::tools {

std::string eval2d_markdown(const std::vector<std::pair<std::string, gan::Eval2D>>& rows) {
  std::string s =
      "| Model | Variance spread 0 | Variance spread 1 | Wasserstein spread 0 | Wasserstein spread "
      "1 |\n"
      "|---|---|---|---|---|\n";
  char buf[256];
  if (!rows.empty()) {
    const auto& r = rows.front().second;
    std::snprintf(buf, sizeof buf, "| Real (test split) | %.2f | %.1f | - | - |\n",
                  r.real_variance[0], r.real_variance[1]);
    s += buf;
  }
  for (const auto& [name, r] : rows) {
    std::snprintf(buf, sizeof buf, "| %s | %.2f | %.1f | %.2f | %.2f |\n", name.c_str(),
                  r.variance[0], r.variance[1], r.wasserstein[0], r.wasserstein[1]);
    s += buf;
  }
  return s;
}

double json_figure(const nlohmann::json& ev, const char* key) {
  return ev.contains(key) && ev[key].is_number() ? ev[key].get<double>()
                                                 : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace dg::tools
