// The caching device allocator: freed blocks are reused (no new cudaMalloc), size classes round
// nearby sizes together, counters add up; a small fixed-shape training step (linear, leaky-ReLU,
// BCE, diversity, Adam) stops calling cudaMalloc after its second run and gives bitwise-identical
// losses when repeated from the same state; the DG_CUDA_SYNC debug mode runs ops unchanged.
// Run: build-cuda/dg_tests -tc="gpu: allocator*,gpu: training step*"
#include <doctest/doctest.h>

#include <cstring>

#include "engine/optim.h"
#include "tests/gpu/gpu_parity.h"

using namespace dg;
using namespace dg::test;

TEST_CASE("gpu: allocator reuses freed blocks") {
  DG_REQUIRE_GPU();
  { Tensor warm = Tensor::empty({1}, DType::F32, Device::CUDA); }  // creates the context
  const cuda::AllocatorStats s0 = cuda::allocator_stats();
  const void* first = nullptr;
  {
    Tensor a = Tensor::empty({1000}, DType::F32, Device::CUDA);
    first = a.raw();
    const cuda::AllocatorStats s1 = cuda::allocator_stats();
    CHECK(s1.active_bytes >= s0.active_bytes + 4000);
    CHECK(s1.peak_active_bytes >= s1.active_bytes);
    CHECK(s1.reserved_bytes >= s1.active_bytes);
  }
  const cuda::AllocatorStats s2 = cuda::allocator_stats();
  CHECK(s2.active_bytes == s0.active_bytes);
  {
    // 1001 floats fall in the same size class as 1000: the block comes back from the free list.
    Tensor b = Tensor::empty({1001}, DType::F32, Device::CUDA);
    const cuda::AllocatorStats s3 = cuda::allocator_stats();
    CHECK(b.raw() == first);
    CHECK(s3.cuda_malloc_count == s2.cuda_malloc_count);
    CHECK(s3.cache_hits == s2.cache_hits + 1);
    CHECK(s3.alloc_count == s2.alloc_count + 1);
  }
  cuda::empty_cache();
  const cuda::AllocatorStats s4 = cuda::allocator_stats();
  CHECK(s4.cuda_free_count > s2.cuda_free_count);
  CHECK(s4.reserved_bytes == s4.active_bytes);
  cuda::reset_peak_memory();
  CHECK(cuda::allocator_stats().peak_active_bytes == s4.active_bytes);
}

namespace {

// A tiny D-like network and step; returns the loss (a host float, read after the step).
struct TinyStep {
  Tensor w1, b1, w2, b2;
  nn::NamedTensors params() { return {{"w1", w1}, {"b1", b1}, {"w2", w2}, {"b2", b2}}; }
  float run(Adam& opt, const Tensor& x, const Tensor& x2, const Tensor& z1, const Tensor& z2,
            const Tensor& wdiv) {
    opt.zero_grad();
    Tensor h1 = leaky_relu(linear(x, w1, b1), 0.2);
    Tensor h2 = leaky_relu(linear(x2, w1, b1), 0.2);
    Tensor logits = linear(h1, w2, b2);
    Tensor loss = add(bce_with_logits(logits, 1.0),
                      mul(diversity_loss(h1, h2, z1, z2, wdiv, DiversityMode::kRatioInverse), 0.1));
    loss.backward();
    opt.step();
    return static_cast<float>(loss.item());
  }
};

}  // namespace

TEST_CASE("gpu: training step allocates nothing after its second run, and repeats bitwise") {
  DG_REQUIRE_GPU();
  auto make = [] {
    TinyStep t;
    t.w1 = uniform32({64, 19}, -0.2, 0.2, 1).to(Device::CUDA).set_requires_grad(true);
    t.b1 = uniform32({64}, -0.2, 0.2, 2).to(Device::CUDA).set_requires_grad(true);
    t.w2 = uniform32({1, 64}, -0.1, 0.1, 3).to(Device::CUDA).set_requires_grad(true);
    t.b2 = uniform32({1}, -0.1, 0.1, 4).to(Device::CUDA).set_requires_grad(true);
    return t;
  };
  Tensor x = uniform32({256, 19}, -1.0, 1.0, 5).to(Device::CUDA);
  Tensor x2 = uniform32({256, 19}, -1.0, 1.0, 6).to(Device::CUDA);
  Tensor z1 = uniform32({256, 10}, -1.0, 1.0, 7).to(Device::CUDA);
  Tensor z2 = uniform32({256, 10}, -1.0, 1.0, 8).to(Device::CUDA);
  Tensor wdiv = uniform32({256}, 0.5, 1.0, 9).to(Device::CUDA);

  std::vector<float> first_run, second_run;
  for (auto* losses : {&first_run, &second_run}) {
    TinyStep net = make();
    Adam opt(net.params(), AdamOptions{});
    // Two runs first: the second is the first one with gradients and Adam moments alive from
    // before (backward then accumulates through temporaries the first run did not need).
    for (int step = 0; step < 2; ++step) losses->push_back(net.run(opt, x, x2, z1, z2, wdiv));
    const uint64_t mallocs = cuda::allocator_stats().cuda_malloc_count;
    for (int step = 0; step < 3; ++step) losses->push_back(net.run(opt, x, x2, z1, z2, wdiv));
    CHECK(cuda::allocator_stats().cuda_malloc_count == mallocs);
  }
  REQUIRE(first_run.size() == second_run.size());
  CHECK(std::memcmp(first_run.data(), second_run.data(), first_run.size() * sizeof(float)) == 0);
}

TEST_CASE("gpu: DG_CUDA_SYNC debug mode runs ops unchanged") {
  DG_REQUIRE_GPU();
  const bool was = cuda::sync_launches();
  cuda::set_sync_launches(true);
  CHECK(cuda::sync_launches());
  Tensor x = uniform32({256, 64}, -1.0, 1.0, 3);
  parity(
      "sigmoid under sync", [](const std::vector<Tensor>& v) { return sigmoid(v[0]); }, {x},
      kElementwise, kElementwise);
  cuda::set_sync_launches(was);
}
