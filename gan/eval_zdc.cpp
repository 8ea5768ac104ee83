// ZDC evaluation: channel Wasserstein distances and the diversity error (see eval_zdc.h).
#include "gan/eval_zdc.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <tuple>
#include <utility>

#include "base/error.h"
#include "engine/autograd.h"
#include "gan/metrics.h"
#include "gan/zdc_channels.h"

namespace dg::gan {

namespace {

constexpr int64_t kPixels = kZdcSide * kZdcSide;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Channel values and occupancies of the finite images of one set (the real split or one
// regeneration), with empty counts overall and per species when the charges are known.
struct ChannelSamples {
  std::array<std::vector<double>, 5> v;
  std::vector<double> occupancy;  // fraction of fibres with >= 0.5 photons, per finite image
  int64_t empty = 0, nonfinite = 0;
  // [0] neutral, [1] charged: finite images and empty ones among them.
  std::array<int64_t, 2> species{}, species_empty{};

  // (m, 44, 44) photon counts; `charge` (m) the raw charge of each row, or null.
  void add(const double* counts, int64_t m, const double* charge = nullptr) {
    for (int64_t i = 0; i < m; ++i) {
      const double* im = counts + i * kPixels;
      const ZdcChannels ch = zdc_channels(im);
      // Pixels are checked as well: +inf and -inf pixels could cancel into a finite-looking sum.
      bool finite = std::all_of(ch.begin(), ch.end(), [](double x) { return std::isfinite(x); });
      for (int64_t p = 0; finite && p < kPixels; ++p) finite = std::isfinite(im[p]);
      if (!finite) {
        ++nonfinite;
        continue;
      }
      double total = 0;
      for (double x : ch) total += x;
      const bool is_empty = total < 0.5;
      empty += is_empty;
      if (charge) {
        const int sp = charge[i] != 0 ? 1 : 0;
        ++species[sp];
        species_empty[sp] += is_empty;
      }
      int64_t lit = 0;
      for (int64_t p = 0; p < kPixels; ++p) lit += im[p] >= 0.5;
      occupancy.push_back(static_cast<double>(lit) / static_cast<double>(kPixels));
      for (int k = 0; k < 5; ++k) v[k].push_back(ch[k]);
    }
  }
};

double mean_of(const std::vector<double>& v) {
  if (v.empty()) return kNaN;
  double m = 0;
  for (double x : v) m += x;
  return m / static_cast<double>(v.size());
}

// Mean and population std of one figure over the regenerations.
std::pair<double, double> mean_std(const std::vector<double>& per) {
  const double r = static_cast<double>(per.size());
  double m = 0, s = 0;
  for (double x : per) m += x;
  m /= r;
  for (double x : per) s += (x - m) * (x - m);
  return {m, std::sqrt(s / r)};
}

ZdcEval summarize(const ChannelSamples& real, const std::vector<ChannelSamples>& gen) {
  DG_CHECK(real.nonfinite == 0,
           "zdc eval: " << real.nonfinite << " real image(s) hold non-finite counts");
  ZdcEval e;
  e.n_test = static_cast<int64_t>(real.v[0].size());
  e.regenerations = static_cast<int64_t>(gen.size());
  e.empty_real = real.empty;
  const double r = static_cast<double>(gen.size());
  for (int k = 0; k < 5; ++k) {
    std::vector<double> per(gen.size());
    for (size_t j = 0; j < gen.size(); ++j)
      per[j] = gen[j].v[k].empty() ? kNaN : wasserstein_1d(real.v[k], gen[j].v[k]);
    std::tie(e.ws[k], e.ws_std[k]) = mean_std(per);
    e.ws_mean += e.ws[k] / 5.0;
  }
  std::vector<double> occ_ws(gen.size()), occ_mean(gen.size());
  for (size_t j = 0; j < gen.size(); ++j) {
    occ_ws[j] = gen[j].occupancy.empty() ? kNaN : wasserstein_1d(real.occupancy, gen[j].occupancy);
    occ_mean[j] = mean_of(gen[j].occupancy);
  }
  std::tie(e.occupancy_ws, e.occupancy_ws_std) = mean_std(occ_ws);
  e.occupancy_real = mean_of(real.occupancy);
  e.occupancy_generated = mean_std(occ_mean).first;
  for (int sp = 0; sp < 2; ++sp) {
    // NaN where the species has no (finite) shower, or the charges are unknown.
    auto frac = [sp](const ChannelSamples& c) {
      return c.species[sp] > 0
                 ? static_cast<double>(c.species_empty[sp]) / static_cast<double>(c.species[sp])
                 : kNaN;
    };
    e.empty_fraction_real[sp] = frac(real);
    std::vector<double> per(gen.size());
    for (size_t j = 0; j < gen.size(); ++j) per[j] = frac(gen[j]);
    e.empty_fraction_generated[sp] = mean_std(per).first;
  }
  for (const auto& g : gen) {
    e.empty_generated += static_cast<double>(g.empty) / r;
    e.nonfinite_generated += g.nonfinite;
  }
  return e;
}

std::vector<double> log1p_all(std::vector<double> counts) {
  for (double& v : counts) v = std::log1p(v);
  return counts;
}

// Generated log1p images (B, 1936) on the host for the conditions c (B, 9) on the host.
std::vector<double> generate_logs(ConditionalGenerator& g, Device dev, Philox& rng,
                                  const Tensor& c) {
  const int64_t b = c.size(0);
  Tensor z = rng.normal({b, g.latent_dim()});
  Tensor x = g.generate(z.to(dev), c.to(dev)).to(Device::CPU);
  DG_CHECK(x.numel() == b * kPixels, "evaluate_zdc: the generator returned shape "
                                         << shape_str(x.shape()) << " for " << b
                                         << " conditions; expected (" << b << ", 1, 44, 44)");
  return x.to_vector();
}

std::vector<int64_t> iota(int64_t lo, int64_t hi) {
  std::vector<int64_t> v;
  for (int64_t i = lo; i < hi; ++i) v.push_back(i);
  return v;
}

// The test groups the diversity error uses (see eval_zdc.h), ascending; empty when the training
// split has no spread to normalize by.
std::vector<int64_t> diversity_groups(const data::ZdcDataset& test, const data::ZdcDataset& train,
                                      const ZdcEvalOptions& opt,
                                      const std::map<std::vector<double>, int64_t>& train_group) {
  const data::Groups& tg = test.groups();
  const data::Groups& trg = train.groups();
  if (trg.max_diversity <= 0) return {};  // no training group has any spread: f_div is undefined
  std::vector<int64_t> chosen;
  for (size_t k = 0; k < tg.members.size(); ++k) {
    auto it = train_group.find(test.raw_conditions({tg.members[k][0]}));
    const size_t in_train = it == train_group.end() ? 0 : trg.members[it->second].size();
    if (tg.members[k].size() + in_train >= 2) chosen.push_back(static_cast<int64_t>(k));
  }
  if (static_cast<int64_t>(chosen.size()) > opt.max_div_groups) {
    // A counter far beyond anything the latents use gives a stream independent of them.
    Philox sel(opt.seed, uint64_t{1} << 62);
    const auto perm = sel.permutation(static_cast<int64_t>(chosen.size()));
    std::vector<int64_t> pick;
    for (int64_t i = 0; i < opt.max_div_groups; ++i) pick.push_back(chosen[perm[i]]);
    std::sort(pick.begin(), pick.end());
    chosen = std::move(pick);
  }
  return chosen;
}

// raw attributes -> training group.
std::map<std::vector<double>, int64_t> group_index(const data::ZdcDataset& train) {
  std::map<std::vector<double>, int64_t> index;
  const data::Groups& trg = train.groups();
  for (size_t k = 0; k < trg.members.size(); ++k)
    index.emplace(train.raw_conditions({trg.members[k][0]}), k);
  return index;
}

// Fills diversity_error, div_groups and div_nonfinite (see eval_zdc.h for the definition) from the
// groups `chosen`; `step` reports each generator call's rows.
void diversity(ConditionalGenerator& g, Device dev, const data::ZdcDataset& test,
               const data::ZdcDataset& train, const ZdcEvalOptions& opt, Philox& rng,
               const std::vector<int64_t>& chosen,
               const std::map<std::vector<double>, int64_t>& train_group,
               const std::function<void(int64_t)>& step, ZdcEval& e) {
  const data::Groups& tg = test.groups();
  const data::Groups& trg = train.groups();
  const double norm = trg.max_diversity;
  auto train_members = [&](int64_t k) -> std::vector<int64_t> {
    auto it = train_group.find(test.raw_conditions({tg.members[k][0]}));
    return it == train_group.end() ? std::vector<int64_t>{} : trg.members[it->second];
  };
  if (chosen.empty()) return;

  // All generations at once, in batches: row j*G + t is generation t of chosen group j.
  const int64_t gens = opt.div_generations, rows = static_cast<int64_t>(chosen.size()) * gens;
  std::vector<int64_t> first(rows);
  for (int64_t r = 0; r < rows; ++r) first[r] = tg.members[chosen[r / gens]][0];
  std::vector<double> logs;
  logs.reserve(rows * kPixels);
  for (int64_t s = 0; s < rows; s += opt.batch) {
    std::vector<int64_t> idx(first.begin() + s, first.begin() + std::min(rows, s + opt.batch));
    const auto x = generate_logs(g, dev, rng, test.conditions(idx));
    logs.insert(logs.end(), x.begin(), x.end());
    step(static_cast<int64_t>(idx.size()));
  }

  double err = 0;
  for (size_t j = 0; j < chosen.size(); ++j) {
    std::vector<double> fin;
    int64_t m = 0;
    for (int64_t t = 0; t < gens; ++t) {
      const auto im = logs.begin() + (j * gens + t) * kPixels;
      if (!std::all_of(im, im + kPixels, [](double v) { return std::isfinite(v); })) {
        ++e.div_nonfinite;
        continue;
      }
      fin.insert(fin.end(), im, im + kPixels);
      ++m;
    }
    if (m < 2) continue;
    auto real = log1p_all(test.raw_responses(tg.members[chosen[j]]));
    const auto more = log1p_all(train.raw_responses(train_members(chosen[j])));
    real.insert(real.end(), more.begin(), more.end());
    const double f_real =
        group_diversity(real, static_cast<int64_t>(real.size()) / kPixels, kPixels) / norm;
    const double f_gen = group_diversity(fin, m, kPixels) / norm;
    err += std::abs(f_gen - f_real);
    ++e.div_groups;
    e.div_detail.push_back({test.raw_conditions({tg.members[chosen[j]][0]}), f_real, f_gen});
  }
  if (e.div_groups > 0) e.diversity_error = err / static_cast<double>(e.div_groups);
}

}  // namespace

ZdcEval evaluate_zdc(ConditionalGenerator& g, const data::ZdcDataset& test,
                     const ZdcEvalOptions& opt, const data::ZdcDataset* train) {
  DG_CHECK(opt.regenerations >= 1,
           "evaluate_zdc: regenerations = " << opt.regenerations << "; expected >= 1");
  DG_CHECK(opt.batch >= 1, "evaluate_zdc: batch = " << opt.batch << "; expected >= 1");
  DG_CHECK(opt.max_div_groups >= 0,
           "evaluate_zdc: max_div_groups = " << opt.max_div_groups << "; expected >= 0");
  const int64_t n = test.size();
  NoGradGuard ng;
  nn::EvalModeGuard em(g);
  const Device dev = g.device();
  Philox rng(opt.seed);

  const bool with_div = train && opt.div_generations >= 2 && opt.max_div_groups > 0;
  std::map<std::vector<double>, int64_t> train_group;
  std::vector<int64_t> chosen;
  if (with_div) {
    train_group = group_index(*train);
    chosen = diversity_groups(test, *train, opt, train_group);
  }
  const int64_t total =
      opt.regenerations * n + static_cast<int64_t>(chosen.size()) * opt.div_generations;
  int64_t done = 0;
  auto step = [&](int64_t rows) {
    done += rows;
    if (opt.progress) opt.progress(done, total);
  };

  ChannelSamples real;
  std::vector<ChannelSamples> gen(opt.regenerations);
  // The raw charge of every test row: empty fractions per species.
  std::vector<double> charge(static_cast<size_t>(n));
  {
    const std::vector<double> raw = test.raw_conditions(iota(0, n));
    for (int64_t i = 0; i < n; ++i) charge[i] = raw[i * data::kZdcCondDim + 8];
  }
  for (int64_t s = 0; s < n; s += opt.batch) {
    const auto counts = test.raw_responses(iota(s, std::min(n, s + opt.batch)));
    real.add(counts.data(), static_cast<int64_t>(counts.size()) / kPixels, &charge[s]);
  }
  for (auto& reg : gen)
    for (int64_t s = 0; s < n; s += opt.batch) {
      const auto idx = iota(s, std::min(n, s + opt.batch));
      auto x = generate_logs(g, dev, rng, test.conditions(idx));
      for (double& v : x) v = std::expm1(v);
      reg.add(x.data(), static_cast<int64_t>(idx.size()), &charge[s]);
      step(static_cast<int64_t>(idx.size()));
    }
  ZdcEval e = summarize(real, gen);
  if (!chosen.empty()) diversity(g, dev, test, *train, opt, rng, chosen, train_group, step, e);
  return e;
}

ZdcEval evaluate_zdc_counts(const std::vector<double>& real, const std::vector<double>& generated,
                            int64_t n, int64_t regenerations) {
  DG_CHECK(n >= 1 && regenerations >= 1,
           "evaluate_zdc_counts: n = " << n << ", regenerations = " << regenerations
                                       << "; expected both >= 1");
  DG_CHECK(static_cast<int64_t>(real.size()) == n * kPixels,
           "evaluate_zdc_counts: real holds " << real.size()
                                              << " values; expected n*44*44 = " << n * kPixels);
  DG_CHECK(static_cast<int64_t>(generated.size()) == regenerations * n * kPixels,
           "evaluate_zdc_counts: generated holds "
               << generated.size()
               << " values; expected regenerations*n*44*44 = " << regenerations * n * kPixels);
  ChannelSamples r;
  r.add(real.data(), n);
  std::vector<ChannelSamples> gen(regenerations);
  for (int64_t j = 0; j < regenerations; ++j) gen[j].add(generated.data() + j * n * kPixels, n);
  return summarize(r, gen);
}

nlohmann::json ZdcEval::to_json() const {
  auto num = [](double x) { return std::isnan(x) ? nlohmann::json(nullptr) : nlohmann::json(x); };
  nlohmann::json w = nlohmann::json::array(), s = nlohmann::json::array();
  for (int k = 0; k < 5; ++k) {
    w.push_back(num(ws[k]));
    s.push_back(num(ws_std[k]));
  }
  return {
      {"ws", w},
      {"ws_std", s},
      {"ws_mean", num(ws_mean)},
      {"diversity_error", num(diversity_error)},
      {"div_groups", div_groups},
      {"div_nonfinite", div_nonfinite},
      {"n_test", n_test},
      {"regenerations", regenerations},
      {"empty_real", empty_real},
      {"empty_generated", empty_generated},
      {"empty_fraction",
       {{"neutral",
         {{"real", num(empty_fraction_real[0])}, {"generated", num(empty_fraction_generated[0])}}},
        {"charged",
         {{"real", num(empty_fraction_real[1])},
          {"generated", num(empty_fraction_generated[1])}}}}},
      {"occupancy_ws", num(occupancy_ws)},
      {"occupancy_ws_std", num(occupancy_ws_std)},
      {"occupancy_real", num(occupancy_real)},
      {"occupancy_generated", num(occupancy_generated)},
      {"nonfinite_generated", nonfinite_generated}};
}

std::string zdc_eval_markdown(const std::vector<std::pair<std::string, ZdcEval>>& rows) {
  std::string s =
      "| Model | ch1 WS | ch2 WS | ch3 WS | ch4 WS | ch5 WS | Mean WS | Occupancy WS | Diversity "
      "error | Empty (real / gen) | Non-finite |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|\n";
  char buf[128];
  auto cell = [&](double x, const char* fmt, const char* missing) {
    if (std::isnan(x)) return std::string(missing);
    std::snprintf(buf, sizeof buf, fmt, x);
    return std::string(buf);
  };
  for (const auto& [name, r] : rows) {
    std::string line = "| ";
    for (char ch : name)
      line += ch == '|' ? std::string("\\|") : std::string(1, ch);  // keep the columns intact
    for (double w : r.ws) line += " | " + cell(w, "%.2f", "NaN");
    line += " | " + cell(r.ws_mean, "%.2f", "NaN") + " | " + cell(r.occupancy_ws, "%.4f", "NaN") +
            " | " + cell(r.diversity_error, "%.4f", "-");
    std::snprintf(buf, sizeof buf, " | %lld / %.1f | %lld |\n",
                  static_cast<long long>(r.empty_real), r.empty_generated,
                  static_cast<long long>(r.nonfinite_generated));
    s += line + buf;
  }
  return s;
}

}  // namespace dg::gan
