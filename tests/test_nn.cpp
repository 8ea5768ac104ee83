// nn modules: registration and dotted names, train/eval, PyTorch-default initialization, and
// module forward/backward checked against the ops they wrap.
// Run: build/dg_tests -tc="nn*"
#include <cmath>

#include "engine/nn/module.h"
#include "tests/gradcheck.h"

using namespace dg;
using dg::test::gradcheck;
using dg::test::rand_uniform;

namespace {

std::vector<std::string> names(const nn::NamedTensors& ts) {
  std::vector<std::string> out;
  for (auto& [n, t] : ts) out.push_back(n);
  return out;
}

double max_abs(const Tensor& t) {
  double m = 0;
  for (double v : t.to_vector()) m = std::max(m, std::abs(v));
  return m;
}

// Exposes the protected registration calls.
struct Custom : nn::Module {
  Custom() {
    register_parameter("alpha", Tensor::zeros({2}));
    register_buffer("count", Tensor::zeros({1}));
  }
  Tensor forward(const Tensor& x) override { return x; }
  void add_param(const std::string& n) { register_parameter(n, Tensor::zeros({1})); }
  void add_child(const std::string& n, std::shared_ptr<Module> m) {
    register_module(n, std::move(m));
  }
};

}  // namespace

TEST_CASE("nn: parameter names, counts and shapes of a small Sequential") {
  Philox init(1);
  nn::Sequential net;
  net.add(std::make_shared<nn::Linear>(4, 8, init))
      .add(std::make_shared<nn::BatchNorm>(8))
      .add(std::make_shared<nn::Reshape>(Shape{2, 2, 2}))
      .add(std::make_shared<nn::Conv2d>(2, 3, 3, init, Conv2dArgs{1, 1, 0}))
      .add(std::make_shared<nn::ConvTranspose2d>(3, 2, 4, init, Conv2dArgs{2, 1, 0}));
  CHECK(net.size() == 5);
  CHECK(names(net.named_parameters()) == std::vector<std::string>{"0.weight", "0.bias", "1.weight",
                                                                  "1.bias", "3.weight", "3.bias",
                                                                  "4.weight", "4.bias"});
  CHECK(names(net.named_buffers()) == std::vector<std::string>{"1.running_mean", "1.running_var"});
  // 4*8+8 + 8+8 + 3*2*3*3+3 + 3*2*4*4+2
  CHECK(net.num_parameters() == 40 + 16 + 57 + 98);
  CHECK(net.parameters().size() == 8);
  auto params = net.named_parameters();
  CHECK(params[0].second.shape() == Shape{8, 4});
  CHECK(params[4].second.shape() == Shape{3, 2, 3, 3});
  CHECK(params[6].second.shape() == Shape{3, 2, 4, 4});  // (in, out, k, k) as PyTorch
  for (auto& [n, t] : params) CHECK(t.requires_grad());
  for (auto& [n, t] : net.named_buffers()) CHECK_FALSE(t.requires_grad());

  Tensor x = rand_uniform({5, 4}, -1, 1, 3, DType::F32);
  Tensor y = net(x);
  CHECK(y.shape() == Shape{5, 2, 4, 4});
  sum(y).backward();
  for (auto& [n, t] : net.named_parameters()) {
    CAPTURE(n);
    CHECK(t.grad().defined());
  }
  net.zero_grad();
  for (auto& [n, t] : net.named_parameters()) CHECK_FALSE(t.grad().defined());

  // Nesting prefixes names recursively, in registration order.
  nn::Sequential outer;
  auto inner = std::make_shared<nn::Sequential>();
  inner->add(std::make_shared<nn::Linear>(2, 2, init, /*bias=*/false));
  inner->add(std::make_shared<nn::BatchNorm>(2, 0.1, 1e-5, /*affine=*/false));
  outer.add(std::make_shared<nn::Linear>(3, 2, init)).add(inner);
  CHECK(names(outer.named_parameters()) ==
        std::vector<std::string>{"0.weight", "0.bias", "1.0.weight"});
  CHECK(names(outer.named_buffers()) ==
        std::vector<std::string>{"1.1.running_mean", "1.1.running_var"});
}

TEST_CASE("nn: registration rejects duplicate and dotted names") {
  Custom m;
  CHECK(names(m.named_parameters()) == std::vector<std::string>{"alpha"});
  CHECK(names(m.named_buffers()) == std::vector<std::string>{"count"});
  CHECK_THROWS_WITH_AS(m.add_param("alpha"), doctest::Contains("'alpha' is already registered"),
                       dg::Error);
  CHECK_THROWS_WITH_AS(m.add_param("count"), doctest::Contains("'count' is already registered"),
                       dg::Error);
  CHECK_THROWS_WITH_AS(m.add_param("a.b"), doctest::Contains("invalid name 'a.b'"), dg::Error);
}

TEST_CASE("nn: train/eval propagates to every descendant") {
  Philox init(2);
  auto bn = std::make_shared<nn::BatchNorm>(3);
  auto inner = std::make_shared<nn::Sequential>();
  inner->add(bn);
  auto top = std::make_shared<Custom>();
  top->add_child("body", inner);
  CHECK(names(top->named_buffers()) ==
        std::vector<std::string>{"count", "body.0.running_mean", "body.0.running_var"});
  CHECK(bn->is_training());
  top->eval();
  CHECK_FALSE(top->is_training());
  CHECK_FALSE(inner->is_training());
  CHECK_FALSE(bn->is_training());
  top->train();
  CHECK(bn->is_training());

  // The mode reaches the op: training updates the running statistics, eval reads them.
  Tensor x = rand_uniform({6, 3}, 1, 3, 4, DType::F32);
  Tensor mean = bn->named_buffers()[0].second, var = bn->named_buffers()[1].second;
  (*bn)(x);
  auto m1 = mean.to_vector();
  for (double v : m1) CHECK(v > 0.05);  // 0.1 * batch mean, batch mean in (1, 3)
  top->eval();
  Tensor y = (*bn)(x);
  CHECK(mean.to_vector() == m1);
  auto xv = x.to_vector(), yv = y.to_vector(), mv = mean.to_vector(), vv = var.to_vector();
  for (int i = 0; i < 6; ++i)
    for (int c = 0; c < 3; ++c)
      CHECK(yv[i * 3 + c] ==
            doctest::Approx((xv[i * 3 + c] - mv[c]) / std::sqrt(vv[c] + 1e-5)).epsilon(1e-5));
}

TEST_CASE("nn: PyTorch default initialization bounds") {
  Philox init(7);
  nn::Linear lin(50, 40, init);
  double b = 1 / std::sqrt(50.0);
  CHECK(max_abs(lin.weight()) <= b);
  CHECK(max_abs(lin.weight()) > 0.95 * b);  // 2000 draws fill the interval
  REQUIRE(lin.bias() != nullptr);
  CHECK(max_abs(*lin.bias()) <= b);
  CHECK(max_abs(*lin.bias()) > 0.5 * b);

  nn::Conv2d conv(3, 4, 3, init);
  double bc = 1 / std::sqrt(3.0 * 3 * 3);
  CHECK(max_abs(conv.weight()) <= bc);
  CHECK(max_abs(conv.weight()) > 0.9 * bc);
  CHECK(max_abs(conv.named_parameters()[1].second) <= bc);

  // fan_in from weight dim 1 (the output channels): 5 * 4 * 4, tighter than 3 * 4 * 4 would give.
  nn::ConvTranspose2d convt(3, 5, 4, init);
  double bt = 1 / std::sqrt(5.0 * 4 * 4);
  CHECK(convt.weight().shape() == Shape{3, 5, 4, 4});
  CHECK(max_abs(convt.weight()) <= bt);
  CHECK(max_abs(convt.weight()) > 0.9 * bt);
  CHECK(max_abs(convt.named_parameters()[1].second) <= bt);

  nn::BatchNorm bn(4);
  auto p = bn.named_parameters(), buf = bn.named_buffers();
  CHECK(p[0].second.to_vector() == std::vector<double>(4, 1.0));
  CHECK(p[1].second.to_vector() == std::vector<double>(4, 0.0));
  CHECK(buf[0].second.to_vector() == std::vector<double>(4, 0.0));
  CHECK(buf[1].second.to_vector() == std::vector<double>(4, 1.0));

  // A seed fixes the weights; weights and bias draw different values.
  Philox i1(3), i2(3), i3(4);
  nn::Linear a(6, 5, i1), c(6, 5, i2), d(6, 5, i3);
  CHECK(a.weight().to_vector() == c.weight().to_vector());
  CHECK(a.bias()->to_vector() == c.bias()->to_vector());
  CHECK(a.weight().to_vector() != d.weight().to_vector());
  CHECK(a.weight().at(0) != a.bias()->at(0));
}

TEST_CASE("nn: Linear module equals dg::linear, forward and backward") {
  Philox init(5);
  nn::Linear lin(3, 4, init);
  Tensor x = rand_uniform({2, 3}, -1, 1, 8, DType::F32);
  Tensor y = lin(x), ref = linear(x, lin.weight(), *lin.bias());
  CHECK(y.to_vector() == ref.to_vector());

  // In double, the module's own parameters pass a finite-difference check: gradcheck perturbs the
  // tensors in place, and the module holds the very same storage.
  lin.to(DType::F64);
  CHECK(lin.weight().dtype() == DType::F64);
  CHECK(lin.weight().requires_grad());
  gradcheck([&](const std::vector<Tensor>& in) { return lin(in[0]); },
            {rand_uniform({2, 3}, -1, 1, 9), lin.weight(), *lin.bias()});
}

TEST_CASE("nn: conv modules and BatchNorm pass gradcheck through their parameters") {
  Philox init(6);
  nn::Conv2d conv(2, 3, 3, init, Conv2dArgs{1, 1, 0});
  nn::ConvTranspose2d convt(3, 2, 3, init, Conv2dArgs{2, 1, 1});
  nn::BatchNorm bn(3);
  conv.to(DType::F64);
  convt.to(DType::F64);
  bn.to(DType::F64);
  auto cp = conv.parameters(), tp = convt.parameters(), bp = bn.parameters();
  Tensor x = rand_uniform({2, 2, 4, 4}, -1, 1, 10);
  gradcheck([&](const std::vector<Tensor>& in) { return conv(in[0]); }, {x, cp[0], cp[1]});
  gradcheck([&](const std::vector<Tensor>& in) { return convt(in[0]); },
            {rand_uniform({1, 3, 3, 3}, -1, 1, 11), tp[0], tp[1]});
  bn.eval();  // eval mode: no running-stat updates while finite differences re-run forward
  gradcheck([&](const std::vector<Tensor>& in) { return bn(in[0]); },
            {rand_uniform({2, 3, 2, 2}, -1, 1, 12), bp[0], bp[1]});
}

TEST_CASE("nn: Dropout follows the mode and draws from the shared generator") {
  auto rng = std::make_shared<Philox>(9);
  nn::Dropout drop(0.5, rng);
  Tensor x = Tensor::full({4, 50}, 1.0);
  Tensor y = drop(x);
  int zeros = 0;
  for (double v : y.to_vector()) {
    CHECK((v == 0.0 || v == 2.0));
    zeros += v == 0.0;
  }
  CHECK(zeros > 60);
  CHECK(zeros < 140);
  CHECK(rng->offset() > 0);
  uint64_t off = rng->offset();
  drop.eval();
  CHECK(drop(x).to_vector() == x.to_vector());
  CHECK(rng->offset() == off);
  CHECK_THROWS_AS(nn::Dropout(1.0, rng), dg::Error);
}

TEST_CASE("nn: Reshape keeps the batch dimension") {
  nn::Reshape r(Shape{2, 3});
  Tensor x = rand_uniform({4, 6}, -1, 1, 1, DType::F32);
  Tensor y = r(x);
  CHECK(y.shape() == Shape{4, 2, 3});
  CHECK(y.to_vector() == x.to_vector());
  nn::Reshape flat(Shape{-1});
  CHECK(flat(y).shape() == Shape{4, 6});
}
