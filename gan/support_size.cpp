// Support size by the birthday paradox; definitions in support_size.h and
// docs/design.md#support-size.
#include "gan/support_size.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <limits>
#include <mutex>
#include <sstream>
#include <thread>

#include "base/error.h"
#include "datasets/zdc_layout.h"
#include "engine/ops.h"
#include "engine/rng.h"

namespace dg::gan {

namespace {

constexpr int64_t kSide = data::kZdcSide;
constexpr int64_t kPixels = data::kZdcPixels;
// Philox streams (offset bits 60..63) of the four random choices, so none is a prefix of another.
constexpr uint64_t kRealSubsetStream = 1, kGeneratedSubsetStream = 2, kRealTrialsStream = 3,
                   kGeneratedTrialsStream = 4;

double nan() { return std::numeric_limits<double>::quiet_NaN(); }

int thread_count(int requested) {
  if (requested > 0) return requested;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

// sum over k of p_k log p_k, 0 log 0 = 0.
double sum_p_log_p(const double* p) {
  double s = 0;
  for (int64_t k = 0; k < kSide; ++k)
    if (p[k] > 0) s += p[k] * std::log(p[k]);
  return s;
}

// JS(p, q) = 0.5 (sum p log p + sum q log q) - sum m log m, m = (p + q) / 2: one log per bin
// rather than two. Rounding can leave a tiny negative value for near-identical profiles; JS is
// never negative.
double js_divergence(const double* p, const double* q, double hp, double hq) {
  double mlm = 0;
  for (int64_t k = 0; k < kSide; ++k) {
    const double m = 0.5 * (p[k] + q[k]);
    if (m > 0) mlm += m * std::log(m);
  }
  return std::max(0.0, 0.5 * (hp + hq) - mlm);
}

double ssim_of(const ShowerFeatures& f, int64_t i, int64_t j, double cov, double range) {
  const double c1 = (0.01 * range) * (0.01 * range), c2 = (0.03 * range) * (0.03 * range);
  const double mi = f.mean[i], mj = f.mean[j];
  return ((2 * mi * mj + c1) * (2 * cov + c2)) /
         ((mi * mi + mj * mj + c1) * (f.var[i] + f.var[j] + c2));
}

PairQuantities quantities(const ShowerFeatures& f, int64_t i, int64_t j) {
  PairQuantities q;
  q.js_x = js_divergence(&f.px[i * kSide], &f.px[j * kSide], f.hx[i], f.hx[j]);
  q.js_y = js_divergence(&f.py[i * kSide], &f.py[j * kSide], f.hy[i], f.hy[j]);
  q.total = std::abs(f.total[i] - f.total[j]);
  return q;
}

// Calls fn(thread, i, j, quantities) once for every pair i < j of the pool, from `threads`
// threads (fn must be safe for that; pairs of one row block come from one thread, in order). Rows
// are taken in blocks from a shared counter, so the uneven triangle balances itself. With ssim,
// each block's covariances come from one matrix product against the whole pool.
template <class Fn>
void for_each_pair(const ShowerFeatures& f, const SupportOptions& o, const std::string& stage,
                   Fn&& fn) {
  const int64_t n = f.n;
  constexpr int64_t kBlock = 32;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  Tensor centered_t;  // (1936, n): the pool's centred images, transposed for the products
  if (o.ssim) {
    centered_t = Tensor::empty({kPixels, n}, DType::F64);
    double* t = centered_t.data<double>();
    for (int64_t i = 0; i < n; ++i)
      for (int64_t k = 0; k < kPixels; ++k) t[k * n + i] = f.centered[i * kPixels + k];
  }
  std::atomic<int64_t> next{0};
  int64_t done = 0;  // under progress_mutex
  std::mutex progress_mutex;
  std::exception_ptr failure;
  auto work = [&](int thread) {
    try {
      for (int64_t b = next++; b < blocks; b = next++) {
        const int64_t i0 = b * kBlock, i1 = std::min(n, i0 + kBlock);
        Tensor cov;
        if (o.ssim) {
          Tensor rows = Tensor::from_vector(std::vector<double>(f.centered.begin() + i0 * kPixels,
                                                                f.centered.begin() + i1 * kPixels),
                                            {i1 - i0, kPixels}, DType::F64);
          cov = matmul(rows, centered_t);  // (i1 - i0, n) dot products
        }
        for (int64_t i = i0; i < i1; ++i) {
          const double* c = o.ssim ? cov.data<double>() + (i - i0) * n : nullptr;
          for (int64_t j = i + 1; j < n; ++j) {
            PairQuantities q = quantities(f, i, j);
            if (c) q.ssim = ssim_of(f, i, j, c[j] / kPixels, o.ssim_range);
            fn(thread, i, j, q);
          }
        }
        if (o.progress) {
          // Counted under the lock, so the callback sees 1, 2, ..., blocks in order.
          std::lock_guard<std::mutex> lock(progress_mutex);
          o.progress(stage, ++done, blocks);
        }
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(progress_mutex);
      if (!failure) failure = std::current_exception();
      next = blocks;
    }
  };
  const int threads = static_cast<int>(std::min<int64_t>(thread_count(o.threads), blocks));
  std::vector<std::thread> pool;
  try {
    for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
  } catch (...) {  // a thread could not start: the started ones still finish the work
  }
  work(0);
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

// Index of pair (i, j), i < j, in row-major upper-triangle order.
int64_t pair_index(int64_t n, int64_t i, int64_t j) {
  return i * n - i * (i + 1) / 2 + (j - i - 1);
}

DuplicateGraph graph_from_edges(int64_t n,
                                std::vector<std::vector<std::pair<int32_t, int32_t>>>& edges) {
  DuplicateGraph g;
  g.adjacent.assign(static_cast<size_t>(n), {});
  for (auto& list : edges)
    for (const auto& [i, j] : list) {
      g.adjacent[i].push_back(j);
      g.adjacent[j].push_back(i);
      ++g.pairs;
    }
  for (auto& a : g.adjacent) std::sort(a.begin(), a.end());
  return g;
}

// The usable showers of `images` (finite, total >= 0.5), at most `max` of them chosen by a seeded
// permutation (in their file order), as features; counts what was left out.
ShowerFeatures choose_pool(const std::vector<double>& images, const SupportOptions& o,
                           uint64_t stream, SupportPool* p) {
  const int64_t n = static_cast<int64_t>(images.size()) / kPixels;
  p->showers = n;
  std::vector<int64_t> usable;
  for (int64_t i = 0; i < n; ++i) {
    const double* img = &images[i * kPixels];
    double total = 0;
    bool finite = true;
    for (int64_t k = 0; k < kPixels; ++k) {
      finite = finite && std::isfinite(img[k]);
      total += img[k];
    }
    if (!finite || !std::isfinite(total)) {
      ++p->nonfinite;
    } else if (total < 0.5) {
      ++p->empty;
    } else {
      usable.push_back(i);
    }
  }
  if (static_cast<int64_t>(usable.size()) > o.max_samples) {
    const std::vector<int64_t> perm =
        Philox(o.seed, stream << 60).permutation(static_cast<int64_t>(usable.size()));
    std::vector<int64_t> chosen(static_cast<size_t>(o.max_samples));
    for (int64_t k = 0; k < o.max_samples; ++k) chosen[k] = usable[perm[k]];
    std::sort(chosen.begin(), chosen.end());
    usable = std::move(chosen);
  }
  p->pool = static_cast<int64_t>(usable.size());
  std::vector<double> gathered(usable.size() * kPixels);
  for (size_t k = 0; k < usable.size(); ++k)
    std::copy_n(&images[usable[k] * kPixels], kPixels, &gathered[k * kPixels]);
  return shower_features(gathered.data(), p->pool, o.ssim);
}

// P(s) on the grid and s_half from the first-duplicate sizes.
void fill_curve(const std::vector<int64_t>& first, const std::vector<int64_t>& sizes,
                SupportPool* p) {
  std::vector<int64_t> sorted = first;
  std::sort(sorted.begin(), sorted.end());
  p->sizes = sizes;
  p->p_duplicate.clear();
  p->s_half = -1;
  for (int64_t s : sizes) {
    const auto hits = std::upper_bound(sorted.begin(), sorted.end(), s) - sorted.begin();
    const double prob = static_cast<double>(hits) / static_cast<double>(sorted.size());
    p->p_duplicate.push_back(prob);
    if (p->s_half < 0 && prob >= 0.5) p->s_half = s;
  }
}

std::string figure(double v) {
  if (std::isnan(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

}  // namespace

void SupportOptions::validate() const {
  DG_CHECK(alpha > 0 && alpha < 1, "support: alpha is " << alpha << "; expected 0 < alpha < 1");
  DG_CHECK(js_x || js_y || total || ssim,
           "support: no duplicate criterion enabled; expected at least one of js_x, js_y, total, "
           "ssim");
  DG_CHECK(ssim_range > 0 && std::isfinite(ssim_range),
           "support: the SSIM range L is " << ssim_range << "; expected a positive number");
  DG_CHECK(trials >= 1, "support: trials is " << trials << "; expected at least 1");
  DG_CHECK(max_samples >= 2, "support: max_samples is " << max_samples << "; expected at least 2");
  for (size_t k = 0; k < sizes.size(); ++k) {
    DG_CHECK(sizes[k] >= 2, "support: subset size " << sizes[k] << " in the grid; expected >= 2");
    DG_CHECK(k == 0 || sizes[k] > sizes[k - 1],
             "support: the grid of subset sizes is not increasing at " << sizes[k]);
  }
}

std::vector<std::string> SupportOptions::criteria() const {
  std::vector<std::string> c;
  if (js_x) c.push_back("js_x");
  if (js_y) c.push_back("js_y");
  if (total) c.push_back("total");
  if (ssim) c.push_back("ssim");
  return c;
}

ShowerFeatures shower_features(const double* images, int64_t n, bool with_ssim) {
  ShowerFeatures f;
  f.n = n;
  f.px.assign(n * kSide, 0.0);
  f.py.assign(n * kSide, 0.0);
  f.hx.resize(n);
  f.hy.resize(n);
  f.total.resize(n);
  if (with_ssim) {
    f.mean.resize(n);
    f.var.resize(n);
    f.centered.resize(n * kPixels);
  }
  for (int64_t i = 0; i < n; ++i) {
    const double* img = images + i * kPixels;
    double* px = &f.px[i * kSide];
    double* py = &f.py[i * kSide];
    double total = 0;
    for (int64_t a = 0; a < kSide; ++a)
      for (int64_t b = 0; b < kSide; ++b) {
        const double v = img[a * kSide + b];
        px[b] += v;
        py[a] += v;
        total += v;
      }
    DG_CHECK(std::isfinite(total) && total >= 0.5,
             "support: shower " << i << " has total " << total << "; expected finite and >= 0.5");
    for (int64_t k = 0; k < kSide; ++k) {
      px[k] /= total;
      py[k] /= total;
    }
    f.total[i] = total;
    f.hx[i] = sum_p_log_p(px);
    f.hy[i] = sum_p_log_p(py);
    if (with_ssim) {
      const double mean = total / kPixels;
      double var = 0;
      double* c = &f.centered[i * kPixels];
      for (int64_t k = 0; k < kPixels; ++k) {
        c[k] = img[k] - mean;
        var += c[k] * c[k];
      }
      f.mean[i] = mean;
      f.var[i] = var / kPixels;
    }
  }
  return f;
}

PairQuantities pair_quantities(const ShowerFeatures& f, int64_t i, int64_t j, bool with_ssim,
                               double ssim_range) {
  DG_CHECK(i >= 0 && i < f.n && j >= 0 && j < f.n,
           "support: pair (" << i << ", " << j << ") outside a pool of " << f.n);
  PairQuantities q = quantities(f, i, j);
  if (with_ssim) {
    DG_CHECK(!f.centered.empty(), "support: SSIM asked of features computed without it");
    double dot = 0;
    for (int64_t k = 0; k < kPixels; ++k)
      dot += f.centered[i * kPixels + k] * f.centered[j * kPixels + k];
    q.ssim = ssim_of(f, i, j, dot / kPixels, ssim_range);
  }
  return q;
}

bool is_duplicate(const PairQuantities& q, const SupportThresholds& t, const SupportOptions& o) {
  return (!o.js_x || q.js_x <= t.js_x) && (!o.js_y || q.js_y <= t.js_y) &&
         (!o.total || q.total <= t.total) && (!o.ssim || q.ssim >= t.ssim);
}

double quantile_linear(std::vector<double>& v, double q) {
  DG_CHECK(!v.empty(), "quantile of no values");
  // numpy: virtual index (n - 1) q, then its lerp between the two neighbouring order statistics,
  // computed from the nearer end as numpy's _lerp does.
  const double h = static_cast<double>(v.size() - 1) * q;
  const auto lo = static_cast<size_t>(std::floor(h));
  const double t = h - static_cast<double>(lo);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(lo), v.end());
  const double a = v[lo];
  if (lo + 1 >= v.size()) return a;
  const double b = *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(lo) + 1, v.end());
  const double diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

SupportThresholds support_thresholds(const ShowerFeatures& real, const SupportOptions& o,
                                     DuplicateGraph* graph) {
  const int64_t n = real.n;
  DG_CHECK(n >= 2, "support: " << n << " usable real showers; expected at least 2");
  const int64_t pairs = n * (n - 1) / 2;
  std::vector<double> jx(o.js_x ? pairs : 0), jy(o.js_y ? pairs : 0), tot(o.total ? pairs : 0),
      ss(o.ssim ? pairs : 0);
  for_each_pair(real, o, "real pairs", [&](int, int64_t i, int64_t j, const PairQuantities& q) {
    const int64_t k = pair_index(n, i, j);
    if (o.js_x) jx[k] = q.js_x;
    if (o.js_y) jy[k] = q.js_y;
    if (o.total) tot[k] = q.total;
    if (o.ssim) ss[k] = q.ssim;
  });
  SupportThresholds t;
  t.samples = n;
  t.pairs = pairs;
  // The quantile reorders a copy: the stored order is needed for the duplicates below.
  auto threshold = [](const std::vector<double>& v, double q) {
    std::vector<double> copy = v;
    return quantile_linear(copy, q);
  };
  if (o.js_x) t.js_x = threshold(jx, o.alpha);
  if (o.js_y) t.js_y = threshold(jy, o.alpha);
  if (o.total) t.total = threshold(tot, o.alpha);
  if (o.ssim) t.ssim = threshold(ss, 1 - o.alpha);
  if (graph) {
    std::vector<std::vector<std::pair<int32_t, int32_t>>> edges(1);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = i + 1; j < n; ++j) {
        const int64_t k = pair_index(n, i, j);
        PairQuantities q;
        if (o.js_x) q.js_x = jx[k];
        if (o.js_y) q.js_y = jy[k];
        if (o.total) q.total = tot[k];
        if (o.ssim) q.ssim = ss[k];
        if (is_duplicate(q, t, o))
          edges[0].emplace_back(static_cast<int32_t>(i), static_cast<int32_t>(j));
      }
    *graph = graph_from_edges(n, edges);
  }
  return t;
}

DuplicateGraph duplicate_graph(const ShowerFeatures& pool, const SupportThresholds& t,
                               const SupportOptions& o, const std::string& stage) {
  std::vector<std::vector<std::pair<int32_t, int32_t>>> edges(
      static_cast<size_t>(thread_count(o.threads)));
  for_each_pair(pool, o, stage, [&](int thread, int64_t i, int64_t j, const PairQuantities& q) {
    if (is_duplicate(q, t, o))
      edges[thread].emplace_back(static_cast<int32_t>(i), static_cast<int32_t>(j));
  });
  return graph_from_edges(pool.n, edges);
}

std::vector<int64_t> first_duplicate_sizes(const DuplicateGraph& g, int64_t trials, uint64_t seed) {
  const auto n = static_cast<int64_t>(g.adjacent.size());
  std::vector<int64_t> first(static_cast<size_t>(trials), n + 1);
  std::vector<int64_t> member(static_cast<size_t>(n), -1);  // the trial that last took it
  for (int64_t t = 0; t < trials; ++t) {
    // Trial t's own counter range: the permutation draws at most n/4 + 1 blocks.
    const std::vector<int64_t> perm = Philox(seed, static_cast<uint64_t>(t) << 32).permutation(n);
    for (int64_t k = 0; k < n && first[t] > n; ++k) {
      const int64_t x = perm[k];
      for (int32_t y : g.adjacent[x])
        if (member[y] == t) {
          first[t] = k + 1;
          break;
        }
      member[x] = t;
    }
  }
  return first;
}

double SupportPool::support() const {
  return s_half > 0 ? static_cast<double>(s_half) * static_cast<double>(s_half) : nan();
}

double SupportPool::support_at_least() const {
  if (s_half > 0) return support();
  return sizes.empty() ? nan()
                       : static_cast<double>(sizes.back()) * static_cast<double>(sizes.back());
}

nlohmann::json SupportPool::to_json() const {
  nlohmann::json j = {{"showers", showers},
                      {"empty", empty},
                      {"nonfinite", nonfinite},
                      {"pool", pool},
                      {"duplicate_pairs", duplicate_pairs},
                      {"sizes", sizes},
                      {"p_duplicate", p_duplicate}};
  if (s_half > 0) {
    j["s_half"] = s_half;
    j["support"] = support();
  } else {
    j["s_half"] = nullptr;
    j["support"] = nullptr;
    j["support_at_least"] = support_at_least();
  }
  return j;
}

double SupportResult::ratio() const { return generated.support() / real.support(); }

nlohmann::json SupportResult::to_json() const {
  const double r = ratio();
  return {{"options",
           {{"criteria", options.criteria()},
            {"alpha", options.alpha},
            {"ssim_range", options.ssim_range},
            {"max_samples", options.max_samples},
            {"trials", options.trials},
            {"seed", options.seed}}},
          {"thresholds",
           {{"js_x", options.js_x ? nlohmann::json(thresholds.js_x) : nlohmann::json()},
            {"js_y", options.js_y ? nlohmann::json(thresholds.js_y) : nlohmann::json()},
            {"total", options.total ? nlohmann::json(thresholds.total) : nlohmann::json()},
            {"ssim", options.ssim ? nlohmann::json(thresholds.ssim) : nlohmann::json()},
            {"from_real_showers", thresholds.samples},
            {"pairs", thresholds.pairs}}},
          {"real", real.to_json()},
          {"generated", generated.to_json()},
          {"ratio", std::isnan(r) ? nlohmann::json() : nlohmann::json(r)}};
}

std::string SupportResult::markdown() const {
  std::ostringstream s;
  s << "Duplicates: ";
  const char* sep = "";
  if (options.js_x) s << sep << "JS(x-profile) <= " << figure(thresholds.js_x), sep = ", ";
  if (options.js_y) s << sep << "JS(y-profile) <= " << figure(thresholds.js_y), sep = ", ";
  if (options.total) s << sep << "|total difference| <= " << figure(thresholds.total), sep = ", ";
  if (options.ssim)
    s << sep << "SSIM >= " << figure(thresholds.ssim) << " (L = " << options.ssim_range << ")";
  s << "; thresholds at alpha = " << options.alpha << " over " << thresholds.pairs << " pairs of "
    << thresholds.samples << " real showers; " << options.trials << " random subsets per size.\n\n";
  s << "| | showers | empty | non-finite | pool | duplicate pairs | s_half | support ~ s_half^2 "
       "|\n";
  s << "|---|---|---|---|---|---|---|---|\n";
  for (const auto& [name, p] :
       {std::pair<const char*, const SupportPool&>{"real", real}, {"generated", generated}}) {
    s << "| " << name << " | " << p.showers << " | " << p.empty << " | " << p.nonfinite << " | "
      << p.pool << " | " << p.duplicate_pairs << " | ";
    if (p.s_half > 0)
      s << p.s_half << " | " << figure(p.support()) << " |\n";
    else
      s << "> " << (p.sizes.empty() ? 0 : p.sizes.back()) << " | > " << figure(p.support_at_least())
        << " |\n";
  }
  const double r = ratio();
  if (!std::isnan(r))
    s << "\nsupport ratio generated / real: " << figure(r) << "\n";
  else
    s << "\nsupport ratio generated / real: not defined (a pool's P(duplicate) stays below 0.5 on "
         "the grid: its support is only bounded below)\n";
  return s.str();
}

SupportResult estimate_support(const std::vector<double>& real,
                               const std::vector<double>& generated, const SupportOptions& o) {
  o.validate();
  SupportResult r;
  r.options = o;
  r.options.progress = nullptr;
  const ShowerFeatures fr = choose_pool(real, o, kRealSubsetStream, &r.real);
  const ShowerFeatures fg = choose_pool(generated, o, kGeneratedSubsetStream, &r.generated);
  for (const auto& [name, p] :
       {std::pair<const char*, const SupportPool&>{"real", r.real}, {"generated", r.generated}}) {
    DG_CHECK(p.pool >= 2, "support: the " << name << " showers hold " << p.pool
                                          << " usable showers (" << p.showers << " in all, "
                                          << p.empty << " empty, " << p.nonfinite
                                          << " non-finite); expected at least 2");
    DG_CHECK(o.sizes.empty() || o.sizes.back() <= p.pool,
             "support: the grid of subset sizes goes up to "
                 << o.sizes.back() << " but the " << name << " pool holds only " << p.pool
                 << " usable showers (" << p.showers << " in all, " << p.empty << " empty, "
                 << p.nonfinite << " non-finite); expected sizes up to " << p.pool);
  }
  DuplicateGraph gr;
  r.thresholds = support_thresholds(fr, o, &gr);
  const DuplicateGraph gg = duplicate_graph(fg, r.thresholds, o, "generated pairs");
  r.real.duplicate_pairs = gr.pairs;
  r.generated.duplicate_pairs = gg.pairs;
  auto grid = [&](int64_t pool) {
    if (!o.sizes.empty()) return o.sizes;
    std::vector<int64_t> all;
    for (int64_t s = 2; s <= pool; ++s) all.push_back(s);
    return all;
  };
  fill_curve(first_duplicate_sizes(gr, o.trials, o.seed ^ (kRealTrialsStream << 60)),
             grid(r.real.pool), &r.real);
  fill_curve(first_duplicate_sizes(gg, o.trials, o.seed ^ (kGeneratedTrialsStream << 60)),
             grid(r.generated.pool), &r.generated);
  return r;
}

}  // namespace dg::gan
