// Gradient checks and values for broadcasting add/sub/mul/div and scalar forms.
#include "tests/gradcheck.h"

using namespace dg;
using dg::test::gradcheck;
using dg::test::rand_uniform;

TEST_CASE("broadcast add/sub/mul/div values") {
  Tensor a = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3}, DType::F64);
  Tensor b = Tensor::from_vector({10, 20, 30}, {3}, DType::F64);
  Tensor r = Tensor::from_vector({2, 4}, {2, 1}, DType::F64);
  CHECK(add(a, b).to_vector() == std::vector<double>{11, 22, 33, 14, 25, 36});
  CHECK(sub(a, r).to_vector() == std::vector<double>{-1, 0, 1, 0, 1, 2});
  CHECK(mul(a, r).to_vector() == std::vector<double>{2, 4, 6, 16, 20, 24});
  CHECK(div(a, Tensor::scalar(2, DType::F64)).to_vector() ==
        std::vector<double>{0.5, 1, 1.5, 2, 2.5, 3});
  CHECK_THROWS_WITH_AS(add(a, Tensor::zeros({2}, DType::F64)),
                       doctest::Contains("do not broadcast"), dg::Error);
}

TEST_CASE("gradcheck: binary ops with broadcasting") {
  const Shape shapes[][2] = {{{2, 3}, {2, 3}},
                             {{2, 3, 2, 2}, {1, 3, 1, 1}},
                             {{3, 4}, {3, 1}},
                             {{}, {2, 2}},
                             {{4}, {2, 1}}};
  unsigned seed = 1;
  for (auto& s : shapes) {
    CAPTURE(shape_str(s[0]));
    CAPTURE(shape_str(s[1]));
    Tensor a = rand_uniform(s[0], 0.5, 2.0, seed++), b = rand_uniform(s[1], 0.5, 2.0, seed++);
    gradcheck([](const std::vector<Tensor>& x) { return add(x[0], x[1]); }, {a, b});
    gradcheck([](const std::vector<Tensor>& x) { return sub(x[0], x[1]); }, {a, b});
    gradcheck([](const std::vector<Tensor>& x) { return mul(x[0], x[1]); }, {a, b});
    gradcheck([](const std::vector<Tensor>& x) { return div(x[0], x[1]); }, {a, b});
  }
}

TEST_CASE("gradcheck: scalar add/mul and neg") {
  Tensor a = rand_uniform({3, 2}, -1, 1, 7);
  gradcheck([](const std::vector<Tensor>& x) { return add(x[0], 2.5); }, {a});
  gradcheck([](const std::vector<Tensor>& x) { return mul(x[0], -1.5); }, {a});
  gradcheck([](const std::vector<Tensor>& x) { return neg(x[0]); }, {a});
}

TEST_CASE("a tensor used twice accumulates both gradients") {
  Tensor a = rand_uniform({4}, 0.5, 1.5, 3);
  gradcheck([](const std::vector<Tensor>& x) { return mul(add(x[0], x[0]), x[0]); }, {a});
}
