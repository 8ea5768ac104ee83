// dropout: identity cases, keep fraction and scaling, mask reproducibility, gradient check; the
// fused dropout + leaky ReLU against the unfused pair.
#include <algorithm>
#include <memory>
#include <string>

#include "engine/nn/module.h"
#include "engine/rng.h"
#include "tests/gradcheck.h"

using namespace dg;
using dg::test::gradcheck;
using dg::test::rand_off_zero;
using dg::test::rand_uniform;

TEST_CASE("dropout: eval and p = 0 are the identity and draw nothing") {
  Tensor x = rand_uniform({3, 4}, -1, 1, 1);
  Philox rng(5, 2);
  CHECK(dropout(x, 0.5, false, rng).to_vector() == x.to_vector());
  CHECK(dropout(x, 0.0, true, rng).to_vector() == x.to_vector());
  CHECK(rng.offset() == 2);
}

TEST_CASE("dropout: keep fraction, scaling and generator advance") {
  const int64_t n = 100000;
  const double p = 0.3;
  Tensor x = Tensor::full({n}, 2.0, DType::F64);
  Philox rng(17, 4);
  Tensor y = dropout(x, p, true, rng);
  CHECK(rng.offset() == 4 + n / 4);
  int64_t kept = 0;
  bool scaled = true;
  for (double v : y.to_vector()) {
    if (v != 0.0) {
      ++kept;
      scaled = scaled && std::abs(v - 2.0 / (1.0 - p)) < 1e-12;
    }
  }
  CHECK(scaled);
  CHECK(std::abs(static_cast<double>(kept) / n - (1.0 - p)) < 0.01);
  // float32 path: the same mask, the scale rounded once.
  Philox r32(17, 4);
  auto y32 = dropout(x.to(DType::F32), p, true, r32).to_vector();
  auto y64 = y.to_vector();
  for (int64_t i = 0; i < n; ++i)
    if ((y32[i] == 0.0) != (y64[i] == 0.0)) FAIL("float32 and float64 masks differ at " << i);
}

TEST_CASE("dropout: the mask is the uniform stream thresholded at 1 - p") {
  const double p = 0.4;
  Tensor x = Tensor::full({2, 5}, 1.0, DType::F64);
  Philox a(3, 9), b(3, 9), c(4, 9);
  auto ya = dropout(x, p, true, a).to_vector();
  auto u = b.uniform({10}, 0, 1, DType::F64).to_vector();
  for (size_t i = 0; i < u.size(); ++i) CHECK(ya[i] == (u[i] < 1.0 - p ? 1.0 / (1.0 - p) : 0.0));
  CHECK(a.offset() == b.offset());
  // Same seed and offset give the same mask; another seed, another mask.
  Philox a2(3, 9);
  CHECK(dropout(x, p, true, a2).to_vector() == ya);
  CHECK(dropout(Tensor::full({64}, 1.0, DType::F64), p, true, c).to_vector() !=
        dropout(Tensor::full({64}, 1.0, DType::F64), p, true, a2).to_vector());
  // Consecutive calls use fresh parts of the stream.
  Philox d(3, 9);
  auto first = dropout(Tensor::full({64}, 1.0, DType::F64), p, true, d).to_vector();
  CHECK(dropout(Tensor::full({64}, 1.0, DType::F64), p, true, d).to_vector() != first);
}

TEST_CASE("dropout: p outside [0, 1) is an error") {
  Tensor x = Tensor::zeros({4}, DType::F64);
  Philox rng(1);
  CHECK_THROWS_AS(dropout(x, 1.0, true, rng), dg::Error);
  CHECK_THROWS_AS(dropout(x, -0.1, true, rng), dg::Error);
  CHECK_THROWS_AS(dropout(x, 1.5, false, rng), dg::Error);
}

TEST_CASE("gradcheck: dropout with a fixed mask") {
  Tensor x = rand_uniform({5, 7}, -2, 2, 31);
  // A fresh generator per call: every evaluation draws the same mask.
  auto f = [](const std::vector<Tensor>& in) {
    Philox rng(1234, 8);
    return dropout(in[0], 0.35, true, rng);
  };
  gradcheck(f, {x});
  // The backward is exactly mask * scale: dL/dx of sum(y) is y / x.
  Tensor xr = x.clone().set_requires_grad();
  Philox rng(1234, 8);
  Tensor y = dropout(xr, 0.35, true, rng);
  sum(y).backward();
  auto g = xr.grad().to_vector(), yv = y.to_vector(), xv = x.to_vector();
  int zeros = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    CHECK(g[i] == doctest::Approx(yv[i] / xv[i]).epsilon(1e-12));
    zeros += g[i] == 0.0;
  }
  CHECK(zeros > 0);
  CHECK(zeros < static_cast<int>(g.size()));
}

TEST_CASE("dropout_leaky_relu: bitwise the unfused pair, forward, backward and generator advance") {
  for (DType dt : {DType::F32, DType::F64}) {
    CAPTURE(dtype_name(dt));
    Tensor x = rand_uniform({7, 13}, -2, 2, 41, dt);
    Tensor a = x.clone().set_requires_grad(), b = x.clone().set_requires_grad();
    Philox ra(99, 5), rb(99, 5);
    Tensor ya = dropout_leaky_relu(a, 0.3, 0.1, true, ra);
    Tensor yb = leaky_relu(dropout(b, 0.3, true, rb), 0.1);
    CHECK(ya.to_vector() == yb.to_vector());
    CHECK(ra.offset() == rb.offset());
    Tensor w = rand_uniform({7, 13}, -1, 1, 42, dt);
    sum(mul(ya, w)).backward();
    sum(mul(yb, w)).backward();
    CHECK(a.grad().to_vector() == b.grad().to_vector());
  }
  // No dropout (eval, p = 0) is the plain leaky ReLU and draws nothing.
  Tensor x = rand_uniform({5}, -1, 1, 43);
  Philox rng(1, 0);
  CHECK(dropout_leaky_relu(x, 0.2, 0.1, false, rng).to_vector() == leaky_relu(x, 0.1).to_vector());
  CHECK(rng.offset() == 0);
}

TEST_CASE("gradcheck: dropout_leaky_relu with a fixed mask") {
  Tensor x = rand_off_zero({6, 5}, 0.1, 2.0, 44);  // off the leaky ReLU's kink
  auto f = [](const std::vector<Tensor>& in) {
    Philox rng(777, 3);
    return dropout_leaky_relu(in[0], 0.4, 0.1, true, rng);
  };
  gradcheck(f, {x});
}

TEST_CASE("Sequential fuses Dropout + LeakyReLU without changing results or parameter names") {
  auto rng = std::make_shared<Philox>(5, 0);
  Philox init(3, 0);
  nn::Sequential s;
  s.add(std::make_shared<nn::Linear>(6, 8, init));
  s.add(std::make_shared<nn::Dropout>(0.25, rng));
  s.add(std::make_shared<nn::LeakyReLU>(0.1));
  s.add(std::make_shared<nn::Linear>(8, 2, init));
  s.train();
  Tensor x = rand_uniform({4, 6}, -1, 1, 45, DType::F32);
  const bool was = nn::fuse_activations();
  struct Run {
    std::vector<double> y, grad;
    uint64_t offset;
    std::vector<std::string> ops;  // the recorded nodes from the output back
  };
  auto run = [&](bool fuse) {
    nn::set_fuse_activations(fuse);
    rng->set_offset(0);
    for (auto& [n, p] : s.named_parameters()) p.zero_grad();
    Tensor y = s.forward(x);
    Run r{y.to_vector(), {}, rng->offset(), {}};
    for (auto node = y.grad_fn(); node;
         node = node->inputs.empty() ? nullptr : node->inputs[0].grad_fn())
      r.ops.push_back(node->name);
    sum(y).backward();
    r.grad = s.named_parameters().front().second.grad().to_vector();
    return r;
  };
  const Run fused = run(true), plain = run(false);
  nn::set_fuse_activations(was);
  CHECK(fused.y == plain.y);
  CHECK(fused.grad == plain.grad);
  CHECK(fused.offset == plain.offset);
  auto has = [](const Run& r, const std::string& op) {
    return std::find(r.ops.begin(), r.ops.end(), op) != r.ops.end();
  };
  CHECK(has(fused, "dropout_leaky_relu"));  // the fusion really happened...
  CHECK_FALSE(has(plain, "dropout_leaky_relu"));
  CHECK(has(plain, "dropout"));  // ... and switching it off really runs the pair
  CHECK(s.named_parameters().back().first == "3.bias");
}
