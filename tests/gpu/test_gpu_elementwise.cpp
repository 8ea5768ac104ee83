// GPU parity of broadcasting add/sub/mul/div, the scalar ops, add_ and sum_to (the broadcasting
// backward), forward and backward, at ZDC shapes (batch 128/256, 64-d features, per-channel maps).
// Run: build-cuda/dg_tests -tc="gpu: elementwise*"
#include <doctest/doctest.h>

#include "tests/gpu/gpu_parity.h"

using namespace dg;
using namespace dg::test;

namespace {

void all_binary(const std::string& what, const Shape& sa, const Shape& sb, unsigned seed) {
  Tensor a = uniform32(sa, -2.0, 2.0, seed), b = uniform32(sb, -2.0, 2.0, seed + 1);
  Tensor den = off_zero32(sb, 0.5, 2.0, seed + 2);  // division stays away from 0
  parity(
      what + " add", [](const std::vector<Tensor>& x) { return add(x[0], x[1]); }, {a, b},
      kElementwise, kElementwise);
  parity(
      what + " sub", [](const std::vector<Tensor>& x) { return sub(x[0], x[1]); }, {a, b},
      kElementwise, kElementwise);
  parity(
      what + " mul", [](const std::vector<Tensor>& x) { return mul(x[0], x[1]); }, {a, b},
      kElementwise, kElementwise);
  parity(what + " div", [](const std::vector<Tensor>& x) { return div(x[0], x[1]); }, {a, den},
         kElementwise, {1e-5, 1e-5});
}

}  // namespace

TEST_CASE("gpu: elementwise binary ops, same shape (ZDC features)") {
  DG_REQUIRE_GPU();
  all_binary("(128,64)", {128, 64}, {128, 64}, 1);
  all_binary("(256,64)", {256, 64}, {256, 64}, 5);
}

TEST_CASE("gpu: elementwise binary ops broadcast scalars, rows and channels") {
  DG_REQUIRE_GPU();
  all_binary("scalar ()", {256, 64}, {}, 11);
  all_binary("scalar (1,)", {256, 10}, {1}, 15);
  all_binary("scalar on the left", {}, {128, 64}, 19);
  all_binary("per-row (N,1)", {256, 64}, {256, 1}, 23);
  all_binary("per-feature (64,)", {256, 64}, {64}, 27);
  all_binary("per-channel (1,C,1,1)", {16, 32, 11, 11}, {1, 32, 1, 1}, 31);
  all_binary("per-channel (C,1,1)", {8, 64, 22, 22}, {64, 1, 1}, 35);
  all_binary("outer (N,1) x (1,K)", {128, 1}, {1, 10}, 39);
  all_binary("middle (N,1,H,W) x (1,C,1,W)", {4, 1, 7, 9}, {1, 3, 1, 9}, 43);
}

TEST_CASE("gpu: scalar ops, neg and add_") {
  DG_REQUIRE_GPU();
  Tensor a = uniform32({256, 64}, -3.0, 3.0, 51);
  parity(
      "add scalar", [](const std::vector<Tensor>& x) { return add(x[0], 0.375); }, {a},
      kElementwise, kElementwise);
  parity(
      "mul scalar", [](const std::vector<Tensor>& x) { return mul(x[0], -1.7); }, {a}, kElementwise,
      kElementwise);
  parity(
      "neg", [](const std::vector<Tensor>& x) { return neg(x[0]); }, {a}, kElementwise,
      kElementwise);

  Tensor b = uniform32({256, 64}, -3.0, 3.0, 52);
  Tensor ref = a.to(DType::F64);
  add_(ref, b.to(DType::F64));
  Tensor ga = a.to(Device::CUDA).clone();
  add_(ga, b.to(Device::CUDA));
  check_close(ga, ref, kElementwise, "add_");
}

TEST_CASE("gpu: sum_to reduces broadcast dims") {
  DG_REQUIRE_GPU();
  struct Case {
    Shape from, to;
  };
  const Case cases[] = {{{256, 64}, {64}},
                        {{256, 64}, {256, 1}},
                        {{256, 64}, {}},
                        {{256, 64}, {1, 1}},
                        {{16, 32, 11, 11}, {1, 32, 1, 1}},
                        {{8, 64, 22, 22}, {64, 1, 1}},
                        {{4, 3, 7, 9}, {1, 3, 1, 9}},
                        {{128, 1, 44, 44}, {1}},
                        {{2, 3}, {2, 3}}};
  unsigned seed = 61;
  for (const Case& c : cases) {
    Tensor g = uniform32(c.from, -1.0, 1.0, seed++);
    PoisonGuard poison;
    Tensor ref = sum_to(g.to(DType::F64), c.to);
    Tensor got = sum_to(g.to(Device::CUDA), c.to);
    check_close(got, ref, {1e-5, 1e-5}, "sum_to " + shape_str(c.from) + " -> " + shape_str(c.to));
  }
}
