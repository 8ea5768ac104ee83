// The inference library (include/divgan/generator.h) over the CLI's own generation path
// (tools/run_zdc.h), so that the library and `divgan generate` cannot drift apart: same
// standardization, same batching, same latent draws. Every engine error becomes divgan::Error.
#include "divgan/generator.h"

#include <cmath>
#include <exception>
#include <mutex>

#include "engine/device.h"
#include "gan/config.h"
#include "gan/zdc_channels.h"
#include "tools/provenance.h"
#include "tools/run_zdc.h"

namespace divgan {

static_assert(kAttributes == dg::data::kZdcCondDim && kSide == dg::data::kZdcSide &&
              kPixels == dg::data::kZdcPixels);

namespace {

// Runs f, turning any exception into divgan::Error with the same message.
template <class F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(e.what());
  }
}

}  // namespace

struct Generator::Impl {
  dg::tools::ZdcModel model;
  int batch_rows = 256;

  std::vector<float> run(const std::vector<double>& particles, std::uint64_t seed,
                         const std::vector<double>* latents, Output output) {
    if (particles.empty() || particles.size() % kAttributes != 0)
      throw Error("divgan::Generator::generate: " + std::to_string(particles.size()) +
                  " particle values; expected a positive multiple of " +
                  std::to_string(kAttributes) + " (raw attributes, row by row)");
    const size_t n = particles.size() / kAttributes;
    std::vector<float> out(n * kPixels);
    // The GPU context (stream, cuBLAS handle, staging buffers) is one per process and not
    // thread-safe: CUDA generators take turns.
    static std::mutex gpu_mutex;
    std::unique_lock<std::mutex> gpu_turn(gpu_mutex, std::defer_lock);
    if (model.g->device() == dg::Device::CUDA) gpu_turn.lock();
    dg::tools::generate_batches(
        model, particles, 1, batch_rows, seed, latents,
        [&](int64_t first, const float* p, int64_t rows) {
          float* o = out.data() + first * kPixels;
          for (int64_t i = 0; i < rows * kPixels; ++i)
            o[i] = output == Output::Counts
                       ? static_cast<float>(std::expm1(static_cast<double>(p[i])))
                       : p[i];  // expm1 in double, as generate_counts
        });
    return out;
  }
};

Generator::Generator(const std::string& checkpoint, Device device)
    : impl_(std::make_unique<Impl>()) {
  guarded([&] {
    impl_->model = dg::tools::load_zdc_model(
        checkpoint, device == Device::CUDA ? dg::Device::CUDA : dg::Device::CPU);
    dg::nn::fold_batch_norms(*impl_->model.g);
  });
}

Generator::~Generator() = default;
Generator::Generator(Generator&&) noexcept = default;
Generator& Generator::operator=(Generator&&) noexcept = default;

std::vector<float> Generator::generate(const std::vector<double>& particles, std::uint64_t seed,
                                       Output output) const {
  return guarded([&] { return impl_->run(particles, seed, nullptr, output); });
}

std::vector<float> Generator::generate(const std::vector<double>& particles,
                                       const std::vector<float>& latents, Output output) const {
  return guarded([&] {
    const size_t n = particles.size() / kAttributes;
    if (latents.size() != n * kLatentDim)
      throw Error("divgan::Generator::generate: " + std::to_string(latents.size()) +
                  " latent values for " + std::to_string(n) + " particles; expected " +
                  std::to_string(n * kLatentDim) + " (" + std::to_string(kLatentDim) +
                  " per particle)");
    for (size_t i = 0; i < latents.size(); ++i)
      if (!std::isfinite(latents[i]))
        throw Error("divgan::Generator::generate: latent value " + std::to_string(i) +
                    " is not finite");
    const std::vector<double> z(latents.begin(), latents.end());
    return impl_->run(particles, 0, &z, output);
  });
}

void Generator::set_batch_rows(int rows) {
  if (rows < 1)
    throw Error("divgan::Generator::set_batch_rows: " + std::to_string(rows) +
                "; expected at least 1");
  impl_->batch_rows = rows;
}

std::int64_t Generator::training_steps() const { return impl_->model.step; }

std::string Generator::description() const {
  const auto& cfg = impl_->model.cfg;
  return std::string("ZDC generator '") + dg::gan::generator_arch_name(cfg.generator) +
         "', regularizer " + dg::gan::regularizer_name(cfg.reg) + ", " +
         std::to_string(impl_->model.step) + " training steps";
}

std::vector<std::array<double, kChannels>> channel_sums(const std::vector<float>& counts) {
  return guarded([&] {
    const std::vector<double> c(counts.begin(), counts.end());
    return dg::gan::zdc_channels_batch(c);
  });
}

void set_cpu_threads(int threads) {
  guarded([&] { dg::set_cpu_threads(threads); });
}

std::string version() { return dg::tools::version_line(); }

}  // namespace divgan
