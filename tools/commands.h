// Subcommands of the divgan CLI; each registers its options and its callback on the app.
#pragma once
#include <CLI/CLI.hpp>

namespace dg::tools {

void add_train_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_study2d_command(CLI::App& app);
void add_generate_command(CLI::App& app);
void add_studyzdc_command(CLI::App& app);
void add_support_command(CLI::App& app);
void add_report_command(CLI::App& app);
void add_export_command(CLI::App& app);

}  // namespace dg::tools
