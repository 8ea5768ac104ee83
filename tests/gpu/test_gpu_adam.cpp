// GPU parity of the fused multi-tensor Adam: more than one launch's worth of tensors (the kernel
// packs 32 per launch), sizes below, at and above one block's chunk, plain Adam, L2 decay and
// AdamW, three steps each, compared with the CPU float32 update.
// Run: build-cuda/dg_tests -tc="gpu: adam*"
#include <doctest/doctest.h>

#include "engine/optim.h"
#include "tests/gpu/gpu_parity.h"

using namespace dg;
using namespace dg::test;

TEST_CASE("gpu: fused Adam matches the CPU update") {
  DG_REQUIRE_GPU();
  const int64_t sizes[] = {1, 7, 256, 2048, 2049, 19 * 256, 64, 21632, 100000};
  AdamOptions variants[3];
  variants[0].lr = 1e-3;
  variants[1].lr = 2e-4;
  variants[1].beta1 = 0.5;
  variants[1].weight_decay = 0.01;
  variants[1].eps = 1e-7;
  variants[2].lr = 1e-3;
  variants[2].weight_decay = 0.05;
  variants[2].decoupled_weight_decay = true;
  for (int vi = 0; vi < 3; ++vi) {
    nn::NamedTensors cpu, gpu;
    unsigned seed = 100 * vi;
    for (int copy = 0; copy < 5; ++copy) {  // 45 tensors: two launches
      for (int64_t n : sizes) {
        Tensor p = uniform32({n}, -1.0, 1.0, seed++);
        const std::string name = "p" + std::to_string(cpu.size());
        Tensor pc = p.clone().set_requires_grad(true);
        Tensor pg = p.to(Device::CUDA).set_requires_grad(true);
        cpu.emplace_back(name, pc);
        gpu.emplace_back(name, pg);
      }
    }
    Adam oc(cpu, variants[vi]), og(gpu, variants[vi]);
    for (int step = 0; step < 3; ++step) {
      for (size_t i = 0; i < cpu.size(); ++i) {
        Tensor g = uniform32(cpu[i].second.shape(), -1.0, 1.0, seed++);
        cpu[i].second.set_grad(g);
        gpu[i].second.set_grad(g.to(Device::CUDA));
      }
      oc.step();
      og.step();
    }
    const auto sc = oc.named_state(), sg = og.named_state();
    for (size_t i = 0; i < cpu.size(); ++i) {
      const std::string what = "variant " + std::to_string(vi) + " " + cpu[i].first;
      check_close(gpu[i].second, cpu[i].second, {1e-6, 1e-5}, what + " parameter");
    }
    for (size_t i = 0; i < sc.size(); ++i)
      check_close(sg[i].second, sc[i].second, {1e-7, 1e-5},
                  "variant " + std::to_string(vi) + " " + sc[i].first);
  }
}
