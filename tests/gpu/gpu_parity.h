// Helpers for the GPU parity tests (tests/gpu/, compiled only with CUDA): the skip-with-a-message
// guard for machines without a GPU, and `parity`, which runs one op graph on the CPU in double
// (the reference; chain of trust: finite differences -> CPU double -> CPU float -> GPU)
// and on the GPU in float on the same float32 inputs, every allocated tensor NaN-poisoned, and
// compares outputs and input gradients with atol + rtol * |ref|, reporting the max error and where.
// Run: build-cuda/dg_tests -tc="gpu*"
#pragma once
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "engine/ops.h"
#include "kernels/cuda/runtime.h"
#include "tests/gradcheck.h"

namespace dg::test {

// True when a GPU is present; otherwise says so visibly, so a green run without a GPU is honest.
inline bool gpu_or_skip() {
  if (cuda::device_count() > 0) return true;
  MESSAGE("no GPU present: this GPU parity test is skipped (the CUDA backend is compiled)");
  return false;
}
#define DG_REQUIRE_GPU() \
  if (!::dg::test::gpu_or_skip()) return

struct Tol {
  double atol, rtol;
};
constexpr Tol kElementwise{1e-6, 2e-6};  // float rounding plus a few ulp of libm
// GEMM sums of k products in float: rounding grows like sqrt(k).
inline Tol gemm_tol(int64_t k) { return {1e-5 * std::sqrt(static_cast<double>(k)), 1e-4}; }

// Checks |got - ref| <= atol + rtol |ref| everywhere (NaN fails: outputs are poisoned with it) and
// reports the largest error, its index and both values.
inline void check_close(const Tensor& got, const Tensor& ref, Tol tol, const std::string& what) {
  REQUIRE(got.shape() == ref.shape());
  const std::vector<double> a = got.to_vector(), r = ref.to_vector();
  double max_err = 0.0, worst_excess = 0.0;
  int64_t max_at = -1, bad_at = -1, bad = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    double err = std::abs(a[i] - r[i]);
    if (std::isnan(err)) err = INFINITY;
    if (err > max_err || max_at < 0) {
      max_err = err;
      max_at = static_cast<int64_t>(i);
    }
    const double excess = err - (tol.atol + tol.rtol * std::abs(r[i]));
    if (excess > 0) {
      ++bad;
      if (excess > worst_excess || bad_at < 0) {
        worst_excess = excess;
        bad_at = static_cast<int64_t>(i);
      }
    }
  }
  std::ostringstream os;
  os << what << " " << shape_str(ref.shape()) << ": max |gpu - cpu| = " << max_err;
  if (max_at >= 0) os << " at " << max_at << " (gpu " << a[max_at] << ", cpu " << r[max_at] << ")";
  os << "; atol " << tol.atol << ", rtol " << tol.rtol;
  if (bad)
    os << "; " << bad << " elements out of tolerance, worst at " << bad_at << " (gpu " << a[bad_at]
       << ", cpu " << r[bad_at] << ")";
  INFO(os.str());
  CHECK(bad == 0);
}

// Float32 inputs (so both sides see identical values).
inline Tensor uniform32(const Shape& s, double lo, double hi, unsigned seed) {
  return rand_uniform(s, lo, hi, seed, DType::F32);
}
inline Tensor off_zero32(const Shape& s, double lo, double hi, unsigned seed) {
  return rand_off_zero(s, lo, hi, seed, DType::F32);
}

using OpFn = std::function<Tensor(const std::vector<Tensor>&)>;

// Runs f on CPU float64 copies and on GPU float32 copies of `inputs` (float32, on the CPU);
// compares the outputs with `fwd`, then backpropagates the same random cotangent on both sides and
// compares the gradients of the inputs marked in `grad` (all when empty) with `bwd`. Leaf
// gradients start from a sentinel on both sides, so the test also proves backward accumulates.
inline void parity(const std::string& what, const OpFn& f, const std::vector<Tensor>& inputs,
                   Tol fwd, Tol bwd, std::vector<bool> grad = {}, unsigned seed = 7) {
  if (grad.empty()) grad.assign(inputs.size(), true);
  REQUIRE(grad.size() == inputs.size());
  PoisonGuard poison;
  std::vector<Tensor> cpu, gpu;
  for (size_t i = 0; i < inputs.size(); ++i) {
    REQUIRE(inputs[i].dtype() == DType::F32);
    Tensor c = inputs[i].to(DType::F64).detach();
    Tensor g = inputs[i].to(Device::CUDA).detach();
    c.set_requires_grad(grad[i]);
    g.set_requires_grad(grad[i]);
    cpu.push_back(c);
    gpu.push_back(g);
  }
  Tensor yc = f(cpu), yg = f(gpu);
  REQUIRE(yg.device() == Device::CUDA);
  check_close(yg, yc, fwd, what + " forward");
  bool any = false;
  for (bool b : grad) any = any || b;
  if (!any) return;
  const double sentinel = 0.25;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!grad[i]) continue;
    cpu[i].set_grad(Tensor::full(inputs[i].shape(), sentinel, DType::F64));
    gpu[i].set_grad(Tensor::full(inputs[i].shape(), sentinel, DType::F32, Device::CUDA));
  }
  Tensor cot = uniform32(yc.shape(), -1.0, 1.0, seed);
  yc.backward(cot.to(DType::F64));
  yg.backward(cot.to(Device::CUDA));
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!grad[i]) continue;
    REQUIRE(gpu[i].grad().defined());
    REQUIRE(gpu[i].grad().device() == Device::CUDA);
    check_close(gpu[i].grad(), cpu[i].grad(), bwd,
                what + " gradient of input " + std::to_string(i));
  }
}

}  // namespace dg::test
