// Broadcasting add/sub/mul/div with gradients summed over broadcast dimensions.
#include "kernels/cpu/elementwise.h"

#include <algorithm>

#include "engine/ops.h"
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/runtime.h"

namespace dg {

namespace {

// Element strides of `in` (of shape `s`) against the broadcast output shape `out`.
std::vector<int64_t> broadcast_strides(const Shape& s, const Shape& out) {
  std::vector<int64_t> st(out.size(), 0);
  int64_t stride = 1;
  for (int64_t i = static_cast<int64_t>(s.size()) - 1, o = static_cast<int64_t>(out.size()) - 1;
       i >= 0; --i, --o) {
    st[o] = s[i] == 1 ? 0 : stride;
    stride *= s[i];
  }
  return st;
}

Tensor binary(cpu::BinaryOp op, const Tensor& a, const Tensor& b, const char* name) {
  check_defined(a, name, "a");
  check_defined(b, name, "b");
  check_same_device(a, b, name);
  check_same_dtype(a, b, name);
  Shape out_shape = broadcast_shape(a.shape(), b.shape(), name);
  Tensor out = Tensor::empty(out_shape, a.dtype(), a.device());
  auto as = broadcast_strides(a.shape(), out_shape), bs = broadcast_strides(b.shape(), out_shape);
  if (a.device() == Device::CUDA) {
    cuda::binary_forward(op, a.data<float>(), b.data<float>(), out.data<float>(), out_shape, as,
                         bs);
    return out;
  }
  DG_DISPATCH_FLOAT(a.dtype(), name, [&] {
    cpu::binary_forward<T>(op, a.data<T>(), b.data<T>(), out.data<T>(), out_shape, as, bs);
  });
  return out;
}

}  // namespace

Shape broadcast_shape(const Shape& a, const Shape& b, const char* op) {
  size_t nd = std::max(a.size(), b.size());
  Shape out(nd);
  for (size_t i = 0; i < nd; ++i) {
    int64_t da = i < nd - a.size() ? 1 : a[i - (nd - a.size())];
    int64_t db = i < nd - b.size() ? 1 : b[i - (nd - b.size())];
    DG_CHECK(da == db || da == 1 || db == 1,
             op << ": shapes " << shape_str(a) << " and " << shape_str(b) << " do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Tensor sum_to(const Tensor& g, const Shape& to) {
  if (g.shape() == to) return g;
  Tensor out = Tensor::empty(to, g.dtype(), g.device());
  auto st = broadcast_strides(to, g.shape());
  if (g.device() == Device::CUDA) {
    cuda::sum_to_forward(g.data<float>(), out.data<float>(), out.numel(), g.shape(), st);
    return out;
  }
  DG_DISPATCH_FLOAT(g.dtype(), "sum_to", [&] {
    cpu::sum_to_forward<T>(g.data<T>(), out.data<T>(), out.numel(), g.shape(), st);
  });
  return out;
}

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = binary(cpu::BinaryOp::Add, a, b, "add");
  if (needs_grad(a, b)) {
    Shape sa = a.shape(), sb = b.shape();
    record(out, "add", {a, b}, [sa, sb](const Tensor& g) -> std::vector<Tensor> {
      return {sum_to(g, sa), sum_to(g, sb)};
    });
  }
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = binary(cpu::BinaryOp::Sub, a, b, "sub");
  if (needs_grad(a, b)) {
    Shape sa = a.shape(), sb = b.shape();
    record(out, "sub", {a, b}, [sa, sb](const Tensor& g) -> std::vector<Tensor> {
      return {sum_to(g, sa), sum_to(neg(g), sb)};
    });
  }
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary(cpu::BinaryOp::Mul, a, b, "mul");
  if (needs_grad(a, b)) {
    Tensor ad = a.detach(), bd = b.detach();
    bool ga = a.requires_grad(), gb = b.requires_grad();
    record(out, "mul", {a, b}, [ad, bd, ga, gb](const Tensor& g) -> std::vector<Tensor> {
      return {ga ? sum_to(mul(g, bd), ad.shape()) : Tensor(),
              gb ? sum_to(mul(g, ad), bd.shape()) : Tensor()};
    });
  }
  return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = binary(cpu::BinaryOp::Div, a, b, "div");
  if (needs_grad(a, b)) {
    Tensor ad = a.detach(), bd = b.detach(), od = out.detach();
    bool ga = a.requires_grad(), gb = b.requires_grad();
    record(out, "div", {a, b}, [ad, bd, od, ga, gb](const Tensor& g) -> std::vector<Tensor> {
      Tensor gdb = div(g, bd);
      return {ga ? sum_to(gdb, ad.shape()) : Tensor(),
              gb ? sum_to(neg(mul(gdb, od)), bd.shape()) : Tensor()};
    });
  }
  return out;
}

namespace {
Tensor scale_shift(const Tensor& a, double scale, double shift, const char* name) {
  check_defined(a, name, "a");
  Tensor out = Tensor::empty(a.shape(), a.dtype(), a.device());
  if (a.device() == Device::CUDA) {
    cuda::scale_shift_forward(a.data<float>(), out.data<float>(), a.numel(),
                              static_cast<float>(scale), static_cast<float>(shift));
  } else {
    DG_DISPATCH_FLOAT(a.dtype(), name, [&] {
      cpu::scale_shift_forward<T>(a.data<T>(), out.data<T>(), a.numel(), T(scale), T(shift));
    });
  }
  if (needs_grad(a)) {
    record(out, name, {a}, [scale, name](const Tensor& g) -> std::vector<Tensor> {
      return {scale == 1.0 ? g : scale_shift(g, scale, 0.0, name)};
    });
  }
  return out;
}
}  // namespace

Tensor add(const Tensor& a, double s) { return scale_shift(a, 1.0, s, "add_scalar"); }
Tensor mul(const Tensor& a, double s) { return scale_shift(a, s, 0.0, "mul_scalar"); }
Tensor neg(const Tensor& a) { return scale_shift(a, -1.0, 0.0, "neg"); }

void add_(Tensor& a, const Tensor& b) {
  DG_CHECK(a.shape() == b.shape(),
           "add_: shapes " << shape_str(a.shape()) << " and " << shape_str(b.shape()));
  check_same_device(a, b, "add_");
  check_same_dtype(a, b, "add_");
  if (a.device() == Device::CUDA) {
    cuda::accumulate(a.data<float>(), b.data<float>(), a.numel());
    return;
  }
  DG_DISPATCH_FLOAT(a.dtype(), "add_",
                    [&] { cpu::accumulate<T>(a.data<T>(), b.data<T>(), a.numel()); });
}

}  // namespace dg
