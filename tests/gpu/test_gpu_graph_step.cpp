// The CUDA-graph training step (engine/graph.h, Trainer::set_graph_mode): for every regularizer,
// the replayed steps give the eager step's losses bit for bit (same seed, deterministic kernels:
// dropout offsets and Adam's bias corrections come from the per-replay slots), the models end in
// the same state, the replay allocates no device memory, and the captured graph is not empty.
// Also the reduced-precision GEMMs against the CPU's emulation of them.
// Run: build-cuda/dg_tests -tc="gpu: graph*"
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
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
  c.dataset = "zdc";
  c.generator = "original";
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
    std::vector<double> a, b;
    uint64_t before_capture = 0, after_capture = 0;
    for (int step = 0; step < 6; ++step) {
      if (step == 2) before_capture = cuda::allocator_stats().cuda_malloc_count;
      const StepStats x = eager.step(), y = graph.step();
      for (double v : {x.loss_d, x.loss_g_adv, x.loss_div}) a.push_back(v);
      for (double v : {y.loss_d, y.loss_g_adv, y.loss_div}) b.push_back(v);
      if (step == 2) after_capture = cuda::allocator_stats().cuda_malloc_count;
    }
    CHECK(graph.graph_mode());
    CHECK(graph.graph_kernel_nodes() > 0);
    // The warm-up left every block the captured step needs in the cache; replays allocate nothing.
    CHECK(after_capture == before_capture);
    CHECK(cuda::allocator_stats().cuda_malloc_count == after_capture);
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

TEST_CASE("gpu: TF32 and BF16 GEMMs match the CPU's emulation of them") {
  DG_REQUIRE_GPU();
  Philox rng(3, 0);
  Tensor x = rng.normal({64, 300}), w = rng.normal({96, 300}), bias = rng.normal({96});
  for (MatmulPrecision p : {MatmulPrecision::TF32, MatmulPrecision::BF16}) {
    CAPTURE(matmul_precision_name(p));
    MatmulPrecisionGuard guard(p);
    const std::vector<double> cpu = linear(x, w, bias).to_vector();
    const std::vector<double> gpu =
        linear(x.to(Device::CUDA), w.to(Device::CUDA), bias.to(Device::CUDA)).to_vector();
    // Products of rounded operands are exact in float32 on both sides; the order of the float32
    // sums differs, and cuBLAS' TF32 operand conversion need not round to nearest even (one TF32
    // ulp per operand: hence the wider TF32 tolerance).
    const double tol = p == MatmulPrecision::TF32 ? 2e-2 : 1e-3;
    double worst = 0;
    for (size_t i = 0; i < cpu.size(); ++i) worst = std::max(worst, std::abs(cpu[i] - gpu[i]));
    INFO("max |cpu - gpu| = " << worst);
    CHECK(worst <= tol);
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
