// `divgan report RUN_DIR... --out DIR`: one HTML page (and its Markdown twin) comparing runs side
// by side, with pictures (tools/report.h).
#include <cstdio>

#include "tools/commands.h"
#include "tools/report.h"
#include "tools/train_loop.h"

namespace dg::tools {

void add_report_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "report",
      "One HTML page (and Markdown) comparing runs: config, channel table, diversity, empty "
      "showers, support sizes, and pictures");
  auto o = std::make_shared<ReportOptions>();
  auto device = std::make_shared<std::string>("cpu");
  auto no_pictures = std::make_shared<bool>(false);
  auto quiet = std::make_shared<bool>(false);
  cmd->add_option("runs", o->runs, "Run folders written by `divgan train` (ZDC or 2D)")->required();
  cmd->add_option("--out", o->out,
                  "Report folder (report.html, report.md, img/, data/); an earlier report there "
                  "is replaced once the new one is complete")
      ->required();
  cmd->add_option("--title", o->title, "Title of the page")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed of the evaluation latents and of the support test")
      ->capture_default_str();
  cmd->add_option("--device", *device, "cpu, cuda, or auto (a GPU when one is usable)")
      ->check(CLI::IsMember({"cpu", "cuda", "auto"}))
      ->capture_default_str();
  cmd->add_flag("--no-pictures", *no_pictures, "Tables only (no Python needed)");
  cmd->add_flag("--quiet", *quiet, "No progress lines");
  cmd->callback([=] {
    ReportOptions opt = *o;
    opt.device = select_device(*device);
    opt.pictures = !*no_pictures;
    opt.progress = !*quiet;
    const std::string page = write_report(opt);
    std::printf("wrote %s (and report.md beside it)\n", page.c_str());
  });
}

}  // namespace dg::tools
