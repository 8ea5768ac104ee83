// Matmul precision modes (engine/precision.h, kernels/common/precision.h): the operand rounding is
// round-to-nearest-even at the right bit, inf/NaN pass through, and a linear layer or convolution
// in TF32/BF16 on the CPU is exactly the FP32 op on rounded operands (and differs from FP32).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "engine/ops.h"
#include "engine/precision.h"
#include "engine/rng.h"

using namespace dg;

TEST_CASE("precision: mantissa rounding is nearest-even at TF32 and BF16 width") {
  const float one = 1.0f;
  // TF32 keeps 10 mantissa bits: 1 + 2^-11 is a tie -> even (1); 1 + 3*2^-11 -> 1 + 2^-9.
  CHECK(cpu::round_mantissa(one + std::ldexp(1.0f, -11), 10) == one);
  CHECK(cpu::round_mantissa(one + 3 * std::ldexp(1.0f, -11), 10) == one + std::ldexp(1.0f, -9));
  CHECK(cpu::round_mantissa(one + std::ldexp(1.0f, -10) + std::ldexp(1.0f, -11), 10) ==
        one + std::ldexp(1.0f, -9));                                   // tie with odd lsb -> up
  CHECK(cpu::round_mantissa(one + std::ldexp(1.0f, -12), 10) == one);  // below half -> down
  // BF16 keeps 7: 1 + 2^-8 ties to 1; 1 + 2^-7 + 2^-8 ties up to 1 + 2^-6.
  CHECK(cpu::round_mantissa(one + std::ldexp(1.0f, -8), 7) == one);
  CHECK(cpu::round_mantissa(one + std::ldexp(1.0f, -7) + std::ldexp(1.0f, -8), 7) ==
        one + std::ldexp(1.0f, -6));
  CHECK(cpu::round_mantissa(-3.0f, 7) == -3.0f);
  // A carry out of the mantissa bumps the exponent.
  CHECK(cpu::round_mantissa(std::nextafter(2.0f, 0.0f), 7) == 2.0f);
  const float inf = std::numeric_limits<float>::infinity();
  CHECK(cpu::round_mantissa(inf, 7) == inf);
  CHECK(std::isnan(cpu::round_mantissa(std::numeric_limits<float>::quiet_NaN(), 7)));
  CHECK(cpu::round_mantissa(std::numeric_limits<float>::max(), 7) == inf);
}

TEST_CASE("precision: parse, names and the scoped guard") {
  CHECK(parse_matmul_precision("tf32") == MatmulPrecision::TF32);
  CHECK(std::string(matmul_precision_name(MatmulPrecision::BF16)) == "bf16");
  CHECK_THROWS_WITH_AS(parse_matmul_precision("fp16"), doctest::Contains("fp32, tf32 or bf16"),
                       Error);
  CHECK(matmul_precision() == MatmulPrecision::FP32);
  {
    MatmulPrecisionGuard g(MatmulPrecision::BF16);
    CHECK(matmul_precision() == MatmulPrecision::BF16);
  }
  CHECK(matmul_precision() == MatmulPrecision::FP32);
}

namespace {
Tensor transposed(const Tensor& t) {  // (r, c) -> (c, r)
  const int64_t r = t.size(0), c = t.size(1);
  const std::vector<double> v = t.to_vector();
  std::vector<double> out(v.size());
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < c; ++j) out[j * r + i] = v[i * c + j];
  return Tensor::from_vector(out, {c, r});
}
Tensor rounded(const Tensor& t, MatmulPrecision p) {
  Tensor r = t.clone();
  cpu::round_operands(r.data<float>(), r.numel(), p);
  return r;
}
}  // namespace

TEST_CASE("precision: reduced-precision linear and conv on the CPU = FP32 on rounded operands") {
  Philox rng(21, 0);
  Tensor x = rng.normal({8, 40}), w = rng.normal({12, 40}), b = rng.normal({12});
  Tensor img = rng.normal({2, 3, 9, 9}), k = rng.normal({5, 3, 3, 3}), kb = rng.normal({5});
  const std::vector<double> lin32 = linear(x, w, b).to_vector();
  const std::vector<double> conv32 = conv2d(img, k, kb).to_vector();
  for (MatmulPrecision p : {MatmulPrecision::TF32, MatmulPrecision::BF16}) {
    CAPTURE(matmul_precision_name(p));
    std::vector<double> lin, conv, lin_ref, conv_ref;
    {
      MatmulPrecisionGuard g(p);
      lin = linear(x, w, b).to_vector();
      conv = conv2d(img, k, kb).to_vector();
    }
    lin_ref = linear(rounded(x, p), rounded(w, p), b).to_vector();
    conv_ref = conv2d(rounded(img, p), rounded(k, p), kb).to_vector();
    CHECK(lin == lin_ref);
    CHECK(conv == conv_ref);
    CHECK(lin != lin32);  // the mode really changes the arithmetic
    CHECK(conv != conv32);
    // ... but only at the format's precision.
    double worst = 0;
    for (size_t i = 0; i < lin.size(); ++i)
      worst = std::max(worst, std::abs(lin[i] - lin32[i]) / (1 + std::abs(lin32[i])));
    CHECK(worst < (p == MatmulPrecision::TF32 ? 1e-2 : 1e-1));
  }
  // float64 ignores the setting (gradient checks stay exact).
  Tensor xd = x.to(DType::F64), wd = w.to(DType::F64), bd = b.to(DType::F64);
  const std::vector<double> d64 = linear(xd, wd, bd).to_vector();
  MatmulPrecisionGuard g(MatmulPrecision::BF16);
  CHECK(linear(xd, wd, bd).to_vector() == d64);
}

TEST_CASE("precision: the backward products of linear and conv round their operands too") {
  Philox rng(22, 0);
  Tensor x = rng.normal({6, 20}), w = rng.normal({9, 20}), b = rng.normal({9});
  Tensor up = rng.normal({6, 9});  // dL/dy
  const MatmulPrecision p = MatmulPrecision::BF16;
  Tensor gx, gw;
  {
    MatmulPrecisionGuard g(p);
    Tensor xr = x.clone().set_requires_grad(), wr = w.clone().set_requires_grad();
    sum(mul(linear(xr, wr, b), up)).backward();
    gx = xr.grad();
    gw = wr.grad();
  }
  // dL/dx = up W and dL/dW = up^T x, each on rounded operands in float32 (bitwise: the same GEMM).
  CHECK(gx.to_vector() == matmul(rounded(up, p), rounded(w, p)).to_vector());
  CHECK(gw.to_vector() == matmul(rounded(transposed(up), p), rounded(x, p)).to_vector());
  // Convolution: the gradients under BF16 differ from FP32 (they are rounded products as well).
  Tensor img = rng.normal({2, 3, 7, 7}), k = rng.normal({4, 3, 3, 3});
  auto conv_grads = [&](MatmulPrecision q) {
    MatmulPrecisionGuard g(q);
    Tensor ir = img.clone().set_requires_grad(), kr = k.clone().set_requires_grad();
    sum(mul(conv2d(ir, kr, Tensor()), conv2d(ir, kr, Tensor()).detach())).backward();
    return std::pair{ir.grad().to_vector(), kr.grad().to_vector()};
  };
  const auto g32 = conv_grads(MatmulPrecision::FP32), g16 = conv_grads(MatmulPrecision::BF16);
  CHECK(g32.first != g16.first);
  CHECK(g32.second != g16.second);
}
