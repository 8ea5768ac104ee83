// upsample_nearest2d and max_pool2d: shape checks, dispatch, and backward (kernels/cpu/pool.h).
#include "kernels/cpu/pool.h"

#include "engine/ops.h"
#include "kernels/cuda/pool.h"
#include "kernels/cuda/runtime.h"

namespace dg {

namespace {

void check_image(const Tensor& x, const char* op) {
  check_defined(x, op, "x");
  DG_CHECK(x.dim() == 4, op << ": x must be 4-D (N,C,H,W), got shape " << shape_str(x.shape()));
}

Tensor upsample_backward(const Tensor& gy, const Shape& x_shape, int64_t scale) {
  const char* op = "upsample_nearest2d_backward";
  Tensor gx = Tensor::empty(x_shape, gy.dtype(), gy.device());
  if (gy.device() == Device::CUDA) {
    cuda::upsample_nearest2d_backward(gy.data<float>(), gx.data<float>(), x_shape[0] * x_shape[1],
                                      x_shape[2], x_shape[3], scale);
    return gx;
  }
  DG_DISPATCH_FLOAT(gy.dtype(), op, [&] {
    cpu::upsample_nearest2d_backward<T>(gy.data<T>(), gx.data<T>(), x_shape[0] * x_shape[1],
                                        x_shape[2], x_shape[3], scale);
  });
  return gx;
}

Tensor max_pool_backward(const Tensor& x, const Tensor& gy, const cpu::PoolGeometry& g) {
  const char* op = "max_pool2d_backward";
  Tensor gx = Tensor::empty(x.shape(), gy.dtype(), gy.device());
  if (gy.device() == Device::CUDA) {
    cuda::max_pool2d_backward(x.data<float>(), gy.data<float>(), gx.data<float>(), g);
    return gx;
  }
  DG_DISPATCH_FLOAT(gy.dtype(), op, [&] {
    cpu::max_pool2d_backward<T>(x.data<T>(), gy.data<T>(), gx.data<T>(), g);
  });
  return gx;
}

}  // namespace

Tensor upsample_nearest2d(const Tensor& x, int64_t scale) {
  const char* op = "upsample_nearest2d";
  check_image(x, op);
  DG_CHECK(scale >= 1, op << ": scale must be >= 1, got " << scale);
  const Shape xs = x.shape();
  Tensor y = Tensor::empty({xs[0], xs[1], xs[2] * scale, xs[3] * scale}, x.dtype(), x.device());
  if (x.device() == Device::CUDA) {
    cuda::upsample_nearest2d_forward(x.data<float>(), y.data<float>(), xs[0] * xs[1], xs[2], xs[3],
                                     scale);
  } else {
    DG_DISPATCH_FLOAT(x.dtype(), op, [&] {
      cpu::upsample_nearest2d_forward<T>(x.data<T>(), y.data<T>(), xs[0] * xs[1], xs[2], xs[3],
                                         scale);
    });
  }
  if (needs_grad(x)) {
    record(y, op, {x}, [xs, scale](const Tensor& gy) -> std::vector<Tensor> {
      return {upsample_backward(gy, xs, scale)};
    });
  }
  return y;
}

Tensor max_pool2d(const Tensor& x, int64_t kernel, int64_t stride) {
  const char* op = "max_pool2d";
  check_image(x, op);
  DG_CHECK(kernel >= 1, op << ": kernel must be >= 1, got " << kernel);
  DG_CHECK(stride >= 0, op << ": stride must be >= 1 (or 0 for stride = kernel), got " << stride);
  cpu::PoolGeometry g;
  g.planes = x.size(0) * x.size(1), g.H = x.size(2), g.W = x.size(3);
  g.kernel = kernel, g.stride = stride == 0 ? kernel : stride;
  DG_CHECK(g.H >= kernel && g.W >= kernel, op << ": window " << kernel << "x" << kernel
                                              << " is larger than the input " << g.H << "x" << g.W
                                              << " (x " << shape_str(x.shape()) << ")");
  g.Ho = (g.H - kernel) / g.stride + 1;
  g.Wo = (g.W - kernel) / g.stride + 1;
  Tensor y = Tensor::empty({x.size(0), x.size(1), g.Ho, g.Wo}, x.dtype(), x.device());
  if (x.device() == Device::CUDA) {
    cuda::max_pool2d_forward(x.data<float>(), y.data<float>(), g);
  } else {
    DG_DISPATCH_FLOAT(x.dtype(), op,
                      [&] { cpu::max_pool2d_forward<T>(x.data<T>(), y.data<T>(), g); });
  }
  if (needs_grad(x)) {
    // The argmax is found again in backward from x rather than kept as an index tensor.
    Tensor xd = x.detach();
    record(y, op, {x}, [xd, g](const Tensor& gy) -> std::vector<Tensor> {
      return {max_pool_backward(xd, gy, g)};
    });
  }
  return y;
}

}  // namespace dg
