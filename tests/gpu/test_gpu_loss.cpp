// GPU parity of binary cross-entropy on logits (tensor targets with gradients to both sides, the
// scalar real/fake labels, saturated logits) and of the fused diversity regularizer (SDI/DivBal
// and DS modes, ZDC shapes: 64-d D features, 10-d latents, batch 128/256), forward and backward.
// Run: build-cuda/dg_tests -tc="gpu: bce*,gpu: diversity*"
#include <doctest/doctest.h>

#include "tests/gpu/gpu_parity.h"

using namespace dg;
using namespace dg::test;

namespace {
constexpr Tol kLoss{1e-6, 1e-5};
}

TEST_CASE("gpu: bce_with_logits") {
  DG_REQUIRE_GPU();
  for (const Shape& s : {Shape{256, 1}, Shape{128, 1}, Shape{1000}}) {
    Tensor x = uniform32(s, -6.0, 6.0, 1), t = uniform32(s, 0.0, 1.0, 2);
    const std::string at = " " + shape_str(s);
    parity(
        "bce targets" + at,
        [](const std::vector<Tensor>& v) { return bce_with_logits(v[0], v[1]); }, {x, t}, kLoss,
        kLoss);
    parity(
        "bce label 1" + at, [](const std::vector<Tensor>& v) { return bce_with_logits(v[0], 1.0); },
        {x}, kLoss, kLoss);
    parity(
        "bce label 0" + at, [](const std::vector<Tensor>& v) { return bce_with_logits(v[0], 0.0); },
        {x}, kLoss, kLoss);
  }
  Tensor big = Tensor::from_vector({-100.0, -30.0, -1.0, 0.0, 1.0, 30.0, 100.0}, {7}, DType::F32);
  parity(
      "bce saturated logits",
      [](const std::vector<Tensor>& v) { return bce_with_logits(v[0], 1.0); }, {big}, kLoss, kLoss);
}

TEST_CASE("gpu: diversity_loss, both modes, ZDC shapes") {
  DG_REQUIRE_GPU();
  struct Case {
    int64_t B, F, K;
  };
  unsigned seed = 11;
  for (const Case c : {Case{128, 64, 10}, Case{256, 64, 10}, Case{5, 3, 2}, Case{33, 100, 40}}) {
    Tensor e1 = uniform32({c.B, c.F}, -1.0, 1.0, seed++);
    // e2 = e1 + a difference bounded away from 0, so no |e1 - e2| sits on its kink.
    Tensor e2 = uniform32({c.B, c.F}, -1.0, 1.0, seed++);
    {
      auto a = e1.to_vector(), d = off_zero32({c.B, c.F}, 0.01, 0.5, seed++).to_vector();
      for (size_t i = 0; i < a.size(); ++i) a[i] += d[i];
      e2 = Tensor::from_vector(a, {c.B, c.F}, DType::F32);
    }
    Tensor z1 = uniform32({c.B, c.K}, -1.0, 1.0, seed++),
           z2 = uniform32({c.B, c.K}, -1.0, 1.0, seed++);
    Tensor w = uniform32({c.B}, -1.0, 1.0, seed++);
    const std::string at =
        " B=" + std::to_string(c.B) + " F=" + std::to_string(c.F) + " K=" + std::to_string(c.K);
    for (DiversityMode mode : {DiversityMode::kRatioInverse, DiversityMode::kRatioNegative}) {
      const std::string m = mode == DiversityMode::kRatioInverse ? " inverse" : " negative";
      parity("diversity" + m + at,
             [mode](const std::vector<Tensor>& v) {
               return diversity_loss(v[0], v[1], v[2], v[3], v[4], mode);
             },
             {e1, e2, z1, z2, w}, kLoss, kLoss, {true, true, false, false, false});
      // DS-GAN detaches e2: only e1 gets a gradient (the kernel skips writing grad_e2).
      parity("diversity e2 detached" + m + at,
             [mode](const std::vector<Tensor>& v) {
               return diversity_loss(v[0], v[1].detach(), v[2], v[3], v[4], mode);
             },
             {e1, e2, z1, z2, w}, kLoss, kLoss, {true, false, false, false, false});
    }
  }
}

TEST_CASE("gpu: minibatch_similarity") {
  DG_REQUIRE_GPU();
  // The ZDC discriminator's use (B rows, 8 kernels of 1 dim) and a wider layer; exact ties too.
  for (const Shape& s : {Shape{32, 8, 1}, Shape{256, 8, 1}, Shape{64, 5, 4}}) {
    Tensor m = uniform32(s, -2.0, 2.0, 31);
    float* p = m.data<float>();
    p[s[1] * s[2]] = p[0];  // rows 0 and 1 tie in their first element
    parity(
        "minibatch_similarity " + shape_str(s),
        [](const std::vector<Tensor>& v) { return minibatch_similarity(v[0]); }, {m}, kLoss, kLoss);
  }
}
