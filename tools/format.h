// Markdown tables in the layout of the SDI-GAN paper's Table 1, and reading figures back from
// result JSON.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "gan/eval2d.h"

namespace dg::tools {

// One row per (name, result), preceded by the real data's variances.
std::string eval2d_markdown(const std::vector<std::pair<std::string, gan::Eval2D>>& rows);

// ev[key] as a number; NaN where it is absent or null (result JSON writes NaN as null).
double json_figure(const nlohmann::json& ev, const char* key);

}  // namespace dg::tools
