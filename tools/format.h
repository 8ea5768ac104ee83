// Markdown tables in the layout of the SDI-GAN paper's Table 1.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "gan/eval2d.h"

namespace dg::tools {

// One row per (name, result), preceded by the real data's variances.
std::string eval2d_markdown(const std::vector<std::pair<std::string, gan::Eval2D>>& rows);

}  // namespace dg::tools
