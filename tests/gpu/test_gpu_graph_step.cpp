// The CUDA-graph training step (engine/graph.h, Trainer::set_graph_mode): for every regularizer,
// the replayed steps give the eager step's losses bit for bit (same seed, deterministic kernels:
// dropout offsets and Adam's bias corrections come from the per-replay slots), the models end in
// the same state, the replay allocates no device memory, and the captured graph is not empty.
// Also the reduced-precision GEMMs against CPU emulations of their operand conversion.
// Run: build-cuda/dg_tests -tc="gpu: graph*"
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "engine/ops.h"
#include "engine/precision.h"
#include "gan/models_zdc.h"
#include "gan/trainer.h"
#include "kernels/cuda/graph.h"
#include "tests/gpu/gpu_parity.h"
#include "tests/test_support.h"

using namespace dg;
using namespace dg::gan;

namespace {

TrainConfig graph_config(Regularizer reg) {
  TrainConfig c;
  c.dataset = Dataset::Zdc;
  c.generator = GeneratorArch::Original;
  c.latent = kZdcLatent;
  c.reg = reg;
  c.batch = 16;
  c.seed = 5;
  return c;
}

std::shared_ptr<data::ZdcDataset> graph_data() {
  static auto ds = test::simulated_zdc_train(40);
  return ds;
}

Trainer gpu_trainer(const TrainConfig& cfg) {
  Models m = make_models(cfg);
  m.g->to(Device::CUDA);
  m.d->to(Device::CUDA);
  return Trainer(cfg, graph_data(), m);
}

}  // namespace

TEST_CASE("gpu: graph-replayed training step equals the eager step bit for bit") {
  DG_REQUIRE_GPU();
  for (Regularizer reg : {Regularizer::None, Regularizer::MS, Regularizer::DS, Regularizer::DivCo,
                          Regularizer::SDI, Regularizer::DivBal}) {
    CAPTURE(regularizer_name(reg));
    const TrainConfig cfg = graph_config(reg);
    Trainer eager = gpu_trainer(cfg), graph = gpu_trainer(cfg);
    graph.set_graph_mode(true);
    // The graph trainer runs alone first: its capture (step 2) keeps every block it touches in the
    // graph's private pool, so an eager trainer interleaved with it would have to cudaMalloc again
    // and blur the count. Only the graph trainer's capture and replays are counted.
    std::vector<double> a, b;
    uint64_t before_capture = 0, after_capture = 0;
    for (int step = 0; step < 6; ++step) {
      if (step == 2) before_capture = cuda::allocator_stats().cuda_malloc_count;
      const StepStats y = graph.step();
      for (double v : {y.loss_d, y.loss_g_adv, y.loss_div}) b.push_back(v);
      if (step == 2) after_capture = cuda::allocator_stats().cuda_malloc_count;
    }
    const uint64_t after_replays = cuda::allocator_stats().cuda_malloc_count;
    for (int step = 0; step < 6; ++step) {
      const StepStats x = eager.step();
      for (double v : {x.loss_d, x.loss_g_adv, x.loss_div}) a.push_back(v);
    }
    CHECK(graph.graph_mode());
    CHECK(graph.graph_kernel_nodes() > 0);
    // The warm-up left every block the captured step needs in the cache (and the graph's slots
    // allocated); the capture and the replays allocate nothing.
    CHECK(after_capture == before_capture);
    CHECK(after_replays == after_capture);
    REQUIRE(a.size() == b.size());
    size_t first = a.size();
    for (size_t i = 0; i < a.size() && first == a.size(); ++i)
      if (std::memcmp(&a[i], &b[i], sizeof(double)) != 0) first = i;
    INFO("first differing loss: " << first << " of " << a.size());
    CHECK(first == a.size());
    CHECK(eager.steps_done() == graph.steps_done());
    // Same parameters afterwards, including every Adam update the graph replayed.
    auto pe = eager.models().g->named_parameters(), pg = graph.models().g->named_parameters();
    REQUIRE(pe.size() == pg.size());
    for (size_t i = 0; i < pe.size(); ++i) {
      const std::vector<double> u = pe[i].second.to_vector(), v = pg[i].second.to_vector();
      CHECK_MESSAGE(u == v, "parameter " << pe[i].first << " differs after the replays");
    }
  }
}

TEST_CASE("gpu: graph capture refuses a host transfer inside the step and leaves no capture open") {
  DG_REQUIRE_GPU();
  StepGraph g;
  Tensor t = Tensor::zeros({4}, DType::F32, Device::CUDA);
  CHECK_THROWS_WITH_AS(g.capture([&] { (void)t.to_vector(); }),
                       doctest::Contains("device-only region"), Error);
  CHECK_FALSE(cuda::capturing());
  CHECK_FALSE(g.captured());
}

TEST_CASE("gpu: TF32 and BF16 GEMMs match a CPU emulation of their operand conversion") {
  DG_REQUIRE_GPU();
  Philox rng(3, 0);
  const int64_t M = 64, N = 96, K = 300;
  Tensor x = rng.normal({M, K}), w = rng.normal({N, K}), bias = rng.normal({N});
  const std::vector<double> xv = x.to_vector(), wv = w.to_vector(), bv = bias.to_vector();
  for (MatmulPrecision p : {MatmulPrecision::TF32, MatmulPrecision::BF16}) {
    CAPTURE(matmul_precision_name(p));
    const int keep = p == MatmulPrecision::TF32 ? 10 : 7;
    MatmulPrecisionGuard guard(p);
    const std::vector<double> gpu =
        linear(x.to(Device::CUDA), w.to(Device::CUDA), bias.to(Device::CUDA)).to_vector();
    // The operand conversion is the library's: round to nearest even (as the CPU emulates it) or
    // truncation. Either one changes each product by up to one ulp of the format, and truncation
    // does it one-sidedly, so its error grows like K |x||w|, not sqrt(K): no single tolerance
    // both accepts the two and rejects a wrong result. The GPU must instead match one of the two
    // emulations (in double: products of rounded operands are exact) within the worst case of
    // float32 summation in any order, K 2^-23 sum_k |x_k w_k| (2^-23: tensor cores may truncate
    // while accumulating), and the test says which one it matched.
    auto emulate = [&](bool truncate) {
      auto conv = [&](double v) {
        const float f = static_cast<float>(v);
        if (!truncate) return static_cast<double>(cpu::round_mantissa(f, keep));
        uint32_t u;
        std::memcpy(&u, &f, sizeof u);
        u &= ~((1u << (23 - keep)) - 1u);
        float t;
        std::memcpy(&t, &u, sizeof t);
        return static_cast<double>(t);
      };
      std::vector<double> y(M * N), scale(M * N);
      for (int64_t i = 0; i < M; ++i)
        for (int64_t j = 0; j < N; ++j) {
          double acc = bv[j], mag = std::abs(bv[j]);
          for (int64_t k = 0; k < K; ++k) {
            const double prod = conv(xv[i * K + k]) * conv(wv[j * K + k]);
            acc += prod;
            mag += std::abs(prod);
          }
          y[i * N + j] = acc;
          scale[i * N + j] = mag;
        }
      return std::make_pair(y, scale);
    };
    auto worst_excess = [&](const std::pair<std::vector<double>, std::vector<double>>& ref) {
      double worst = -INFINITY, max_err = 0;
      for (size_t i = 0; i < gpu.size(); ++i) {
        const double err = std::abs(gpu[i] - ref.first[i]);
        const double tol = static_cast<double>(K + 1) * 0x1p-23 * ref.second[i];
        worst = std::max(worst, std::isnan(err) ? INFINITY : err - tol);
        max_err = std::max(max_err, err);
      }
      return std::make_pair(worst, max_err);
    };
    const auto [rne_excess, rne_err] = worst_excess(emulate(false));
    const auto [trunc_excess, trunc_err] = worst_excess(emulate(true));
    const bool rne = rne_excess <= 0, trunc = trunc_excess <= 0;
    MESSAGE(matmul_precision_name(p) << " operand conversion on this GPU: "
                                     << (rne     ? "round to nearest even"
                                         : trunc ? "truncation"
                                                 : "neither emulation")
                                     << " (max |gpu - emulation|: nearest even " << rne_err
                                     << ", truncation " << trunc_err << ")");
    CHECK((rne || trunc));
  }
}

TEST_CASE("gpu: a graph-mode run saved and resumed continues as if it had not stopped") {
  DG_REQUIRE_GPU();
  test::TempDir dir("gpu_graph_resume");
  const std::string path = dir.file("ckpt.safetensors");
  const TrainConfig cfg = graph_config(Regularizer::DivBal);
  Trainer a = gpu_trainer(cfg);
  a.set_graph_mode(true);
  for (int i = 0; i < 4; ++i) a.step();  // two eager, the capture, one replay
  a.save(path);
  for (int i = 0; i < 3; ++i) a.step();

  Models mb = make_models(read_checkpoint_config(path));
  mb.g->to(Device::CUDA);
  mb.d->to(Device::CUDA);
  Trainer b(read_checkpoint_config(path), graph_data(), mb);
  b.load(path);
  b.set_graph_mode(true);
  for (int i = 0; i < 3; ++i) b.step();  // two eager steps and the capture: same arithmetic
  CHECK(b.steps_done() == a.steps_done());
  CHECK(test::model_state(a.models()) == test::model_state(b.models()));
}
