// Loading, validation, split, standardization and batches of ZDC data (see zdc_dataset.h).
#include "datasets/zdc_dataset.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "base/error.h"
#include "datasets/hdf5_io.h"
#include "datasets/npy.h"
#include "datasets/npz.h"

namespace dg::data {

namespace {

std::string shape_str(const Shape& s) {
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  os << (s.size() == 1 ? ",)" : ")");
  return os.str();
}

std::string lower_ext(const std::string& path) {
  std::string e = std::filesystem::path(path).extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return e;
}

bool is_h5(const std::string& ext) { return ext == ".h5" || ext == ".hdf5"; }

// The array and the name errors should use for it ("'arr_0'" for npz, "array" for npy, the
// dataset name for HDF5, where `h5_name` is the dataset docs/design.md#zdc-data-files fixes).
NpyArray read_array(const std::string& path, const char* h5_name, std::string* field) {
  DG_CHECK(std::filesystem::exists(path), path << ": file not found (expected a .npz with key "
                                                  "'arr_0', a .npy, or an HDF5 file with dataset '"
                                               << h5_name << "')");
  const std::string ext = lower_ext(path);
  if (ext == ".npz") {
    const auto keys = npz_keys(path);
    // A file from `divgan generate` holds the showers (arr_0) and their conditions (particles).
    if (std::string(h5_name) == "particles" &&
        std::find(keys.begin(), keys.end(), "particles") != keys.end()) {
      *field = "'particles'";
      return read_npz(path, "particles");
    }
    *field = "'arr_0'";
    DG_CHECK(std::find(keys.begin(), keys.end(), "arr_0") != keys.end(),
             path << ": no member 'arr_0' (found " << keys.size()
                  << " member(s)); expected the array saved by np.savez");
    return read_npz(path, "arr_0");
  }
  if (is_h5(ext)) {
    *field = std::string("dataset '") + h5_name + "'";
    return read_h5_dataset(path, h5_name);
  }
  DG_CHECK(ext == ".npy",
           path << ": unsupported extension '" << ext << "'; expected .npz, .npy, .h5 or .hdf5");
  *field = "array";
  return read_npy(path);
}

// Checks a particles array (N, 9) or (N, 10) and returns its first 9 columns.
std::vector<double> particle_columns(NpyArray& p, const std::string& path,
                                     const std::string& field) {
  DG_CHECK(p.shape.size() == 2 && (p.shape[1] == 9 || p.shape[1] == 10),
           path << ": " << field << " has shape " << shape_str(p.shape)
                << "; expected (N, 9) or (N, 10) (Energy, Vx, Vy, Vz, Px, Py, Pz, mass, charge[, "
                   "PDG id])");
  const int64_t n = p.shape[0], cols = p.shape[1];
  DG_CHECK(n > 0, path << ": " << field << " has no rows (shape " << shape_str(p.shape)
                       << "); expected N > 0");
  std::vector<double> out;
  if (cols == kZdcCondDim) {
    out = std::move(p.data);
  } else {
    // The trailing PDG id identifies the species, which mass and charge already encode.
    out.resize(n * kZdcCondDim);
    for (int64_t i = 0; i < n; ++i)
      std::copy_n(p.data.begin() + i * cols, kZdcCondDim, out.begin() + i * kZdcCondDim);
  }
  for (int64_t i = 0; i < n * kZdcCondDim; ++i)
    DG_CHECK(std::isfinite(out[i]), path << ": " << field << " has a non-finite value (" << out[i]
                                         << ") at index (" << i / kZdcCondDim << ", "
                                         << i % kZdcCondDim << "); expected finite attributes");
  return out;
}

}  // namespace

void check_counts(const std::vector<double>& counts, const std::string& where) {
  for (size_t i = 0; i < counts.size(); ++i) {
    const double v = counts[i];
    if (std::isfinite(v) && v >= 0) continue;
    const int64_t k = static_cast<int64_t>(i);
    DG_FAIL(where << " has " << (std::isfinite(v) ? "a negative count" : "a non-finite value")
                  << " (" << v << ") at index (" << k / kZdcPixels << ", "
                  << (k % kZdcPixels) / kZdcSide << ", " << k % kZdcSide
                  << "); expected finite photon counts >= 0");
  }
}

void validate_zdc(const ZdcRaw& raw, const std::string& origin) {
  DG_CHECK(raw.n > 0, origin << ": no samples; expected N > 0");
  DG_CHECK(static_cast<int64_t>(raw.responses.size()) == raw.n * kZdcPixels,
           origin << ": responses hold " << raw.responses.size()
                  << " values; expected N*44*44 = " << raw.n * kZdcPixels);
  DG_CHECK(static_cast<int64_t>(raw.particles.size()) == raw.n * kZdcCondDim,
           origin << ": particles hold " << raw.particles.size()
                  << " values; expected N*9 = " << raw.n * kZdcCondDim);
  check_counts(raw.responses, origin + ": responses");
  for (int64_t i = 0; i < raw.n * kZdcCondDim; ++i)
    DG_CHECK(std::isfinite(raw.particles[i]), origin << ": particles has a non-finite value ("
                                                     << raw.particles[i] << ") at index ("
                                                     << i / kZdcCondDim << ", " << i % kZdcCondDim
                                                     << "); expected finite attributes");
}

ZdcRaw load_zdc(const std::string& responses_path, const std::string& particles_path) {
  std::string rf, pf;
  NpyArray r = read_array(responses_path, "responses", &rf);
  DG_CHECK(r.shape.size() == 3 && r.shape[1] == kZdcSide && r.shape[2] == kZdcSide,
           responses_path << ": " << rf << " has shape " << shape_str(r.shape)
                          << "; expected (N, 44, 44) photon counts");
  const int64_t n = r.shape[0];
  DG_CHECK(n > 0, responses_path << ": " << rf << " has no samples (shape " << shape_str(r.shape)
                                 << "); expected N > 0");
  NpyArray p = read_array(particles_path, "particles", &pf);
  DG_CHECK(p.shape.size() != 2 || p.shape[0] == n,
           particles_path << ": " << pf << " has " << p.shape[0] << " rows but " << responses_path
                          << " has " << n << " responses; expected equal N");
  ZdcRaw raw;
  raw.n = n;
  raw.particles = particle_columns(p, particles_path, pf);
  raw.responses = std::move(r.data);
  check_counts(raw.responses, responses_path + ": " + rf);
  return raw;
}

NpyArray read_zdc_array_unchecked(const std::string& path, const char* h5_name) {
  std::string field;
  return read_array(path, h5_name, &field);
}

std::vector<double> read_zdc_showers_unchecked(const std::string& path, const char* what,
                                               int64_t* rows) {
  NpyArray a = read_zdc_array_unchecked(path, "responses");
  DG_CHECK(
      a.shape.size() == 3 && a.shape[1] == kZdcSide && a.shape[2] == kZdcSide && a.shape[0] > 0,
      path << ": " << what << " have shape " << shape_str(a.shape)
           << "; expected (N, 44, 44) photon counts, N > 0");
  if (rows) *rows = a.shape[0];
  return std::move(a.data);
}

std::vector<double> load_zdc_particles(const std::string& path) {
  std::string field;
  NpyArray p = read_array(path, "particles", &field);
  return particle_columns(p, path, field);
}

void write_zdc_array(const std::string& path, const std::vector<double>& data, const Shape& shape,
                     const std::string& dtype, const char* h5_name) {
  DG_CHECK(dtype == "<f4" || dtype == "<f8",
           path << ": dtype '" << dtype << "' unsupported; expected <f4 or <f8");
  const std::string ext = lower_ext(path);
  if (ext == ".npz") {
    write_npz(path, {NpzMember{"arr_0", shape, data, dtype}});
  } else if (ext == ".npy") {
    write_npy(path, data, shape, dtype);
  } else if (is_h5(ext)) {
    write_h5(path, {{h5_name, NpyArray{dtype, shape, data}}});
  } else {
    DG_FAIL(path << ": unsupported extension '" << ext << "'; expected .npz, .npy, .h5 or .hdf5");
  }
}

std::string particles_sibling(const std::string& npy_path) {
  std::filesystem::path p(npy_path);
  return (p.parent_path() / (p.stem().string() + ".particles.npy")).string();
}

std::vector<std::string> write_zdc_showers(const std::string& path,
                                           const std::vector<double>& counts,
                                           const std::vector<double>& particles,
                                           const std::string& dtype) {
  const int64_t n = static_cast<int64_t>(particles.size()) / kZdcCondDim;
  DG_ASSERT(static_cast<int64_t>(counts.size()) == n * kZdcPixels &&
                static_cast<int64_t>(particles.size()) == n * kZdcCondDim,
            "write_zdc_showers: " << counts.size() << " counts for " << particles.size()
                                  << " attribute values");
  DG_CHECK(dtype == "<f4" || dtype == "<f8",
           path << ": dtype '" << dtype << "' unsupported; expected <f4 or <f8");
  const Shape img{n, kZdcSide, kZdcSide}, cond{n, kZdcCondDim};
  const std::string ext = lower_ext(path);
  // Attributes stay float64 whatever the showers' dtype: they are the exact raw inputs.
  if (ext == ".npz") {
    write_npz(path, {NpzMember{"arr_0", img, counts, dtype},
                     NpzMember{"particles", cond, particles, "<f8"}});
    return {path};
  }
  if (is_h5(ext)) {
    write_h5(path, {{"responses", NpyArray{dtype, img, counts}},
                    {"particles", NpyArray{"<f8", cond, particles}}});
    return {path};
  }
  DG_CHECK(ext == ".npy",
           path << ": unsupported extension '" << ext << "'; expected .npz, .npy, .h5 or .hdf5");
  // A stale sibling of an earlier output must never pass for these showers' conditions.
  const std::string sib = particles_sibling(path);
  std::error_code ec;
  std::filesystem::remove(sib, ec);
  write_npy(path, counts, img, dtype);
  write_npy(sib, particles, cond, "<f8");
  return {path, sib};
}

std::vector<double> find_zdc_particles(const std::string& path) {
  const std::string ext = lower_ext(path);
  if (ext == ".npz") {
    const auto keys = npz_keys(path);
    if (std::find(keys.begin(), keys.end(), "particles") == keys.end()) return {};
    return load_zdc_particles(path);
  }
  if (is_h5(ext)) {
    const auto names = list_h5_datasets(path);
    if (std::find(names.begin(), names.end(), "particles") == names.end()) return {};
    return load_zdc_particles(path);
  }
  if (ext == ".npy" && std::filesystem::exists(particles_sibling(path)))
    return load_zdc_particles(particles_sibling(path));
  return {};
}

ZdcSplit split_80_20(int64_t n, uint64_t seed) {
  DG_CHECK(n > 0, "split_80_20: n = " << n << "; expected n > 0");
  Philox rng(seed);
  std::vector<int64_t> perm = rng.permutation(n);
  const int64_t n_test = n / 5;
  ZdcSplit s;
  s.test.assign(perm.begin(), perm.begin() + n_test);
  s.train.assign(perm.begin() + n_test, perm.end());
  // Ascending order keeps memory access sequential; membership is what the seed decides.
  std::sort(s.train.begin(), s.train.end());
  std::sort(s.test.begin(), s.test.end());
  return s;
}

namespace {

// Groups of identical particle rows among `rows`, each listing positions into `rows`.
std::vector<std::vector<int64_t>> particle_groups(const std::vector<double>& particles,
                                                  const std::vector<int64_t>& rows) {
  std::vector<double> cond;
  cond.reserve(rows.size() * kZdcCondDim);
  for (int64_t r : rows)
    cond.insert(cond.end(), particles.begin() + r * kZdcCondDim,
                particles.begin() + (r + 1) * kZdcCondDim);
  return group_by_condition(cond, static_cast<int64_t>(rows.size()), kZdcCondDim, {}, 0).members;
}

// Whole groups, in the order of `perm`, into `first` until it holds at least `want` rows (at
// least one group); the rest into `second`. Both ascending.
ZdcSplit take_groups(const std::vector<std::vector<int64_t>>& groups,
                     const std::vector<int64_t>& perm, const std::vector<int64_t>& rows,
                     int64_t want) {
  ZdcSplit s;  // test: first, train: second
  for (int64_t g : perm) {
    const bool first = static_cast<int64_t>(s.test.size()) < want || s.test.empty();
    for (int64_t i : groups[g]) (first ? s.test : s.train).push_back(rows[i]);
  }
  std::sort(s.train.begin(), s.train.end());
  std::sort(s.test.begin(), s.test.end());
  return s;
}

}  // namespace

ZdcSplit split_by_particle(const std::vector<double>& particles, int64_t n, uint64_t seed) {
  DG_CHECK(n > 0, "split_by_particle: n = " << n << "; expected n > 0");
  DG_ASSERT(static_cast<int64_t>(particles.size()) == n * kZdcCondDim,
            "split_by_particle: particles hold " << particles.size() << " values for n = " << n);
  std::vector<int64_t> rows(n);
  for (int64_t i = 0; i < n; ++i) rows[i] = i;
  const auto groups = particle_groups(particles, rows);
  // A stream of its own: the row split's permutation must not be this one's prefix.
  const auto perm = Philox(seed, 6ULL << 48).permutation(static_cast<int64_t>(groups.size()));
  return take_groups(groups, perm, rows, n / 5);
}

std::pair<std::vector<int64_t>, std::vector<int64_t>> halve_rows(
    const std::vector<double>& particles, const std::vector<int64_t>& rows, uint64_t seed,
    bool by_particle) {
  const int64_t n = static_cast<int64_t>(rows.size());
  if (!by_particle) {
    const std::vector<int64_t> perm = Philox(seed, 5ULL << 48).permutation(n);
    ZdcSplit s;
    for (int64_t i = 0; i < n; ++i) (i < n / 2 ? s.test : s.train).push_back(rows[perm[i]]);
    std::sort(s.train.begin(), s.train.end());
    std::sort(s.test.begin(), s.test.end());
    return {s.test, s.train};
  }
  const auto groups = particle_groups(particles, rows);
  const auto perm = Philox(seed, 5ULL << 48).permutation(static_cast<int64_t>(groups.size()));
  const ZdcSplit s = take_groups(groups, perm, rows, n / 2);
  return {s.test, s.train};
}

void Standardizer::fit(const std::vector<double>& particles, const std::vector<int64_t>& rows) {
  DG_CHECK(!rows.empty(), "Standardizer::fit: no rows; expected the training split");
  const int64_t n = static_cast<int64_t>(particles.size()) / kZdcCondDim;
  DG_CHECK(static_cast<int64_t>(particles.size()) == n * kZdcCondDim,
           "Standardizer::fit: particles hold " << particles.size()
                                                << " values; expected a multiple of 9");
  for (int64_t j = 0; j < kZdcCondDim; ++j) {
    double m = 0;
    for (int64_t i : rows) {
      DG_CHECK(i >= 0 && i < n, "Standardizer::fit: row " << i << " out of range [0, " << n << ")");
      m += particles[i * kZdcCondDim + j];
    }
    m /= static_cast<double>(rows.size());
    double v = 0;
    for (int64_t i : rows)
      v += (particles[i * kZdcCondDim + j] - m) * (particles[i * kZdcCondDim + j] - m);
    const double sd = std::sqrt(v / static_cast<double>(rows.size()));
    lo[j] = hi[j] = particles[rows[0] * kZdcCondDim + j];
    for (int64_t i : rows) {
      lo[j] = std::min(lo[j], particles[i * kZdcCondDim + j]);
      hi[j] = std::max(hi[j], particles[i * kZdcCondDim + j]);
    }
    has_range = true;
    mean[j] = m;
    // A constant column (e.g. a single species in the training rows) is only centred.
    scale[j] = sd > 0 ? sd : 1.0;
  }
}

void Standardizer::apply_row(const double* in, double* out) const {
  for (int64_t j = 0; j < kZdcCondDim; ++j) out[j] = (in[j] - mean[j]) / scale[j];
}

std::vector<double> Standardizer::apply(const std::vector<double>& particles) const {
  DG_CHECK(particles.size() % kZdcCondDim == 0,
           "Standardizer::apply: " << particles.size() << " values; expected rows of 9");
  std::vector<double> out(particles.size());
  for (size_t i = 0; i < particles.size(); i += kZdcCondDim) apply_row(&particles[i], &out[i]);
  return out;
}

Standardizer::OutOfRange Standardizer::out_of_range(const std::vector<double>& particles,
                                                    double margin) const {
  OutOfRange r;
  if (!has_range) return r;
  for (size_t i = 0; i + kZdcCondDim <= particles.size(); i += kZdcCondDim) {
    bool outside = false;
    for (int64_t j = 0; j < kZdcCondDim; ++j) {
      const double pad = margin * (hi[j] - lo[j]), v = particles[i + j];
      if (v < lo[j] - pad || v > hi[j] + pad) {
        ++r.per_attribute[j];
        outside = true;
      }
    }
    r.rows += outside;
  }
  return r;
}

nlohmann::json Standardizer::to_json() const {
  nlohmann::json j = {{"mean", std::vector<double>(mean.begin(), mean.end())},
                      {"scale", std::vector<double>(scale.begin(), scale.end())}};
  if (has_range) {
    j["min"] = std::vector<double>(lo.begin(), lo.end());
    j["max"] = std::vector<double>(hi.begin(), hi.end());
  }
  return j;
}

Standardizer Standardizer::from_json(const nlohmann::json& j) {
  Standardizer s;
  // min/max were added later: a checkpoint without them has no range to check conditions against.
  s.has_range = j.is_object() && j.contains("min");
  for (const char* key : {"mean", "scale", "min", "max"}) {
    const std::string k_str = key;
    if ((k_str == "min" || k_str == "max") && !s.has_range) continue;
    DG_CHECK(j.is_object() && j.contains(key) && j[key].is_array() && j[key].size() == kZdcCondDim,
             "standardizer: '" << key << "' missing or not an array of 9 numbers");
    std::array<double, kZdcCondDim>& dst = k_str == "mean"    ? s.mean
                                           : k_str == "scale" ? s.scale
                                           : k_str == "min"   ? s.lo
                                                              : s.hi;
    for (int64_t k = 0; k < kZdcCondDim; ++k) {
      const auto& v = j[key][k];
      DG_CHECK(v.is_number() && std::isfinite(v.get<double>()),
               "standardizer: '" << key << "'[" << k << "] is not a finite number");
      dst[k] = v.get<double>();
    }
  }
  for (int64_t k = 0; k < kZdcCondDim; ++k)
    DG_CHECK(s.scale[k] > 0,
             "standardizer: 'scale'[" << k << "] = " << s.scale[k] << "; expected > 0");
  return s;
}

ZdcDataset::ZdcDataset(const ZdcRaw& raw, const std::vector<int64_t>& rows, const Standardizer& st)
    : rows_(rows), st_(st) {
  DG_CHECK(!rows.empty(), "ZdcDataset: no rows; expected the indices of a non-empty split");
  DG_CHECK(static_cast<int64_t>(raw.responses.size()) == raw.n * kZdcPixels &&
               static_cast<int64_t>(raw.particles.size()) == raw.n * kZdcCondDim,
           "ZdcDataset: raw data sizes do not match n = " << raw.n);
  const int64_t n = size();
  samples_.x = Tensor::empty({n, 1, kZdcSide, kZdcSide});
  samples_.c = Tensor::empty({n, kZdcCondDim});
  samples_.fdiv = Tensor::empty({n});
  float* log_images = samples_.x.data<float>();
  float* cond = samples_.c.data<float>();
  counts_.resize(n * kZdcPixels);
  raw_cond_.resize(n * kZdcCondDim);
  std::vector<double> log_d(n * kZdcPixels);  // double copy only for the group statistics
  for (int64_t r = 0; r < n; ++r) {
    const int64_t i = rows[r];
    DG_CHECK(i >= 0 && i < raw.n, "ZdcDataset: row " << i << " out of range [0, " << raw.n << ")");
    for (int64_t p = 0; p < kZdcPixels; ++p) {
      const double v = raw.responses[i * kZdcPixels + p];
      log_d[r * kZdcPixels + p] = std::log1p(v);
      log_images[r * kZdcPixels + p] = static_cast<float>(log_d[r * kZdcPixels + p]);
      counts_[r * kZdcPixels + p] = static_cast<float>(v);
    }
    std::copy_n(raw.particles.begin() + i * kZdcCondDim, kZdcCondDim,
                raw_cond_.begin() + r * kZdcCondDim);
    double z[kZdcCondDim];
    st_.apply_row(&raw_cond_[r * kZdcCondDim], z);
    for (int64_t j = 0; j < kZdcCondDim; ++j) cond[r * kZdcCondDim + j] = static_cast<float>(z[j]);
  }
  // Identity of particles is exact equality of the raw attributes; standardization could merge or
  // split rows through rounding, so groups never look at the standardized values.
  groups_ = group_by_condition(raw_cond_, n, kZdcCondDim, log_d, kZdcPixels);
  float* f = samples_.fdiv.data<float>();
  for (int64_t i = 0; i < n; ++i) f[i] = static_cast<float>(groups_.fdiv[groups_.group_of[i]]);
}

void ZdcDataset::check_index(int64_t i, const char* who) const {
  DG_CHECK(i >= 0 && i < size(),
           "ZdcDataset::" << who << ": index " << i << " out of range [0, " << size() << ")");
}

Batch ZdcDataset::all_samples() const { return samples_; }

std::vector<double> ZdcDataset::raw_responses(const std::vector<int64_t>& idx) const {
  std::vector<double> out(idx.size() * kZdcPixels);
  for (size_t r = 0; r < idx.size(); ++r) {
    check_index(idx[r], "raw_responses");
    std::copy_n(counts_.begin() + idx[r] * kZdcPixels, kZdcPixels, out.begin() + r * kZdcPixels);
  }
  return out;
}

std::vector<double> ZdcDataset::raw_conditions(const std::vector<int64_t>& idx) const {
  std::vector<double> out(idx.size() * kZdcCondDim);
  for (size_t r = 0; r < idx.size(); ++r) {
    check_index(idx[r], "raw_conditions");
    std::copy_n(raw_cond_.begin() + idx[r] * kZdcCondDim, kZdcCondDim,
                out.begin() + r * kZdcCondDim);
  }
  return out;
}

Tensor ZdcDataset::conditions(const std::vector<int64_t>& idx) const {
  Tensor t = Tensor::empty({static_cast<int64_t>(idx.size()), kZdcCondDim});
  float* c = t.data<float>();
  for (size_t r = 0; r < idx.size(); ++r) {
    check_index(idx[r], "conditions");
    std::copy_n(samples_.c.data<float>() + idx[r] * kZdcCondDim, kZdcCondDim, c + r * kZdcCondDim);
  }
  return t;
}

}  // namespace dg::data
