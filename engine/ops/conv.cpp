// conv2d and conv_transpose2d: shape checks, dispatch (CUDA tensors: hand-written kernels or cuDNN
// by the run-time switch in kernels/cuda/runtime.h), and backward. Both ops are views of one
// convolution (kernels/cpu/conv.h), so each one's input gradient is the other op.
#include "kernels/cpu/conv.h"

#include <string>

#include "engine/ops.h"
#include "engine/precision.h"
#include "kernels/cuda/conv.h"
#include "kernels/cuda/cudnn.h"
#include "kernels/cuda/runtime.h"

namespace dg {

namespace {

// CUDA tensors go to cuDNN or to the hand-written kernels by the run-time switch (runtime.h).
bool use_cudnn(const char* op) {
  if (cuda::conv_backend() != cuda::ConvBackend::Cudnn) return false;
  DG_CHECK(matmul_precision() != MatmulPrecision::BF16,
           op << ": the cuDNN backend runs FP32 or TF32; matmul precision is bf16 (select the "
                 "hand-written backend)");
  return true;
}

// x, weight (and bias when defined) are 4-D / 4-D / 1-D on one device with one dtype.
void check_conv_args(const Tensor& x, const Tensor& weight, const Tensor& bias, Conv2dArgs a,
                     const char* op) {
  check_defined(x, op, "x");
  check_defined(weight, op, "weight");
  DG_CHECK(x.dim() == 4, op << ": x must be 4-D (N,C,H,W), got shape " << shape_str(x.shape()));
  DG_CHECK(weight.dim() == 4, op << ": weight must be 4-D ("
                                 << (std::string(op) == "conv2d" ? "O,C" : "C_in,C_out")
                                 << ",kh,kw), got shape " << shape_str(weight.shape()));
  check_same_device(x, weight, op);
  check_same_dtype(x, weight, op);
  if (bias.defined()) {
    check_same_device(x, bias, op);
    check_same_dtype(x, bias, op);
  }
  DG_CHECK(a.stride >= 1, op << ": stride must be >= 1, got " << a.stride);
  DG_CHECK(a.padding >= 0, op << ": padding must be >= 0, got " << a.padding);
  DG_CHECK(weight.size(2) >= 1 && weight.size(3) >= 1,
           op << ": empty kernel in weight of shape " << shape_str(weight.shape()));
}

void check_bias(const Tensor& bias, int64_t channels, const char* op) {
  if (!bias.defined()) return;
  DG_CHECK(bias.dim() == 1 && bias.size(0) == channels,
           op << ": bias must have shape (" << channels << ",), got " << shape_str(bias.shape()));
}

// The convolution y = conv(u, w) with u (N,C,H,W) and w (O,C,kh,kw) at stride s, padding p.
cpu::ConvGeometry geometry(const Shape& u, const Shape& w, int64_t s, int64_t p) {
  cpu::ConvGeometry g;
  g.N = u[0], g.C = u[1], g.H = u[2], g.W = u[3];
  g.O = w[0], g.kh = w[2], g.kw = w[3];
  g.stride = s, g.pad = p;
  g.Ho = (g.H + 2 * p - g.kh) / s + 1;
  g.Wo = (g.W + 2 * p - g.kw) / s + 1;
  return g;
}

// One direction of the convolution: `out` (out_shape) from the operands a and b on a's device, by
// cuDNN or the hand-written CUDA kernel (the backend switch), or by the CPU kernel on operands
// rounded for the matmul precision. The three directions differ only in their kernels.
using CudaConvFn = void (*)(const float*, const float*, float*, const cpu::ConvGeometry&,
                            MatmulPrecision);
template <class CpuFn>
Tensor run_direction(const Shape& out_shape, const Tensor& a, const Tensor& b,
                     const cpu::ConvGeometry& g, const char* op, CudaConvFn cudnn_fn,
                     CudaConvFn cuda_fn, CpuFn cpu_fn) {
  Tensor out = Tensor::empty(out_shape, a.dtype(), a.device());
  if (a.device() == Device::CUDA) {
    (use_cudnn(op) ? cudnn_fn : cuda_fn)(a.data<float>(), b.data<float>(), out.data<float>(), g,
                                         matmul_precision());
    return out;
  }
  const Tensor ar = cpu_matmul_operand(a), br = cpu_matmul_operand(b);
  DG_DISPATCH_FLOAT(a.dtype(), op, [&] { cpu_fn(ar.data<T>(), br.data<T>(), out.data<T>(), g); });
  return out;
}

// y (N,O,Ho,Wo) = conv(u, w).
Tensor run_forward(const Tensor& u, const Tensor& w, const cpu::ConvGeometry& g, const char* op) {
  return run_direction({g.N, g.O, g.Ho, g.Wo}, u, w, g, op, cuda::cudnn_conv2d_forward,
                       cuda::conv2d_forward, [](auto... args) { cpu::conv2d_forward(args...); });
}

// dL/du (N,C,H,W) of y = conv(u, w) given gy = dL/dy.
Tensor run_backward_data(const Tensor& gy, const Tensor& w, const cpu::ConvGeometry& g,
                         const char* op) {
  return run_direction({g.N, g.C, g.H, g.W}, gy, w, g, op, cuda::cudnn_conv2d_backward_data,
                       cuda::conv2d_backward_data,
                       [](auto... args) { cpu::conv2d_backward_data(args...); });
}

// dL/dw (O,C,kh,kw) of y = conv(u, w) given u (N,C,H,W) and gy = dL/dy (N,O,Ho,Wo).
Tensor conv_weight_grad(const Tensor& u, const Tensor& gy, const cpu::ConvGeometry& g,
                        const char* op) {
  return run_direction({g.O, g.C, g.kh, g.kw}, u, gy, g, op, cuda::cudnn_conv2d_backward_weight,
                       cuda::conv2d_backward_weight,
                       [](auto... args) { cpu::conv2d_backward_weight(args...); });
}

void add_channel_bias(Tensor& y, const Tensor& bias, const char* op) {
  if (!bias.defined()) return;
  if (y.device() == Device::CUDA) {
    cuda::channel_bias_forward(bias.data<float>(), y.data<float>(), y.size(0), y.size(1),
                               y.size(2) * y.size(3));
    return;
  }
  DG_DISPATCH_FLOAT(y.dtype(), op, [&] {
    cpu::channel_bias_forward<T>(bias.data<T>(), y.data<T>(), y.size(0), y.size(1),
                                 y.size(2) * y.size(3));
  });
}

// dL/dbias (C,) from dL/dy (N,C,H,W).
Tensor channel_bias_grad(const Tensor& gy, const char* op) {
  Tensor gb = Tensor::empty({gy.size(1)}, gy.dtype(), gy.device());
  if (gy.device() == Device::CUDA) {
    cuda::channel_bias_backward(gy.data<float>(), gb.data<float>(), gy.size(0), gy.size(1),
                                gy.size(2) * gy.size(3));
    return gb;
  }
  DG_DISPATCH_FLOAT(gy.dtype(), op, [&] {
    cpu::channel_bias_backward<T>(gy.data<T>(), gb.data<T>(), gy.size(0), gy.size(1),
                                  gy.size(2) * gy.size(3));
  });
  return gb;
}

// Records the backward of y = conv2d(x, weight) + bias (transposed: conv_transpose2d) on the
// convolution geometry g. dx is the other direction of the same convolution: for conv2d the
// transposed convolution of gy on the forward's geometry (which fixes the output size even where
// rows or columns beyond the last window would need an output_padding per axis); for
// conv_transpose2d, where gy sits on the convolution's input side and x on its output side, the
// convolution of gy. Only what each gradient needs is kept: the weight for dx, the input for dw.
void record_conv_backward(Tensor& y, const Tensor& x, const Tensor& weight, const Tensor& bias,
                          const cpu::ConvGeometry& g, const char* op, bool transposed) {
  if (!needs_grad({&x, &weight, &bias})) return;
  const bool gx = x.requires_grad(), gw = weight.requires_grad();
  const bool gb = bias.defined() && bias.requires_grad();
  Tensor wd = gx ? weight.detach() : Tensor(), xd = gw ? x.detach() : Tensor();
  record(y, op, {x, weight, bias}, [=](const Tensor& gy) -> std::vector<Tensor> {
    Tensor dx, dw, db;
    if (gx) dx = transposed ? run_forward(gy, wd, g, op) : run_backward_data(gy, wd, g, op);
    if (gw) dw = transposed ? conv_weight_grad(gy, xd, g, op) : conv_weight_grad(xd, gy, g, op);
    if (gb) db = channel_bias_grad(gy, op);
    return {dx, dw, db};
  });
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Conv2dArgs args) {
  const char* op = "conv2d";
  check_conv_args(x, weight, bias, args, op);
  DG_CHECK(args.output_padding == 0,
           op << ": output_padding is for conv_transpose2d only, got " << args.output_padding);
  DG_CHECK(weight.size(1) == x.size(1),
           op << ": weight has " << weight.size(1) << " input channels, x has " << x.size(1)
              << " (weight " << shape_str(weight.shape()) << ", x " << shape_str(x.shape()) << ")");
  check_bias(bias, weight.size(0), op);
  const int64_t s = args.stride, p = args.padding, kh = weight.size(2), kw = weight.size(3);
  DG_CHECK(x.size(2) + 2 * p >= kh && x.size(3) + 2 * p >= kw,
           op << ": kernel " << kh << "x" << kw << " is larger than the padded input "
              << x.size(2) + 2 * p << "x" << x.size(3) + 2 * p << " (x " << shape_str(x.shape())
              << ", padding " << p << ")");
  cpu::ConvGeometry g = geometry(x.shape(), weight.shape(), s, p);
  Tensor y = run_forward(x, weight, g, op);
  add_channel_bias(y, bias, op);

  record_conv_backward(y, x, weight, bias, g, op, /*transposed=*/false);
  return y;
}

Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
                        Conv2dArgs args) {
  const char* op = "conv_transpose2d";
  check_conv_args(x, weight, bias, args, op);
  DG_CHECK(weight.size(0) == x.size(1),
           op << ": weight has " << weight.size(0) << " input channels (dim 0), x has " << x.size(1)
              << " (weight " << shape_str(weight.shape()) << ", x " << shape_str(x.shape()) << ")");
  check_bias(bias, weight.size(1), op);
  const int64_t s = args.stride, p = args.padding, op_ = args.output_padding;
  DG_CHECK(op_ >= 0 && op_ < s,
           op << ": output_padding must be in [0, stride) = [0, " << s << "), got " << op_);
  const int64_t kh = weight.size(2), kw = weight.size(3);
  const int64_t Ho = (x.size(2) - 1) * s - 2 * p + kh + op_;
  const int64_t Wo = (x.size(3) - 1) * s - 2 * p + kw + op_;
  DG_CHECK(x.size(2) >= 1 && x.size(3) >= 1 && Ho >= 1 && Wo >= 1,
           op << ": output would be " << Ho << "x" << Wo << " for x " << shape_str(x.shape())
              << ", kernel " << kh << "x" << kw << ", stride " << s << ", padding " << p
              << ", output_padding " << op_);
  // The convolution whose input is this op's output: u (N,C_out,Ho,Wo), w (C_in,C_out,kh,kw).
  cpu::ConvGeometry g = geometry({x.size(0), weight.size(1), Ho, Wo}, weight.shape(), s, p);
  Tensor y = run_backward_data(x, weight, g, op);
  add_channel_bias(y, bias, op);

  record_conv_backward(y, x, weight, bias, g, op, /*transposed=*/true);
  return y;
}

}  // namespace dg
