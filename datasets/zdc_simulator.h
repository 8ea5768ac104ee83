// A fast, seeded, physics-flavoured stand-in for the ALICE ZDC simulation
// (docs/design.md#zdc-like-simulator), so that everything runs without the unpublished data.
//
// What follows the physics: the particle mix is that of forward production (photons, charged pions
// and kaons, protons, neutrons) with their PDG masses and charges; energies are log-uniform up to
// the 7 TeV beam energy and the momentum is mass-consistent, |p| = sqrt(E^2 - m^2), pointing almost
// along the beam (polar angles 1e-4..1e-3 rad). Vertices scatter like a collision region: microns
// transversely, centimetres longitudinally. The shower lands where the momentum points at the
// calorimeter face (a lever arm of roughly 112 m turns 1e-3 rad into a few centimetres, i.e. about
// 8 pixels), shifted by the transverse vertex. The light yield grows sub-linearly with energy
// (~E^0.8), electromagnetic showers (photons) are narrower and brighter than hadronic ones, and the
// counts per pixel are Poisson, so most of the 44x44 fibres see nothing and the core sees hundreds
// of photons at TeV energies.
//
// What is invented, to give the property the diversity-regularized GANs are about: a neutral
// particle always produces the same mean profile, so its repeats differ only by Poisson noise. A
// charged particle is bent by the beam-line magnets before it reaches the calorimeter, and here
// that bending is made random per repeat: a charge-signed mean shift along the first axis plus a
// Gaussian scatter of several pixels (larger at low energy), a light-yield fluctuation, a second
// sub-shower in about a third of the repeats (multi-modal responses) and, with a probability of 15%
// at 7 TeV rising to 30% at 10 GeV, a response that is empty or nearly so (the particle hit the
// beam pipe or a magnet). None of these numbers is fitted to ALICE data.
//
// Images use index coordinates: pixel (a, b) is row a, column b of a row-major 44x44 array; the
// nominal centre is (21.5, 21.5). Only pixels near each (sub-)shower core are computed, which keeps
// the simulator at tens of thousands of showers per second on one core.
#pragma once
#include <cstdint>
#include <vector>

namespace dg::data {

constexpr int64_t kSimSide = 44;
constexpr int64_t kSimPixels = kSimSide * kSimSide;
constexpr int64_t kSimParticleCols = 9;  // Energy, Vx, Vy, Vz, Px, Py, Pz, mass [MeV], charge [e]

struct ZdcSimConfig {
  uint64_t seed = 0;
  int64_t particles = 0;
  int64_t repeats_min = 3, repeats_max = 8;  // inclusive; each particle is showered this many times
};

struct ZdcSample {
  int64_t n = 0;                     // number of showers = sum of the repeats
  std::vector<double> responses;     // (n, 44, 44) photon counts, integer-valued
  std::vector<double> particles;     // (n, 9) attributes; the repeats of a particle are equal
  std::vector<int64_t> particle_of;  // (n) index of the simulated particle of each row
};

ZdcSample simulate_zdc(const ZdcSimConfig& cfg);

}  // namespace dg::data
