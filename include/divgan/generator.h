// divgan's embeddable inference library: a trained ZDC generator in another program (a Geant4
// fast-simulation hook, a standalone event generator). Link the CMake target divgan::generator
// (find_package(divgan)); this header is all it exposes. Design: docs/design.md#inference-library.
//
// Units: particles are given in raw units, 9 attributes per particle in the order Energy [GeV],
// Vx, Vy, Vz [cm], Px, Py, Pz [GeV/c], mass [MeV], charge [e]; the checkpoint's standardization is
// applied inside. Showers are 44x44 row-major images, either photon counts (expm1 of the network's
// output) or the network's log1p output itself.
//
// Threads: a Generator is not safe to call from two threads at once (it switches its network to
// evaluation mode and runs it); give each thread its own Generator. Distinct CPU Generators run
// concurrently. CUDA Generators share the process's one GPU context (stream, cuBLAS handle,
// staging buffers), so their calls are serialized by a lock: safe, but not parallel.
// set_cpu_threads is process-wide and should be called before generating.
//
// Errors: every failure (a missing, corrupt or non-ZDC checkpoint, wrong input sizes, no GPU)
// throws divgan::Error, a std::runtime_error with a one-line message naming the file or argument.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(_WIN32)
#define DIVGAN_API __declspec(dllexport)
#else
#define DIVGAN_API __attribute__((visibility("default")))
#endif

namespace divgan {

inline constexpr int kAttributes = 9;  // per particle
inline constexpr int kLatentDim = 10;  // per shower
inline constexpr int kSide = 44;       // image side
inline constexpr int kPixels = kSide * kSide;
inline constexpr int kChannels = 5;  // ZDC channels

enum class Device { CPU, CUDA };
enum class Output {
  Counts,  // photon counts, expm1 of the network's output (what the detector sees)
  Log1p,   // the network's output, log1p of the counts (what an ONNX export outputs)
};

class DIVGAN_API Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class DIVGAN_API Generator {
 public:
  // Loads the generator of a ZDC checkpoint written by `divgan train` (batch norm folded for
  // inference). Device::CUDA needs a build with CUDA and a GPU.
  explicit Generator(const std::string& checkpoint, Device device = Device::CPU);
  ~Generator();
  Generator(Generator&&) noexcept;
  Generator& operator=(Generator&&) noexcept;
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  // One shower per particle: particles holds n * kAttributes raw values (row by row); returns
  // n * kPixels values. Latents are drawn from `seed` exactly as `divgan generate --seed seed
  // --batch batch_rows` draws them, so both give the same showers.
  std::vector<float> generate(const std::vector<double>& particles, std::uint64_t seed,
                              Output output = Output::Counts) const;
  // The same with given latents, n * kLatentDim standard-normal values (as `generate --latents`).
  std::vector<float> generate(const std::vector<double>& particles,
                              const std::vector<float>& latents,
                              Output output = Output::Counts) const;

  // Particles per network pass (default 256, as `divgan generate --batch`); >= 1.
  void set_batch_rows(int rows);
  // Training steps behind the checkpoint, and a one-line description (generator, regularizer).
  std::int64_t training_steps() const;
  std::string description() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The five channel sums of each shower of photon counts (n * kPixels values, as generate returns
// with Output::Counts): pixels (a, b) with a + b even summed by quadrant (a < 22, b < 22 first;
// then b >= 22; then a >= 22), pixels with a + b odd in the fifth channel. ALICE O2's rule.
DIVGAN_API std::vector<std::array<double, kChannels>> channel_sums(
    const std::vector<float>& counts);

// CPU threads the kernels may use (0: one per hardware thread, the default). Process-wide.
DIVGAN_API void set_cpu_threads(int threads);

// "divgan <version> (commit ..., CUDA yes|no, ...)".
DIVGAN_API std::string version();

}  // namespace divgan
