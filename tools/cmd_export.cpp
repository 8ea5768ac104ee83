// `divgan export`: a ZDC checkpoint's generator as an ONNX model in inference form, and the
// condition scales in ALICE O2's text format (docs/design.md#onnx-export). Both files are built in
// memory first and written all or nothing; a failure writing the model puts the scales file back
// as it was (or removes it), so no half of a pair is left behind.
#include <cstdio>
#include <filesystem>
#include <optional>

#include "base/atomic_file.h"
#include "datasets/npy.h"
#include "tools/commands.h"
#include "tools/o2_scales.h"
#include "tools/onnx_export.h"
#include "tools/provenance.h"
#include "tools/run_zdc.h"

namespace dg::tools {

namespace {

// "model.onnx" -> "model_scales.txt" beside it.
std::string default_scales_path(const std::string& out) {
  std::filesystem::path p(out);
  p.replace_extension();
  return p.string() + "_scales.txt";
}

std::string json_array(const std::array<double, data::kZdcCondDim>& v) {
  return nlohmann::json(v).dump();
}

}  // namespace

void add_export_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "export", "Export a ZDC checkpoint's generator to ONNX (with O2's condition-scales file)");
  auto ckpt = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto scales = std::make_shared<std::string>();
  auto single = std::make_shared<bool>(false);
  auto no_scales = std::make_shared<bool>(false);
  cmd->add_option("--checkpoint", *ckpt, "ZDC checkpoint written by train")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", *out, "The ONNX model to write (.onnx)")->required();
  auto* s = cmd->add_option("--scales", *scales,
                            "O2's condition-scales file to write (default: <out stem>_scales.txt)");
  cmd->add_flag("--no-scales", *no_scales, "Write the model only")->excludes(s);
  cmd->add_flag("--single-input", *single,
                "One input 'input' (batch, 19) = noise (10) then standardized conditions (9), "
                "instead of O2's two inputs 'noise' and 'conditions'");
  cmd->callback([=] {
    DG_CHECK(std::filesystem::path(*out).extension() == ".onnx",
             *out << ": expected an output file ending in .onnx");
    ZdcModel m = load_zdc_model(*ckpt);
    nn::fold_batch_norms(*m.g);
    OnnxExportOptions opt;
    opt.single_input = *single;
    opt.doc = "divgan ZDC generator (" + std::string(gan::generator_arch_name(m.cfg.generator)) +
              ", regularizer " + gan::regularizer_name(m.cfg.reg) + "). Inputs: " +
              (*single ? "input (batch, 19) = noise (batch, 10) then conditions (batch, 9)"
                       : "noise (batch, 10) ~ N(0, 1), conditions (batch, 9)") +
              "; conditions are (raw - mean) / scale in the order Energy, Vx, Vy, Vz, Px, Py, Pz, "
              "mass, charge. Output: image (batch, 1, 44, 44), log1p of photon counts, row-major.";
    opt.metadata = {{"divgan_version", version_line()},
                    {"checkpoint_step", std::to_string(m.step)},
                    {"generator", gan::generator_arch_name(m.cfg.generator)},
                    {"regularizer", gan::regularizer_name(m.cfg.reg)},
                    {"condition_means", json_array(m.standardizer.mean)},
                    {"condition_scales", json_array(m.standardizer.scale)},
                    {"output", "log1p(photon counts), (batch, 1, 44, 44)"}};
    const std::string bytes =
        generator_to_onnx(*m.g, data::kZdcCondDim, {1, data::kZdcSide, data::kZdcSide}, opt);
    const std::string scales_path = *no_scales        ? ""
                                    : scales->empty() ? default_scales_path(*out)
                                                      : *scales;
    DG_CHECK(scales_path.empty() || std::filesystem::weakly_canonical(scales_path) !=
                                        std::filesystem::weakly_canonical(*out),
             scales_path << ": the scales file and the model must be different files");
    // A scales file already there is kept in memory and put back if the model cannot be written,
    // so the folder never holds new scales beside an old model.
    std::optional<std::string> old_scales;
    if (!scales_path.empty() && std::filesystem::exists(scales_path))
      old_scales = data::read_file_bytes(scales_path);
    if (!scales_path.empty()) write_file_atomic(scales_path, o2_scales_text(m.standardizer));
    try {
      write_file_atomic(*out, bytes);
    } catch (...) {
      if (!scales_path.empty()) {
        if (old_scales) {
          try {
            write_file_atomic(scales_path, *old_scales);
          } catch (const std::exception&) {  // the model's error is the one to report
          }
        } else {
          std::error_code ec;
          std::filesystem::remove(scales_path, ec);
        }
      }
      throw;
    }
    std::printf("wrote %s (%.1f MB, opset %lld, %s, step %lld)%s%s\n", out->c_str(),
                static_cast<double>(bytes.size()) / 1e6, static_cast<long long>(kOnnxOpset),
                *single ? "one input" : "inputs noise and conditions",
                static_cast<long long>(m.step), scales_path.empty() ? "" : " and ",
                scales_path.c_str());
  });
}

}  // namespace dg::tools
