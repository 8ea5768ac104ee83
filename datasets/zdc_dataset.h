// ZDC data as the GAN sees it (docs/design.md#data): the responses/particles files, the seeded
// 80/20 split, condition standardization fitted on the training rows, and a ConditionalDataset
// over one split with log1p images, groups of identical particles and their f_div.
#pragma once
#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "datasets/conditional.h"
#include "datasets/npy.h"
#include "datasets/zdc_layout.h"

namespace dg::data {

struct ZdcRaw {
  int64_t n = 0;
  std::vector<double> responses;  // (n, 44, 44) photon counts
  std::vector<double> particles;  // (n, 9) raw attributes
};

// Reads .npz (key "arr_0"; a particles .npz with a member "particles", as `divgan generate` writes,
// is read from that member), .npy, or HDF5 (.h5/.hdf5: datasets "responses" and "particles", which
// may be the same file), chosen by extension; particles may carry a trailing PDG id column, which
// is dropped. Every inconsistency is a dg::Error naming the file and the field.
ZdcRaw load_zdc(const std::string& responses_path, const std::string& particles_path);
// One array of a ZDC file (.npz key "arr_0", .npy, or HDF5 dataset `h5_name`) with no shape or
// value checks: for generated showers, which may legitimately hold inf/NaN to be counted.
NpyArray read_zdc_array_unchecked(const std::string& path, const char* h5_name);
// Showers (N, 44, 44), N > 0, read that way (dataset "responses"): inf/NaN are kept for the caller
// to count; another shape is a dg::Error naming the file and `what` they are ("showers").
std::vector<double> read_zdc_showers_unchecked(const std::string& path, const char* what,
                                               int64_t* rows = nullptr);
// A conditions file alone (same formats and checks): raw attributes (N, 9).
std::vector<double> load_zdc_particles(const std::string& path);
// Writes an array in the format the extension names: .npz (key "arr_0"), .npy, or HDF5 with the
// dataset `h5_name`; dtype "<f4" or "<f8". Atomic: a failure never leaves a partial file.
void write_zdc_array(const std::string& path, const std::vector<double>& data, const Shape& shape,
                     const std::string& dtype, const char* h5_name);
// Showers (n, 44, 44) with their raw attributes (n, 9), row by row, as one output: .npz members
// arr_0 and particles, HDF5 datasets responses and particles (such a file is itself a valid pair
// of ZDC data files), or .npy beside <stem>.particles.npy. Attributes are stored float64, showers
// in `dtype` ("<f4"/"<f8"). Each file atomic. Returns the files written.
std::vector<std::string> write_zdc_showers(const std::string& path,
                                           const std::vector<double>& counts,
                                           const std::vector<double>& particles,
                                           const std::string& dtype);
// "dir/x.npy" -> "dir/x.particles.npy": where a .npy output keeps its attributes.
std::string particles_sibling(const std::string& npy_path);
// The attributes (n, 9) stored with showers or responses at `path` (npz member / HDF5 dataset
// "particles", or the .npy's sibling), checked as load_zdc_particles does; empty when it has none.
std::vector<double> find_zdc_particles(const std::string& path);
// Throws, naming `where` (e.g. "file: 'arr_0'") and the (image, row, column) index, at the first
// of (N, 44, 44) photon counts that is negative or not finite.
void check_counts(const std::vector<double>& counts, const std::string& where);
// The same checks for data already in memory (e.g. from the simulator); `origin` prefixes errors.
void validate_zdc(const ZdcRaw& raw, const std::string& origin);

struct ZdcSplit {
  std::vector<int64_t> train, test;  // ascending row indices
};
// Membership decided by a seeded Philox permutation; the test split gets floor(n / 5) rows.
ZdcSplit split_80_20(int64_t n, uint64_t seed);
// By particle: the repeats of one particle (rows with identical raw attributes, (n, 9)) go to the
// same side. Groups are taken in a seeded Philox order into the test split until it holds at
// least floor(n / 5) rows (at least one group), so it may hold a few more; every test particle is
// then unseen in training.
ZdcSplit split_by_particle(const std::vector<double>& particles, int64_t n, uint64_t seed);
// Halves `rows` (ascending) by a seeded permutation: rows independently, or whole groups of
// identical particles when `by_particle` (the first half gets floor(n/2) rows, or groups until it
// holds that many). Returns {first half, second half}, each ascending.
std::pair<std::vector<int64_t>, std::vector<int64_t>> halve_rows(
    const std::vector<double>& particles, const std::vector<int64_t>& rows, uint64_t seed,
    bool by_particle);

// The names of the 9 attribute columns, in order (units: GeV, cm, GeV/c, MeV, e).
inline constexpr const char* kZdcAttributeNames[kZdcCondDim] = {
    "Energy", "Vx", "Vy", "Vz", "Px", "Py", "Pz", "mass", "charge"};

struct Standardizer {
  std::array<double, kZdcCondDim> mean{};
  std::array<double, kZdcCondDim> scale{};  // population std, 1 where the std is 0
  // The training rows' span of each attribute (absent from checkpoints older than the field).
  std::array<double, kZdcCondDim> lo{}, hi{};
  bool has_range = false;

  // Conditions beyond the fitted span by more than `margin` times its width: the generator
  // extrapolates there. Rows with any such attribute, and the count per attribute.
  struct OutOfRange {
    int64_t rows = 0;
    std::array<int64_t, kZdcCondDim> per_attribute{};
  };
  OutOfRange out_of_range(const std::vector<double>& particles, double margin) const;

  // Fits on `rows` of `particles` (n, 9).
  void fit(const std::vector<double>& particles, const std::vector<int64_t>& rows);
  // Standardizes rows (k, 9) -> (k, 9).
  std::vector<double> apply(const std::vector<double>& particles) const;
  void apply_row(const double* in, double* out) const;
  nlohmann::json to_json() const;
  static Standardizer from_json(const nlohmann::json& j);
};

class ZdcDataset : public ConditionalDataset {
 public:
  // Rows `rows` of `raw`; conditions standardized with `st` (fitted on the training split).
  ZdcDataset(const ZdcRaw& raw, const std::vector<int64_t>& rows, const Standardizer& st);

  int64_t size() const override { return static_cast<int64_t>(rows_.size()); }
  Shape sample_shape() const override { return {1, kZdcSide, kZdcSide}; }
  int64_t condition_dim() const override { return kZdcCondDim; }
  // Samples as the networks see them: x (., 1, 44, 44) log1p counts, c (., 9) standardized and
  // fdiv (.), all float32.

  const Groups& groups() const override { return groups_; }
  // Shares the data set's own tensors (no copy: a training set is held once); read only.
  Batch all_samples() const override;
  // log1p counts beyond kZdcLog1pCountLimit overflow float32 when converted back to counts.
  double sample_limit() const override { return kZdcLog1pCountLimit; }
  std::string sample_limit_meaning() const override {
    return "log1p(count) 88.72 (counts overflow float32)";
  }
  const Standardizer& standardizer() const { return st_; }
  // Indices into the ZdcRaw this data set was built from, one per sample.
  const std::vector<int64_t>& rows() const { return rows_; }
  // Photon counts (k, 44, 44) and raw attributes (k, 9) of samples `idx` (0..size()-1).
  std::vector<double> raw_responses(const std::vector<int64_t>& idx) const;
  std::vector<double> raw_conditions(const std::vector<int64_t>& idx) const;
  // Standardized conditions (k, 9) of samples `idx`, as fed to the networks.
  Tensor conditions(const std::vector<int64_t>& idx) const;

 private:
  void check_index(int64_t i, const char* who) const;

  std::vector<int64_t> rows_;
  Standardizer st_;
  // x (n, 1, 44, 44) log1p(counts), c (n, 9) standardized, fdiv (n): what all_samples() shares.
  Batch samples_;
  std::vector<float> counts_;     // (n, 1936); integer counts are exact in float32
  std::vector<double> raw_cond_;  // (n, 9)
  Groups groups_;
};

}  // namespace dg::data
