// Loads a trained ZDC generator, generates one shower for each of a few particles and prints the
// five channel sums of each. Usage: generate_channels CHECKPOINT [SEED]
#include <divgan/generator.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CHECKPOINT [SEED]\n", argv[0]);
    return 2;
  }
  const std::uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1;
  // Energy [GeV], Vx, Vy, Vz [cm], Px, Py, Pz [GeV/c], mass [MeV], charge [e].
  const std::vector<double> particles = {
      2500.0, 0.001, -0.002, 0.05,  0.10,  -0.20, 2499.9, 939.565, 0,   // a neutron
      1200.0, 0.000, 0.001,  -0.10, -0.30, 0.15,  1199.9, 938.272, 1,   // a proton
      400.0,  0.002, 0.000,  0.00,  0.05,  0.05,  399.9,  139.570, -1,  // a negative pion
  };
  try {
    divgan::Generator g(argv[1]);
    std::printf("%s\n%s\n", divgan::version().c_str(), g.description().c_str());
    const std::vector<float> counts = g.generate(particles, seed);
    const auto sums = divgan::channel_sums(counts);
    for (size_t i = 0; i < sums.size(); ++i)
      std::printf("particle %zu: %.6g %.6g %.6g %.6g %.6g\n", i, sums[i][0], sums[i][1], sums[i][2],
                  sums[i][3], sums[i][4]);
  } catch (const divgan::Error& e) {
    std::fprintf(stderr, "generate_channels: %s\n", e.what());
    return 1;
  }
  return 0;
}
