#include "datasets/zdc_simulator.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "base/error.h"
#include "engine/rng.h"

namespace dg::data {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kCentre = 21.5;
constexpr double kPixelsPerRad = 8000.0;  // ~112 m lever arm over ~1.4 cm fibre pitch
constexpr double kPixelsPerCm = 10.0;     // transverse vertex offset carried to the face
constexpr double kLeverCm = 11250.0;
constexpr double kEMin = 10.0, kEMax = 7000.0;
constexpr double kThetaMin = 1e-4, kThetaMax = 1e-3;
// Below this mean a pixel is left at zero: it would fire in fewer than 1 of 1000 showers, and
// skipping it is what keeps the far field (and the run time) empty.
constexpr double kMinMean = 1e-3;

struct Species {
  double mass_mev;
  double charge;
  double weight;  // share of the particle mix
  double sigma;   // core width in pixels
  double yield;   // light per GeV^0.8 relative to hadrons
};

// Forward production is dominated by neutrons (spectators) and photons (pi0 decays).
constexpr std::array<Species, 7> kSpecies{{
    {0.0, 0.0, 0.25, 1.0, 1.25},      // photon: narrow, bright electromagnetic shower
    {939.57, 0.0, 0.40, 1.8, 1.0},    // neutron
    {938.27, 1.0, 0.12, 2.0, 1.0},    // proton
    {139.57, 1.0, 0.07, 2.2, 0.9},    // pi+
    {139.57, -1.0, 0.07, 2.2, 0.9},   // pi-
    {493.68, 1.0, 0.045, 2.1, 0.9},   // K+
    {493.68, -1.0, 0.045, 2.1, 0.9},  // K-
}};

// Buffers the Philox streams so that a shower costs a few block evaluations, not a call per draw.
class Draws {
 public:
  explicit Draws(uint64_t seed) : rng_(seed) {}
  double uniform() {
    if (ui_ == kBuf) {
      rng_.fill_uniform(u_.data(), kBuf);
      ui_ = 0;
    }
    return u_[ui_++];
  }
  double normal() {
    if (ni_ == kBuf) {
      rng_.fill_normal(n_.data(), kBuf);
      ni_ = 0;
    }
    return n_[ni_++];
  }

 private:
  static constexpr int64_t kBuf = 1024;
  Philox rng_;
  std::array<double, kBuf> u_{}, n_{};
  int64_t ui_ = kBuf, ni_ = kBuf;
};

// Inversion for small means (exact), rounded normal for large ones where the Poisson is already
// close to Gaussian and inversion would cost O(mean) steps.
double poisson(double mean, Draws& d) {
  if (mean < 30.0) {
    const double u = d.uniform();
    double p = std::exp(-mean), cdf = p;
    int k = 0;
    while (u > cdf && k < 200) {
      ++k;
      p *= mean / k;
      cdf += p;
    }
    return k;
  }
  const double v = std::round(mean + std::sqrt(mean) * d.normal());
  return v < 0.0 ? 0.0 : v;
}

double phi_cdf(double x) { return 0.5 * std::erfc(-x * (1.0 / std::sqrt(2.0))); }

// Pixel-integrated Gaussian weights along one axis for pixels lo..hi around `c`.
void axis_weights(double c, double sigma, int lo, int hi, double* w) {
  double prev = phi_cdf((lo - 0.5 - c) / sigma);
  for (int i = lo; i <= hi; ++i) {
    const double next = phi_cdf((i + 0.5 - c) / sigma);
    w[i - lo] = next - prev;
    prev = next;
  }
}

// Adds Poisson counts of a Gaussian spot with `total` expected photons; sums of Poissons stay
// Poisson, so sub-showers simply add.
void deposit(double* img, double ca, double cb, double sigma, double total, Draws& d) {
  if (total <= 0.0) return;
  const double r = std::ceil(3.5 * sigma);
  const int a0 = std::max(0, static_cast<int>(std::floor(ca - r)));
  const int a1 = std::min<int>(kSimSide - 1, static_cast<int>(std::ceil(ca + r)));
  const int b0 = std::max(0, static_cast<int>(std::floor(cb - r)));
  const int b1 = std::min<int>(kSimSide - 1, static_cast<int>(std::ceil(cb + r)));
  if (a0 > a1 || b0 > b1) return;
  std::array<double, kSimSide> wa{}, wb{};
  axis_weights(ca, sigma, a0, a1, wa.data());
  axis_weights(cb, sigma, b0, b1, wb.data());
  for (int a = a0; a <= a1; ++a) {
    const double ra = total * wa[a - a0];
    if (ra < kMinMean) continue;
    double* row = img + static_cast<int64_t>(a) * kSimSide;
    for (int b = b0; b <= b1; ++b) {
      const double mean = ra * wb[b - b0];
      if (mean >= kMinMean) row[b] += poisson(mean, d);
    }
  }
}

double clamp_centre(double c) { return std::clamp(c, 1.5, kSimSide - 2.5); }

struct Particle {
  const Species* sp;
  std::array<double, kSimParticleCols> attr;
};

Particle draw_particle(Draws& d) {
  const double u = d.uniform();
  double acc = 0.0;
  const Species* sp = &kSpecies.back();
  for (const Species& s : kSpecies) {
    acc += s.weight;
    if (u < acc) {
      sp = &s;
      break;
    }
  }
  const double e = kEMin * std::exp(d.uniform() * std::log(kEMax / kEMin));
  const double m = sp->mass_mev * 1e-3;
  const double p = std::sqrt(std::max(0.0, e * e - m * m));
  const double theta = kThetaMin * std::exp(d.uniform() * std::log(kThetaMax / kThetaMin));
  const double phi = 2.0 * kPi * d.uniform();
  const double vx = 0.01 * d.normal(), vy = 0.01 * d.normal(), vz = 5.0 * d.normal();
  const double st = std::sin(theta);
  return {sp,
          {e, vx, vy, vz, p * st * std::cos(phi), p * st * std::sin(phi), p * std::cos(theta),
           sp->mass_mev, sp->charge}};
}

void shower(const Particle& pt, Draws& d, double* img) {
  const Species& sp = *pt.sp;
  const double e = pt.attr[0], vx = pt.attr[1], vy = pt.attr[2], vz = pt.attr[3];
  const double px = pt.attr[4], py = pt.attr[5], pz = pt.attr[6];
  const double lever = 1.0 - vz / kLeverCm;
  double ca = kCentre + kPixelsPerRad * (px / pz) * lever + kPixelsPerCm * vx;
  double cb = kCentre + kPixelsPerRad * (py / pz) * lever + kPixelsPerCm * vy;
  double total = 4.0 * sp.yield * std::pow(e, 0.8);

  if (sp.charge == 0.0) {
    deposit(img, clamp_centre(ca), clamp_centre(cb), sp.sigma, total, d);
    return;
  }

  // Magnetic bending ~ 1/p along the first axis, signed by the charge, plus a random part.
  const double bend = sp.charge * std::min(6.0, 2.0 * std::sqrt(500.0 / e));
  const double scatter = std::min(6.0, 2.0 + 4.0 * std::pow(100.0 / e, 0.3));
  ca = clamp_centre(ca + bend + scatter * d.normal());
  cb = clamp_centre(cb + 0.6 * scatter * d.normal());

  const double p_empty = 0.30 - 0.15 * std::log(e / kEMin) / std::log(kEMax / kEMin);
  if (d.uniform() < p_empty) {
    if (d.uniform() < 0.6) return;                          // lost entirely
    deposit(img, ca, cb, 4.0, 0.5 + 3.5 * d.uniform(), d);  // a few stray photons
    return;
  }

  total *= std::exp(0.4 * d.normal() - 0.08);
  if (d.uniform() < 0.35) {
    const double frac = 0.25 + 0.35 * d.uniform();
    const double dist = 4.0 + 6.0 * d.uniform();
    const double ang = 2.0 * kPi * d.uniform();
    deposit(img, clamp_centre(ca + dist * std::cos(ang)), clamp_centre(cb + dist * std::sin(ang)),
            1.2 * sp.sigma, frac * total, d);
    total *= 1.0 - frac;
  }
  deposit(img, ca, cb, sp.sigma, total, d);
}

}  // namespace

ZdcSample simulate_zdc(const ZdcSimConfig& cfg) {
  DG_CHECK(cfg.particles >= 0, "simulate_zdc: negative particle count " << cfg.particles);
  DG_CHECK(
      cfg.repeats_min >= 1 && cfg.repeats_max >= cfg.repeats_min,
      "simulate_zdc: bad repeats range [" << cfg.repeats_min << ", " << cfg.repeats_max << "]");
  Draws d(cfg.seed);
  std::vector<Particle> parts;
  std::vector<int64_t> reps;
  parts.reserve(cfg.particles);
  reps.reserve(cfg.particles);
  ZdcSample out;
  const int64_t span = cfg.repeats_max - cfg.repeats_min + 1;
  for (int64_t i = 0; i < cfg.particles; ++i) {
    parts.push_back(draw_particle(d));
    reps.push_back(cfg.repeats_min +
                   std::min<int64_t>(span - 1, static_cast<int64_t>(d.uniform() * span)));
    out.n += reps.back();
  }
  out.responses.assign(static_cast<size_t>(out.n * kSimPixels), 0.0);
  out.particles.resize(static_cast<size_t>(out.n * kSimParticleCols));
  out.particle_of.resize(static_cast<size_t>(out.n));
  int64_t row = 0;
  for (int64_t i = 0; i < cfg.particles; ++i) {
    for (int64_t r = 0; r < reps[i]; ++r, ++row) {
      std::copy(parts[i].attr.begin(), parts[i].attr.end(),
                out.particles.begin() + row * kSimParticleCols);
      out.particle_of[row] = i;
      shower(parts[i], d, out.responses.data() + row * kSimPixels);
    }
  }
  return out;
}

}  // namespace dg::data
