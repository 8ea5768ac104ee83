// conv2d and conv_transpose2d: values against direct loops, the adjoint identity, gradient checks,
// the ZDC layer shapes and the shape errors. Run: build/dg_tests -tc="*conv*"
#include <cmath>
#include <random>

#include "tests/gradcheck.h"

using namespace dg;
using dg::test::gradcheck;
using dg::test::rand_uniform;

namespace {

// Direct-loop references in double, written from the definitions and independent of im2col.
// x (N,C,H,W), w (O,C,kh,kw), b (O,) or empty -> (N,O,Ho,Wo).
std::vector<double> naive_conv2d(const std::vector<double>& x, const Shape& xs,
                                 const std::vector<double>& w, const Shape& ws,
                                 const std::vector<double>& b, int64_t s, int64_t p, Shape* ys) {
  const int64_t N = xs[0], C = xs[1], H = xs[2], W = xs[3], O = ws[0], kh = ws[2], kw = ws[3];
  const int64_t Ho = (H + 2 * p - kh) / s + 1, Wo = (W + 2 * p - kw) / s + 1;
  *ys = {N, O, Ho, Wo};
  std::vector<double> y(N * O * Ho * Wo);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < O; ++o)
      for (int64_t oh = 0; oh < Ho; ++oh)
        for (int64_t ow = 0; ow < Wo; ++ow) {
          double acc = b.empty() ? 0.0 : b[o];
          for (int64_t c = 0; c < C; ++c)
            for (int64_t i = 0; i < kh; ++i)
              for (int64_t j = 0; j < kw; ++j) {
                int64_t ih = oh * s - p + i, iw = ow * s - p + j;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                acc += x[((n * C + c) * H + ih) * W + iw] * w[((o * C + c) * kh + i) * kw + j];
              }
          y[((n * O + o) * Ho + oh) * Wo + ow] = acc;
        }
  return y;
}

// x (N,Ci,H,W), w (Ci,Co,kh,kw), b (Co,) or empty: every input pixel scatters w * x onto the
// output window it maps to, cropped by the padding.
std::vector<double> naive_conv_transpose2d(const std::vector<double>& x, const Shape& xs,
                                           const std::vector<double>& w, const Shape& ws,
                                           const std::vector<double>& b, int64_t s, int64_t p,
                                           int64_t op, Shape* ys) {
  const int64_t N = xs[0], Ci = xs[1], H = xs[2], W = xs[3], Co = ws[1], kh = ws[2], kw = ws[3];
  const int64_t Ho = (H - 1) * s - 2 * p + kh + op, Wo = (W - 1) * s - 2 * p + kw + op;
  *ys = {N, Co, Ho, Wo};
  std::vector<double> y(N * Co * Ho * Wo, 0.0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t co = 0; co < Co; ++co)
      for (int64_t k = 0; k < Ho * Wo; ++k)
        y[(n * Co + co) * Ho * Wo + k] = b.empty() ? 0.0 : b[co];
  for (int64_t n = 0; n < N; ++n)
    for (int64_t ci = 0; ci < Ci; ++ci)
      for (int64_t ih = 0; ih < H; ++ih)
        for (int64_t iw = 0; iw < W; ++iw)
          for (int64_t co = 0; co < Co; ++co)
            for (int64_t i = 0; i < kh; ++i)
              for (int64_t j = 0; j < kw; ++j) {
                int64_t oh = ih * s - p + i, ow = iw * s - p + j;
                if (oh < 0 || oh >= Ho || ow < 0 || ow >= Wo) continue;
                y[((n * Co + co) * Ho + oh) * Wo + ow] +=
                    x[((n * Ci + ci) * H + ih) * W + iw] * w[((ci * Co + co) * kh + i) * kw + j];
              }
  return y;
}

// dL/dw (O,C,kh,kw) of y = conv2d(x, w) given gy (N,O,Ho,Wo).
std::vector<double> naive_conv2d_weight_grad(const std::vector<double>& x, const Shape& xs,
                                             const std::vector<double>& gy, const Shape& ys,
                                             int64_t kh, int64_t kw, int64_t s, int64_t p) {
  const int64_t N = xs[0], C = xs[1], H = xs[2], W = xs[3], O = ys[1], Ho = ys[2], Wo = ys[3];
  std::vector<double> gw(O * C * kh * kw, 0.0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < O; ++o)
      for (int64_t oh = 0; oh < Ho; ++oh)
        for (int64_t ow = 0; ow < Wo; ++ow)
          for (int64_t c = 0; c < C; ++c)
            for (int64_t i = 0; i < kh; ++i)
              for (int64_t j = 0; j < kw; ++j) {
                int64_t ih = oh * s - p + i, iw = ow * s - p + j;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                gw[((o * C + c) * kh + i) * kw + j] +=
                    gy[((n * O + o) * Ho + oh) * Wo + ow] * x[((n * C + c) * H + ih) * W + iw];
              }
  return gw;
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

void check_close(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  REQUIRE(got.size() == want.size());
  auto m = dg::test::max_abs_err(got, want);
  INFO("max |got - want| = " << m.err << " at " << m.index << " (" << m.a << " vs " << m.b << ")");
  CHECK(m.err <= tol);
}

struct ConvCase {
  int64_t N, C, O, H, W, kh, kw, stride, pad, out_pad;
};

std::string case_str(const ConvCase& c) {
  std::ostringstream os;
  os << "N" << c.N << " C" << c.C << " O" << c.O << " " << c.H << "x" << c.W << " k" << c.kh << "x"
     << c.kw << " s" << c.stride << " p" << c.pad << " op" << c.out_pad;
  return os.str();
}

// Covers stride 1/2/3, padding 0/1/2, non-square images and kernels, 1x1 kernels, and inputs whose
// last rows/columns no window reaches.
const ConvCase kConvCases[] = {
    {2, 2, 3, 5, 4, 3, 3, 1, 0, 0}, {2, 3, 2, 6, 5, 3, 3, 2, 1, 1}, {2, 2, 3, 5, 7, 3, 2, 1, 1, 0},
    {2, 3, 2, 7, 6, 3, 3, 2, 0, 1}, {2, 2, 2, 4, 3, 1, 1, 1, 0, 0}, {1, 2, 3, 8, 7, 2, 3, 3, 2, 2},
    {2, 3, 2, 4, 4, 3, 3, 2, 1, 0},
};

}  // namespace

TEST_CASE("conv2d forward matches a direct loop (double and float)") {
  unsigned seed = 10;
  for (const auto& c : kConvCases) {
    CAPTURE(case_str(c));
    Shape xs{c.N, c.C, c.H, c.W}, ws{c.O, c.C, c.kh, c.kw};
    Tensor x = rand_uniform(xs, -1, 1, seed++), w = rand_uniform(ws, -1, 1, seed++);
    Tensor b = rand_uniform({c.O}, -1, 1, seed++);
    Shape ys;
    auto want =
        naive_conv2d(x.to_vector(), xs, w.to_vector(), ws, b.to_vector(), c.stride, c.pad, &ys);
    PoisonGuard poison;
    Tensor y = conv2d(x, w, b, {c.stride, c.pad});
    REQUIRE(y.shape() == ys);
    check_close(y.to_vector(), want, 1e-12);
    Tensor yf = conv2d(x.to(DType::F32), w.to(DType::F32), b.to(DType::F32), {c.stride, c.pad});
    CHECK(yf.dtype() == DType::F32);
    check_close(yf.to_vector(), want, 1e-5);
    // Without bias.
    auto want0 = naive_conv2d(x.to_vector(), xs, w.to_vector(), ws, {}, c.stride, c.pad, &ys);
    check_close(conv2d(x, w, Tensor(), {c.stride, c.pad}).to_vector(), want0, 1e-12);
  }
}

TEST_CASE("conv_transpose2d forward matches a direct loop (double and float)") {
  unsigned seed = 20;
  for (const auto& c : kConvCases) {
    CAPTURE(case_str(c));
    // Here C is the transposed op's input channels and O its output channels.
    Shape xs{c.N, c.C, c.H, c.W}, ws{c.C, c.O, c.kh, c.kw};
    Tensor x = rand_uniform(xs, -1, 1, seed++), w = rand_uniform(ws, -1, 1, seed++);
    Tensor b = rand_uniform({c.O}, -1, 1, seed++);
    Conv2dArgs a{c.stride, c.pad, c.out_pad};
    Shape ys;
    auto want = naive_conv_transpose2d(x.to_vector(), xs, w.to_vector(), ws, b.to_vector(),
                                       c.stride, c.pad, c.out_pad, &ys);
    PoisonGuard poison;
    Tensor y = conv_transpose2d(x, w, b, a);
    REQUIRE(y.shape() == ys);
    check_close(y.to_vector(), want, 1e-12);
    Tensor yf = conv_transpose2d(x.to(DType::F32), w.to(DType::F32), b.to(DType::F32), a);
    check_close(yf.to_vector(), want, 1e-5);
  }
}

TEST_CASE(
    "conv2d and conv_transpose2d are adjoint: <conv2d(x,w), y> == <x, conv_transpose2d(y,w)>") {
  unsigned seed = 30;
  std::vector<ConvCase> cases(std::begin(kConvCases), std::end(kConvCases));
  // Sizes where one output_padding fits both axes, at strides 2 and 3.
  cases.push_back({2, 3, 2, 7, 9, 3, 3, 2, 1, 0});
  cases.push_back({2, 2, 3, 8, 6, 3, 3, 2, 1, 0});
  cases.push_back({1, 3, 2, 10, 7, 3, 3, 3, 0, 0});
  cases.push_back({2, 2, 2, 9, 11, 3, 2, 3, 1, 0});
  int checked = 0;
  for (const auto& c : cases) {
    CAPTURE(case_str(c));
    Tensor x = rand_uniform({c.N, c.C, c.H, c.W}, -1, 1, seed++);
    Tensor w = rand_uniform({c.O, c.C, c.kh, c.kw}, -1, 1, seed++);
    Tensor cx = conv2d(x, w, Tensor(), {c.stride, c.pad});
    Tensor y = rand_uniform(cx.shape(), -1, 1, seed++);
    // The output padding that maps the convolution's output size back onto H and W.
    const int64_t oph = (c.H + 2 * c.pad - c.kh) % c.stride;
    const int64_t opw = (c.W + 2 * c.pad - c.kw) % c.stride;
    if (oph != opw) continue;  // one output_padding serves both axes
    Tensor ty = conv_transpose2d(y, w, Tensor(), {c.stride, c.pad, oph});
    REQUIRE(ty.shape() == x.shape());
    double lhs = dot(cx.to_vector(), y.to_vector()), rhs = dot(x.to_vector(), ty.to_vector());
    CAPTURE(lhs);
    CAPTURE(rhs);
    CHECK(std::abs(lhs) > 1e-3);
    CHECK(std::abs(lhs - rhs) <= 1e-10 * std::abs(lhs));
    ++checked;
  }
  CHECK(checked >= 8);
}

TEST_CASE("gradcheck: conv2d w.r.t. x, weight and bias") {
  unsigned seed = 40;
  for (const auto& c : kConvCases) {
    CAPTURE(case_str(c));
    Tensor x = rand_uniform({c.N, c.C, c.H, c.W}, -1, 1, seed++);
    Tensor w = rand_uniform({c.O, c.C, c.kh, c.kw}, -1, 1, seed++);
    Tensor b = rand_uniform({c.O}, -1, 1, seed++);
    Conv2dArgs a{c.stride, c.pad, 0};
    gradcheck([a](const std::vector<Tensor>& t) { return conv2d(t[0], t[1], t[2], a); }, {x, w, b});
  }
}

TEST_CASE("gradcheck: conv_transpose2d w.r.t. x, weight and bias") {
  unsigned seed = 50;
  for (const auto& c : kConvCases) {
    CAPTURE(case_str(c));
    Tensor x = rand_uniform({c.N, c.C, c.H, c.W}, -1, 1, seed++);
    Tensor w = rand_uniform({c.C, c.O, c.kh, c.kw}, -1, 1, seed++);
    Tensor b = rand_uniform({c.O}, -1, 1, seed++);
    Conv2dArgs a{c.stride, c.pad, c.out_pad};
    gradcheck([a](const std::vector<Tensor>& t) { return conv_transpose2d(t[0], t[1], t[2], a); },
              {x, w, b});
  }
}

TEST_CASE(
    "gradcheck: conv2d and conv_transpose2d without bias, and with only some inputs needing grad") {
  Tensor x = rand_uniform({2, 3, 6, 5}, -1, 1, 61), w = rand_uniform({2, 3, 3, 3}, -1, 1, 62);
  Tensor b = rand_uniform({2}, -1, 1, 63);
  auto conv = [](const std::vector<Tensor>& t) { return conv2d(t[0], t[1], Tensor(), {2, 1, 0}); };
  gradcheck(conv, {x, w});
  gradcheck(conv, {x, w}, 1e-6, 1e-7, 1e-5, {true, false});
  gradcheck(conv, {x, w}, 1e-6, 1e-7, 1e-5, {false, true});
  auto conv_b = [](const std::vector<Tensor>& t) { return conv2d(t[0], t[1], t[2], {1, 1, 0}); };
  gradcheck(conv_b, {x, w, b}, 1e-6, 1e-7, 1e-5, {false, false, true});
  Tensor wt = rand_uniform({3, 2, 3, 3}, -1, 1, 64);
  auto convt = [](const std::vector<Tensor>& t) {
    return conv_transpose2d(t[0], t[1], Tensor(), {2, 1, 1});
  };
  gradcheck(convt, {x, wt});
  gradcheck(convt, {x, wt}, 1e-6, 1e-7, 1e-5, {false, true});
}

TEST_CASE("conv2d backward over many images matches direct loops (threaded, blocked weight sum)") {
  // Large enough to run on several threads and to split the weight gradient into all its blocks
  // (10 images over 8 blocks: uneven).
  const int64_t N = 10, C = 16, O = 8, H = 26, W = 26;
  Shape xs{N, C, H, W}, ws{O, C, 3, 3};
  Tensor x = rand_uniform(xs, -1, 1, 71), w = rand_uniform(ws, -0.2, 0.2, 72);
  Tensor b = rand_uniform({O}, -1, 1, 73);
  Shape ys;
  auto yv = naive_conv2d(x.to_vector(), xs, w.to_vector(), ws, b.to_vector(), 1, 0, &ys);
  Tensor gy = rand_uniform(ys, -1, 1, 74);
  auto gw_want = naive_conv2d_weight_grad(x.to_vector(), xs, gy.to_vector(), ys, 3, 3, 1, 0);
  Shape gxs;
  auto gx_want = naive_conv_transpose2d(gy.to_vector(), ys, w.to_vector(), ws, {}, 1, 0, 0, &gxs);
  REQUIRE(gxs == xs);
  std::vector<double> gb_want(O, 0.0);
  auto gyv = gy.to_vector();
  for (int64_t k = 0; k < static_cast<int64_t>(gyv.size()); ++k)
    gb_want[(k / (24 * 24)) % O] += gyv[k];

  for (DType dt : {DType::F64, DType::F32}) {
    CAPTURE(dtype_name(dt));
    const double tol = dt == DType::F64 ? 1e-10 : 2e-3;
    PoisonGuard poison;
    Tensor xt = x.to(dt), wt = w.to(dt), bt = b.to(dt);
    xt.set_requires_grad();
    wt.set_requires_grad();
    bt.set_requires_grad();
    Tensor y = conv2d(xt, wt, bt, {});
    check_close(y.to_vector(), yv, dt == DType::F64 ? 1e-12 : 1e-4);
    y.backward(gy.to(dt));
    check_close(wt.grad().to_vector(), gw_want, tol);
    check_close(xt.grad().to_vector(), gx_want, dt == DType::F64 ? 1e-12 : 1e-5);
    check_close(bt.grad().to_vector(), gb_want, dt == DType::F64 ? 1e-9 : 1e-3);
  }
}

TEST_CASE("conv: ZDC generator and discriminator layer shapes, with sampled values") {
  // float32 at N=1; each convolution is checked at random output positions against a direct sum.
  std::mt19937_64 gen(81);
  auto sample_check = [&](const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& y) {
    const Shape& xs = x.shape();
    const Shape& ys = y.shape();
    const int64_t C = xs[1], H = xs[2], W = xs[3], kh = w.size(2), kw = w.size(3);
    const float* xp = x.data<float>();
    const float* wp = w.data<float>();
    const float* bp = b.data<float>();
    const float* yp = y.data<float>();
    std::uniform_int_distribution<int64_t> pick(0, y.numel() - 1);
    double worst = 0;
    for (int t = 0; t < 64; ++t) {
      int64_t k = pick(gen);
      int64_t ow = k % ys[3], oh = (k / ys[3]) % ys[2], o = (k / (ys[2] * ys[3])) % ys[1],
              n = k / (ys[1] * ys[2] * ys[3]);
      double acc = bp[o];
      for (int64_t c = 0; c < C; ++c)
        for (int64_t i = 0; i < kh; ++i)
          for (int64_t j = 0; j < kw; ++j)
            acc += double(xp[((n * C + c) * H + oh + i) * W + ow + j]) *
                   double(wp[((o * C + c) * kh + i) * kw + j]);
      worst = std::max(worst, std::abs(acc - double(yp[k])));
    }
    CHECK(worst <= 1e-4);
  };
  auto layer = [&](const Tensor& x, int64_t out_ch, unsigned seed) {
    Tensor w = rand_uniform({out_ch, x.size(1), 3, 3}, -0.1, 0.1, seed, DType::F32);
    Tensor b = rand_uniform({out_ch}, -0.1, 0.1, seed + 1, DType::F32);
    Tensor y = conv2d(x, w, b, {});
    sample_check(x, w, b, y);
    return y;
  };
  PoisonGuard poison;
  // Generator trunk.
  Tensor g0 = rand_uniform({1, 128, 26, 26}, -1, 1, 82, DType::F32);
  Tensor g1 = layer(g0, 128, 83);
  CHECK(g1.shape() == Shape{1, 128, 24, 24});
  Tensor g2 = upsample_nearest2d(g1, 2);
  CHECK(g2.shape() == Shape{1, 128, 48, 48});
  Tensor g3 = layer(g2, 64, 85);
  CHECK(g3.shape() == Shape{1, 64, 46, 46});
  Tensor g4 = layer(g3, 1, 87);
  CHECK(g4.shape() == Shape{1, 1, 44, 44});
  // Discriminator trunk.
  Tensor d1 = layer(g4, 32, 89);
  CHECK(d1.shape() == Shape{1, 32, 42, 42});
  Tensor d2 = max_pool2d(d1, 2);
  CHECK(d2.shape() == Shape{1, 32, 21, 21});
  Tensor d3 = layer(d2, 16, 91);
  CHECK(d3.shape() == Shape{1, 16, 19, 19});
  Tensor d4 = max_pool2d(d3, 2);
  CHECK(d4.shape() == Shape{1, 16, 9, 9});
  // "same" padding keeps the size.
  Tensor ws = rand_uniform({4, 1, 3, 3}, -1, 1, 93, DType::F32);
  CHECK(conv2d(g4, ws, Tensor(), {1, 1, 0}).shape() == Shape{1, 4, 44, 44});
}

TEST_CASE("conv2d / conv_transpose2d shape errors name the op, the argument and the shapes") {
  Tensor x = Tensor::zeros({2, 4, 8, 8}, DType::F64);
  Tensor w = Tensor::zeros({5, 4, 3, 3}, DType::F64);
  CHECK_THROWS_WITH_AS(conv2d(Tensor::zeros({4, 8, 8}, DType::F64), w, Tensor(), {}),
                       doctest::Contains("conv2d: x must be 4-D"), dg::Error);
  CHECK_THROWS_WITH_AS(conv2d(x, Tensor::zeros({5, 4, 3}, DType::F64), Tensor(), {}),
                       doctest::Contains("conv2d: weight must be 4-D"), dg::Error);
  CHECK_THROWS_WITH_AS(conv2d(x, Tensor::zeros({5, 3, 3, 3}, DType::F64), Tensor(), {}),
                       doctest::Contains("conv2d: weight has 3 input channels, x has 4"),
                       dg::Error);
  CHECK_THROWS_WITH_AS(conv2d(x, w, Tensor::zeros({4}, DType::F64), {}),
                       doctest::Contains("conv2d: bias must have shape (5,), got (4,)"), dg::Error);
  CHECK_THROWS_WITH_AS(conv2d(x, Tensor::zeros({5, 4, 9, 3}, DType::F64), Tensor(), {}),
                       doctest::Contains("larger than the padded input"), dg::Error);
  CHECK_THROWS_AS(conv2d(x, w, Tensor(), {0, 0, 0}), dg::Error);
  CHECK_THROWS_AS(conv2d(x, w, Tensor(), {1, -1, 0}), dg::Error);
  CHECK_THROWS_WITH_AS(conv2d(x, w, Tensor(), {2, 0, 1}),
                       doctest::Contains("output_padding is for conv_transpose2d only"), dg::Error);
  CHECK_THROWS_AS(conv2d(x, Tensor::zeros({5, 4, 3, 3}, DType::F32), Tensor(), {}), dg::Error);
  CHECK_THROWS_AS(conv2d(x, w, Tensor::zeros({5}, DType::F32), {}), dg::Error);

  Tensor wt = Tensor::zeros({4, 5, 3, 3}, DType::F64);
  CHECK_THROWS_WITH_AS(
      conv_transpose2d(x, Tensor::zeros({5, 4, 3, 3}, DType::F64), Tensor(), {}),
      doctest::Contains("conv_transpose2d: weight has 5 input channels (dim 0), x has 4"),
      dg::Error);
  CHECK_THROWS_WITH_AS(conv_transpose2d(Tensor::zeros({2, 4, 8}, DType::F64), wt, Tensor(), {}),
                       doctest::Contains("conv_transpose2d: x must be 4-D"), dg::Error);
  CHECK_THROWS_WITH_AS(conv_transpose2d(x, wt, Tensor::zeros({4}, DType::F64), {}),
                       doctest::Contains("conv_transpose2d: bias must have shape (5,), got (4,)"),
                       dg::Error);
  CHECK_THROWS_WITH_AS(conv_transpose2d(x, wt, Tensor(), {2, 0, 2}),
                       doctest::Contains("output_padding must be in [0, stride)"), dg::Error);
  CHECK_THROWS_AS(
      conv_transpose2d(Tensor::zeros({1, 4, 1, 1}, DType::F64), wt, Tensor(), {1, 2, 0}),
      dg::Error);
  CHECK(conv_transpose2d(x, wt, Tensor(), {2, 1, 1}).shape() == Shape{2, 5, 16, 16});
}
