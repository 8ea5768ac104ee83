// Reductions: sum/mean over all elements (-> shape ()), per-row sum/mean ((N, ...) -> (N,)) and
// log_softmax over the last dim of (N, K).
#include "kernels/cpu/reduce.h"

#include "engine/ops.h"
#include "kernels/cuda/reduce.h"

namespace dg {

namespace {

Tensor reduce_all(const Tensor& x, bool average, const char* name) {
  check_defined(x, name, "x");
  const int64_t n = x.numel();
  DG_CHECK(!average || n > 0, name << ": argument 'x' is empty (shape " << shape_str(x.shape())
                                   << "), its mean is undefined");
  const double scale = average ? 1.0 / static_cast<double>(n) : 1.0;
  Tensor out = Tensor::empty({}, x.dtype(), x.device());
  if (x.device() == Device::CUDA)
    cuda::sum_all_forward(x.data<float>(), out.data<float>(), n, scale);
  else
    DG_DISPATCH_FLOAT(x.dtype(), name,
                      [&] { cpu::sum_all_forward<T>(x.data<T>(), out.data<T>(), n, scale); });
  if (needs_grad(x)) {
    Shape xs = x.shape();
    record(out, name, {x}, [xs, scale, name](const Tensor& g) -> std::vector<Tensor> {
      Tensor gx = Tensor::empty(xs, g.dtype(), g.device());
      if (g.device() == Device::CUDA) {
        cuda::sum_all_backward(g.data<float>(), gx.data<float>(), gx.numel(), scale);
        return {gx};
      }
      DG_DISPATCH_FLOAT(g.dtype(), name, [&] {
        cpu::sum_all_backward<T>(g.data<T>(), gx.data<T>(), gx.numel(), scale);
      });
      return {gx};
    });
  }
  return out;
}

Tensor reduce_rows(const Tensor& x, bool average, const char* name) {
  check_defined(x, name, "x");
  DG_CHECK(x.dim() >= 1, name << ": argument 'x' must have at least 1 dim (N, ...), got shape "
                              << shape_str(x.shape()));
  const int64_t rows = x.size(0);
  const int64_t cols = rows ? x.numel() / rows : 0;
  DG_CHECK(!average || cols > 0, name << ": rows of 'x' are empty (shape " << shape_str(x.shape())
                                      << "), their mean is undefined");
  const double scale = average ? 1.0 / static_cast<double>(cols) : 1.0;
  Tensor out = Tensor::empty({rows}, x.dtype(), x.device());
  if (x.device() == Device::CUDA)
    cuda::sum_rows_forward(x.data<float>(), out.data<float>(), rows, cols, scale);
  else
    DG_DISPATCH_FLOAT(x.dtype(), name, [&] {
      cpu::sum_rows_forward<T>(x.data<T>(), out.data<T>(), rows, cols, scale);
    });
  if (needs_grad(x)) {
    Shape xs = x.shape();
    record(out, name, {x}, [xs, rows, cols, scale, name](const Tensor& g) -> std::vector<Tensor> {
      Tensor gx = Tensor::empty(xs, g.dtype(), g.device());
      if (g.device() == Device::CUDA) {
        cuda::sum_rows_backward(g.data<float>(), gx.data<float>(), rows, cols, scale);
        return {gx};
      }
      DG_DISPATCH_FLOAT(g.dtype(), name, [&] {
        cpu::sum_rows_backward<T>(g.data<T>(), gx.data<T>(), rows, cols, scale);
      });
      return {gx};
    });
  }
  return out;
}

}  // namespace

Tensor sum(const Tensor& x) { return reduce_all(x, false, "sum"); }
Tensor mean(const Tensor& x) { return reduce_all(x, true, "mean"); }
Tensor sum_rows(const Tensor& x) { return reduce_rows(x, false, "sum_rows"); }
Tensor mean_rows(const Tensor& x) { return reduce_rows(x, true, "mean_rows"); }

Tensor log_softmax(const Tensor& x) {
  check_defined(x, "log_softmax", "x");
  DG_CHECK(
      x.dim() == 2 && x.size(1) > 0,
      "log_softmax: argument 'x' must be (N, K) with K >= 1, got shape " << shape_str(x.shape()));
  const int64_t rows = x.size(0), k = x.size(1);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  if (x.device() == Device::CUDA)
    cuda::log_softmax_forward(x.data<float>(), y.data<float>(), rows, k);
  else
    DG_DISPATCH_FLOAT(x.dtype(), "log_softmax",
                      [&] { cpu::log_softmax_forward<T>(x.data<T>(), y.data<T>(), rows, k); });
  if (needs_grad(x)) {
    // The softmax the gradient needs is exp(y); keeping y avoids keeping x as well.
    Tensor yd = y.detach();
    record(y, "log_softmax", {x}, [yd, rows, k](const Tensor& g) -> std::vector<Tensor> {
      Tensor gx = Tensor::empty(yd.shape(), g.dtype(), g.device());
      if (g.device() == Device::CUDA) {
        cuda::log_softmax_backward(yd.data<float>(), g.data<float>(), gx.data<float>(), rows, k);
        return {gx};
      }
      DG_DISPATCH_FLOAT(g.dtype(), "log_softmax", [&] {
        cpu::log_softmax_backward<T>(yd.data<T>(), g.data<T>(), gx.data<T>(), rows, k);
      });
      return {gx};
    });
  }
  return y;
}

}  // namespace dg
