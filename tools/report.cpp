// `divgan report`: evaluates each run, writes the data behind the pictures, has
// tools/plots/divgan_plots.py draw them, and writes one HTML page and its Markdown twin.
#include "tools/report.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "base/atomic_file.h"
#include "base/error.h"
#include "datasets/npz.h"
#include "datasets/zdc_dataset.h"
#include "gan/eval_zdc.h"
#include "gan/regularizers.h"
#include "gan/support_size.h"
#include "gan/trainer.h"
#include "tools/format.h"
#include "tools/provenance.h"
#include "tools/report_page.h"
#include "tools/run2d.h"
#include "tools/run_zdc.h"

extern char** environ;

namespace dg::tools {

namespace fs = std::filesystem;

namespace {

constexpr int64_t kShowerRegenerations = 4;  // generated showers per test condition in the files
constexpr int64_t kPoints2DPerCondition = 200;

std::string fmt(double v, const char* f = "%.2f") {
  if (std::isnan(v)) return "n/a";
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

// ---- one run ---------------------------------------------------------------------------------

struct RunReport {
  std::string dir, name, title;
  gan::TrainConfig cfg;
  int64_t steps = 0;
  gan::ZdcEval zdc;
  gan::SupportResult support;
  std::string support_error;  // why there is no support result
  Run2DResult eval2d;
  std::vector<Picture> pictures;  // relative to the report folder
};

std::string run_title(const gan::TrainConfig& c) {
  std::string t = gan::regularizer_title(c.reg);
  if (c.reg != gan::Regularizer::None) t += " (λ " + fmt(c.effective_lambda(), "%g") + ")";
  // Paper 004's tips, so that a study's plain and tip arms are told apart.
  if (c.aux_regression()) t += " + aux";
  if (c.soft_sparsity) t += " + sparsity";
  if (c.label_tips()) t += " + labels";
  return t;
}

void write_json(const fs::path& p, const nlohmann::json& j) {
  write_file_atomic(p.string(), j.dump(1) + "\n");
}

// The run's metrics.jsonl, with the report's own final evaluation (ZDC) appended as the last test
// point when the periodic ones stop short of the last step (they run every eval_every steps; the
// final one goes to eval.json), so the curve ends where the tables are.
void copy_metrics(const RunReport& r, const fs::path& data) {
  const fs::path m = fs::path(r.dir) / "metrics.jsonl";
  if (!fs::exists(m)) return;
  std::ifstream in(m);
  std::string text, line;
  int64_t last_eval = -1;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    text += line + "\n";
    try {
      const nlohmann::json j = nlohmann::json::parse(line);
      if (j.contains("eval") && j.contains("step")) last_eval = j.at("step").get<int64_t>();
    } catch (const std::exception&) {
      // a line the plots will name; the report itself does not need it
    }
  }
  if (r.cfg.dataset == gan::Dataset::Zdc && last_eval >= 0 && last_eval < r.steps)
    text +=
        nlohmann::json{{"step", r.steps}, {"eval", r.zdc.to_json()}, {"final", true}}.dump() + "\n";
  write_file_atomic((data / "metrics.jsonl").string(), text);
}

// Evaluates a ZDC run (the final protocol with `seed`), generates kShowerRegenerations showers
// per test condition, runs the support test (one shower per condition against the test split)
// and writes what the pictures need into `data`.
void prepare_zdc(RunReport& r, const ReportOptions& o, const fs::path& data) {
  const std::string ckpt = (fs::path(r.dir) / "checkpoint.safetensors").string();
  ZdcModel m = load_zdc_model(ckpt, o.device);
  r.steps = m.step;
  const ZdcTestSplit t = checkpoint_test_split(m.cfg);
  const ZdcData& d = t.data;
  r.zdc = gan::evaluate_zdc(*m.g, *d.test, final_eval_options(o.seed), d.train.get());
  const std::vector<double>& cond = t.conditions;
  const std::vector<double>& real = t.responses;
  const std::vector<double> gen = generate_counts(m, cond, kShowerRegenerations, 256, o.seed);
  data::write_zdc_showers((data / "real.npz").string(), real, cond, "<f4");
  data::write_zdc_showers((data / "generated.npz").string(), gen,
                          tile_rows(cond, kShowerRegenerations), "<f4");
  gan::SupportOptions so;
  so.seed = o.seed;
  const std::vector<double> first(gen.begin(),
                                  gen.begin() + static_cast<std::ptrdiff_t>(real.size()));
  // A pool can be too small for the test (e.g. a barely trained generator whose showers are all
  // empty): the report says so in the table instead of failing.
  try {
    r.support = gan::estimate_support(real, first, so);
    nlohmann::json sj = r.support.to_json();
    sj["real_source"] = "test split of " + d.source;
    sj["generated_source"] = "one shower per test condition";
    write_json(data / "support.json", sj);
  } catch (const Error& e) {
    r.support_error = e.what();
  }
  nlohmann::json groups = nlohmann::json::array();
  for (const auto& g : r.zdc.div_detail)
    groups.push_back({{"real", g.real},
                      {"generated", g.generated},
                      {"energy", g.attributes.at(0)},
                      {"charge", g.attributes.at(8)}});
  write_json(data / "diversity.json",
             {{"diversity_error", std::isnan(r.zdc.diversity_error)
                                      ? nlohmann::json()
                                      : nlohmann::json(r.zdc.diversity_error)},
              {"groups", groups}});
}

void prepare_2d(RunReport& r, const ReportOptions& o, const fs::path& data) {
  const std::string ckpt = (fs::path(r.dir) / "checkpoint.safetensors").string();
  r.eval2d = evaluate_checkpoint_2d(ckpt, o.seed);
  r.steps = r.eval2d.steps;
  const Points2DPair p = checkpoint_points_2d(ckpt, kPoints2DPerCondition, o.seed);
  auto ints = [](const std::vector<int>& v) { return std::vector<double>(v.begin(), v.end()); };
  const auto n = static_cast<int64_t>(p.real.size());
  data::write_npz((data / "points.npz").string(),
                  {{"real", {n, 2}, p.real.xy, "<f8"},
                   {"real_label", {n}, ints(p.real.cls), "<f8"},
                   {"real_spread", {n}, ints(p.real.spread), "<f8"},
                   {"generated", {n, 2}, p.generated, "<f8"},
                   {"generated_label", {n}, ints(p.real.cls), "<f8"},
                   {"generated_spread", {n}, ints(p.real.spread), "<f8"}});
}

// ---- pictures (tools/plots/divgan_plots.py) ----------------------------------------------------

std::string plots_script() {
  if (const char* s = std::getenv("DIVGAN_PLOTS"); s && *s) return s;
#ifdef DG_SOURCE_DIR
  return std::string(DG_SOURCE_DIR) + "/tools/plots/divgan_plots.py";
#else
  return "tools/plots/divgan_plots.py";
#endif
}

// Runs argv (PATH searched), stdout and stderr appended to `log`; the exit status, or -1 when it
// could not start.
int run_logged(const std::vector<std::string>& argv, const std::string& log) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A Python 3 that imports numpy and matplotlib, or "" (why in *reason).
std::string find_python(const std::string& log, std::string* reason) {
  std::vector<std::string> candidates;
  if (const char* p = std::getenv("DIVGAN_PYTHON"); p && *p) candidates.push_back(p);
  candidates.insert(candidates.end(), {"python3", "/usr/bin/python3"});
  for (const std::string& py : candidates)
    if (run_logged({py, "-c", "import numpy, matplotlib"}, log) == 0) return py;
  *reason =
      "no Python 3 with numpy and matplotlib was found (tried DIVGAN_PYTHON, python3, "
      "/usr/bin/python3; tools/setup.sh installs python3-matplotlib)";
  return {};
}

std::string last_line(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return last;
}

struct PictureSpec {
  const char* file;
  const char* caption;
  bool wide;
};

// Wide figures first, then the two square ones side by side.
const PictureSpec kZdcPictures[] = {
    {"channels.png",
     "Channel sums, real test split vs generated (log y; generated weighted per regeneration). "
     "As in Figure 2 of the SDI-GAN and DivBal-GAN papers.",
     true},
    {"showers.png",
     "Showers of test particles (neutral and charged): real repeats beside generated ones, one "
     "log color scale per row. As in their Figure 1.",
     true},
    {"curves.png", "Training: losses and the periodic test evaluation over steps.", true},
    {"diversity.png",
     "Selective diversity: per test group, real f_div against generated f_div (the diagonal is "
     "a perfect match).",
     false},
    {"support.png",
     "Support size: P(a duplicate among s showers) for real and generated showers (as in "
     "Jaruskova and Vallecorsa 2020, Figure 3).",
     false},
};
const PictureSpec k2DPictures[] = {
    {"points.png", "Generated points over the real test points, per class and spread.", true},
    {"curves.png", "Training: losses and the periodic evaluation over steps.", true},
};
const PictureSpec kComparePictures[] = {
    {"support_compare.png", "Support-size curves of every run (generated) and of the real data.",
     false},
    {"curves_compare.png", "Test mean channel Wasserstein distance over training, every run.",
     false},
};

// Draws the pictures of every run; returns "" or why some or all are missing.
std::string draw_pictures(std::vector<RunReport>& runs, const fs::path& root) {
  const std::string log = (root / "data" / "plots.log").string();
  std::string reason;
  const std::string py = find_python(log, &reason);
  if (py.empty()) return reason;
  const std::string script = plots_script();
  if (!fs::exists(script)) return "the plotting script " + script + " is missing";
  std::vector<std::string> compare = {py, script, "compare", (root / "img").string()};
  std::string failed;
  for (RunReport& r : runs) {
    const bool zdc = r.cfg.dataset == gan::Dataset::Zdc;
    const fs::path data = root / "data" / r.name, img = root / "img" / r.name;
    const int rc = run_logged({py, script, zdc ? "zdc" : "2d", data.string(), img.string()}, log);
    if (rc != 0) {
      // The evaluations and tables stand without this run's pictures; the page says why.
      failed += (failed.empty() ? "" : "; ") + std::string("those of ") + r.name +
                " could not be drawn (" + last_line(log) + ")";
      continue;
    }
    for (const PictureSpec& p :
         zdc ? std::vector<PictureSpec>(std::begin(kZdcPictures), std::end(kZdcPictures))
             : std::vector<PictureSpec>(std::begin(k2DPictures), std::end(k2DPictures)))
      if (fs::exists(img / p.file))
        r.pictures.push_back({"img/" + r.name + "/" + p.file, p.caption, p.wide});
    if (zdc) compare.push_back(data.string());
  }
  if (compare.size() > 5 && run_logged(compare, log) != 0)  // at least two ZDC runs
    failed += (failed.empty() ? "" : "; ") + std::string("the comparison could not be drawn (") +
              last_line(log) + ")";
  if (!failed.empty()) failed += "; the log is data/plots.log";
  return failed;
}

void write_page(const std::vector<RunReport>& runs, const ReportOptions& o,
                const std::string& no_pictures, const fs::path& root) {
  Page p;
  p.heading(1, o.title);
  p.paragraph("Written by " + version_line() + " on " + local_time_iso() + ".");
  if (!o.notes.empty()) p.markdown_block(o.notes);
  if (!no_pictures.empty()) p.paragraph("Pictures missing: " + no_pictures + ".");

  Table cfg{{"run", "folder", "data", "model", "regularizer", "steps", "batch", "seed", "split"},
            {}};
  for (const RunReport& r : runs) {
    const bool zdc = r.cfg.dataset == gan::Dataset::Zdc;
    cfg.rows.push_back({r.name, r.dir, zdc ? "ZDC" : "2D benchmark",
                        zdc ? gan::generator_arch_name(r.cfg.generator) : "MLP", r.title,
                        std::to_string(r.steps), std::to_string(r.cfg.batch),
                        std::to_string(r.cfg.seed), zdc ? gan::split_kind_name(r.cfg.split) : "-"});
  }
  p.heading(2, "Runs");
  p.table(cfg);

  std::vector<const RunReport*> zdc, two;
  for (const RunReport& r : runs) (r.cfg.dataset == gan::Dataset::Zdc ? zdc : two).push_back(&r);
  if (!zdc.empty()) {
    p.heading(2, "ZDC: channel Wasserstein distances and diversity");
    p.paragraph(
        "Test split, final protocol (5 regenerations, 200 diversity groups of 10 generations, "
        "evaluation seed " +
        std::to_string(o.seed) +
        "). Channel WS in photons, lower is better; occupancy WS: between the real and "
        "generated distributions of the fraction of fibres with at least one photon; the "
        "diversity error is the mean |generated - real| normalized f_div over the groups; empty "
        "= total count below 0.5 (generated: mean per regeneration), also as a fraction per "
        "species.");
    Table t{{"run", "ch1 WS", "ch2 WS", "ch3 WS", "ch4 WS", "ch5 WS", "mean WS", "occupancy WS",
             "diversity error", "empty real / gen", "empty neutral real / gen",
             "empty charged real / gen", "non-finite"},
            {}};
    for (const RunReport* r : zdc) {
      std::vector<std::string> row{r->name};
      for (double w : r->zdc.ws) row.push_back(fmt(w));
      row.push_back(fmt(r->zdc.ws_mean));
      row.push_back(fmt(r->zdc.occupancy_ws, "%.4f"));
      row.push_back(fmt(r->zdc.diversity_error, "%.4f"));
      row.push_back(std::to_string(r->zdc.empty_real) + " / " +
                    fmt(r->zdc.empty_generated, "%.1f"));
      for (int sp = 0; sp < 2; ++sp)
        row.push_back(fmt(100 * r->zdc.empty_fraction_real[sp], "%.1f%%") + " / " +
                      fmt(100 * r->zdc.empty_fraction_generated[sp], "%.1f%%"));
      row.push_back(std::to_string(r->zdc.nonfinite_generated));
      t.rows.push_back(row);
    }
    p.table(t);

    p.heading(2, "ZDC: support size (birthday paradox)");
    const gan::SupportResult& s0 = zdc.front()->support;
    std::string crit;
    for (const std::string& c : s0.options.criteria()) crit += (crit.empty() ? "" : ", ") + c;
    p.paragraph(
        "Duplicates: every one of " + crit + " below the real test split's " +
        fmt(s0.options.alpha, "%g") + "-quantile; P(duplicate) over " +
        std::to_string(s0.options.trials) +
        " random subsets per size; s½ = the smallest size with P ≥ 0.5, support ≈ s½² "
        "(for N equally likely showers s½² ≈ 1.39 N). Generated: one shower per test "
        "condition, so both sides have the same conditions. Compare the two columns: a ratio "
        "well below 1 means the generator covers fewer distinct showers than the data; at a "
        "short training budget that is expected. Empty showers are left out (counted).");
    Table t2{{"run", "real pool (empty)", "real s½", "real support", "generated pool (empty)",
              "generated s½", "generated support", "ratio gen / real"},
             {}};
    auto support_cell = [](const gan::SupportPool& sp) {
      return sp.s_half > 0 ? fmt(sp.support(), "%.0f") : "> " + fmt(sp.support_at_least(), "%.0f");
    };
    for (const RunReport* r : zdc) {
      if (!r->support_error.empty()) {
        t2.rows.push_back(
            {r->name, "-", "-", "-", "-", "-", "-", "not measured: " + r->support_error});
        continue;
      }
      const gan::SupportResult& s = r->support;
      t2.rows.push_back(
          {r->name, std::to_string(s.real.pool) + " (" + std::to_string(s.real.empty) + ")",
           s.real.s_half > 0 ? std::to_string(s.real.s_half) : "-", support_cell(s.real),
           std::to_string(s.generated.pool) + " (" + std::to_string(s.generated.empty) + ")",
           s.generated.s_half > 0 ? std::to_string(s.generated.s_half) : "-",
           support_cell(s.generated), fmt(s.ratio(), "%.3g")});
    }
    p.table(t2);
  }
  if (!two.empty()) {
    p.heading(2, "2D benchmark: variance and Wasserstein per spread");
    Table t{{"run", "variance spread 0", "variance spread 1", "real variance 0 / 1",
             "Wasserstein spread 0", "Wasserstein spread 1"},
            {}};
    for (const RunReport* r : two) {
      const gan::Eval2D& e = r->eval2d.test;
      t.rows.push_back({r->name, fmt(e.variance[0], "%.3f"), fmt(e.variance[1], "%.3f"),
                        fmt(e.real_variance[0], "%.3f") + " / " + fmt(e.real_variance[1], "%.3f"),
                        fmt(e.wasserstein[0], "%.3f"), fmt(e.wasserstein[1], "%.3f")});
    }
    p.table(t);
  }
  std::vector<Picture> compare;
  for (const PictureSpec& s : kComparePictures)
    if (fs::exists(root / "img" / s.file))
      compare.push_back({std::string("img/") + s.file, s.caption, s.wide});
  if (!compare.empty()) {
    p.heading(2, "All runs");
    p.pictures(compare);
  }
  for (const RunReport& r : runs) {
    if (r.pictures.empty()) continue;
    p.heading(2, r.name + ": " + r.title);
    p.pictures(r.pictures);
  }
  p.paragraph("The data behind every picture is in data/<run>/ (npz and JSON).");

  write_file_atomic((root / "report.md").string(), p.md);
  write_file_atomic((root / "report.html").string(), p.html_document(o.title));
}

// Unique, file-name-safe names: each folder's path below the folders' common parent, '/' turned
// into '_' ("none", "divbal" for runs/quickstart/{none,divbal}; "sdi_lambda_1_seed_1" in a study).
std::vector<std::string> run_names(const std::vector<std::string>& dirs) {
  auto safe = [](std::string s) {
    for (char& c : s)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
    return s;
  };
  std::vector<fs::path> paths;
  for (const std::string& d : dirs) paths.push_back(fs::absolute(d).lexically_normal());
  for (fs::path& p : paths)
    if (!p.has_filename()) p = p.parent_path();  // "dir/" -> "dir"
  fs::path common = paths.size() > 1 ? paths[0].parent_path() : fs::path();
  // Up until every folder lies strictly below it (a folder given with its own parent included).
  for (const fs::path& p : paths)
    while (!common.empty() && (p.lexically_relative(common).string().rfind("..", 0) == 0 ||
                               p.lexically_relative(common) == "."))
      common = common == common.parent_path() ? fs::path() : common.parent_path();
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const fs::path& p : paths) {
    std::string rel =
        common.empty() ? p.filename().string() : p.lexically_relative(common).string();
    std::replace(rel.begin(), rel.end(), '/', '_');
    const std::string base = safe(rel.empty() ? std::string("run") : rel);
    std::string n = base;
    for (int i = 2; seen.count(n); ++i) n = base + "_" + std::to_string(i);
    seen.insert(n);
    names.push_back(n);
  }
  return names;
}

// Removes the temporary folder unless the report was moved into place.
struct TempDir {
  fs::path path;
  bool keep = false;
  ~TempDir() {
    std::error_code ec;
    if (!keep) fs::remove_all(path, ec);
  }
};

}  // namespace

std::string write_report(const ReportOptions& o) {
  DG_CHECK(!o.runs.empty(), "report: no run folders given");
  DG_CHECK(!o.out.empty(), "report: no output folder given (--out)");
  fs::path out = fs::path(o.out).lexically_normal();
  if (!out.has_filename()) out = out.parent_path();  // "DIR/"
  DG_CHECK(!out.empty() && out.filename() != "." && out.filename() != "..",
           o.out << ": expected a folder name for the report (e.g. runs/report)");
  if (fs::exists(out))
    DG_CHECK(fs::is_directory(out) && (fs::is_empty(out) || fs::exists(out / "report.html")),
             o.out << ": exists and is not a report folder; expected a new folder or an earlier "
                      "report (which is replaced)");
  // Every run is checked before any work: a missing checkpoint is found in a second, not after
  // the other runs' evaluations.
  std::vector<RunReport> runs;
  const std::vector<std::string> names = run_names(o.runs);
  for (size_t k = 0; k < o.runs.size(); ++k) {
    RunReport r;
    r.dir = o.runs[k];
    r.name = names[k];
    const fs::path ckpt = fs::path(r.dir) / "checkpoint.safetensors";
    DG_CHECK(fs::is_directory(r.dir),
             r.dir << ": not a folder; expected a run folder written by divgan train");
    DG_CHECK(fs::exists(ckpt), ckpt.string() << ": missing; expected a run folder written by "
                                                "divgan train (with its checkpoint)");
    r.cfg = gan::read_checkpoint_config(ckpt.string());
    r.title = run_title(r.cfg);
    runs.push_back(std::move(r));
  }
  const fs::path parent = out.has_parent_path() ? out.parent_path() : fs::path(".");
  fs::create_directories(parent);
  TempDir tmp{parent / (out.filename().string() + ".tmp-" + std::to_string(::getpid()))};
  fs::remove_all(tmp.path);
  fs::create_directories(tmp.path / "data");
  for (size_t k = 0; k < runs.size(); ++k) {
    RunReport& r = runs[k];
    if (o.progress)
      std::fprintf(stderr, "report: [%zu/%zu] %s (%s)\n", k + 1, runs.size(), r.dir.c_str(),
                   r.title.c_str());
    const fs::path data = tmp.path / "data" / r.name;
    fs::create_directories(data);
    if (r.cfg.dataset == gan::Dataset::Zdc)
      prepare_zdc(r, o, data);
    else
      prepare_2d(r, o, data);
    copy_metrics(r, data);
    write_json(data / "run.json",
               {{"name", r.name}, {"title", r.title}, {"steps", r.steps}, {"folder", r.dir}});
  }
  std::string no_pictures = "not asked for (--no-pictures)";
  if (o.pictures) {
    if (o.progress) std::fprintf(stderr, "report: drawing the pictures\n");
    no_pictures = draw_pictures(runs, tmp.path);
  }
  write_page(runs, o, no_pictures, tmp.path);
  if (!no_pictures.empty() && o.pictures)
    std::fprintf(stderr, "divgan: warning: report pictures missing: %s\n", no_pictures.c_str());
  // Into place: an earlier report is moved aside, the new one moved in, then the old one removed;
  // at no moment is there neither.
  if (fs::exists(out)) {
    const fs::path old = parent / (out.filename().string() + ".old-" + std::to_string(::getpid()));
    fs::remove_all(old);
    fs::rename(out, old);
    try {
      fs::rename(tmp.path, out);
    } catch (...) {
      fs::rename(old, out);
      throw;
    }
    tmp.keep = true;
    std::error_code ec;
    fs::remove_all(old, ec);
  } else {
    fs::rename(tmp.path, out);
    tmp.keep = true;
  }
  return (out / "report.html").string();
}

}  // namespace dg::tools
