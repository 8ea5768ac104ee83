// Dense layers: matmul (M,K) x (K,N) and linear (x W^T + b, PyTorch's weight layout). Gradients are
// computed only for the inputs that require them: the first layer's data input never does, and its
// GEMM would otherwise be wasted work every step.
#include "kernels/cpu/linear.h"

#include "engine/ops.h"
#include "engine/precision.h"
#include "kernels/cuda/linear.h"

namespace dg {

namespace {

// out = op(a) * op(b) as a new (m, n) tensor.
Tensor gemm_new(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const Tensor& a, const Tensor& b,
                const char* name) {
  Tensor out = Tensor::empty({m, n}, a.dtype(), a.device());
  if (a.device() == Device::CUDA) {
    cuda::gemm(ta, tb, m, n, k, a.data<float>(), b.data<float>(), out.data<float>(), false,
               matmul_precision());
    return out;
  }
  const Tensor ar = cpu_matmul_operand(a), br = cpu_matmul_operand(b);
  DG_DISPATCH_FLOAT(a.dtype(), name, [&] {
    cpu::gemm<T>(ta, tb, m, n, k, ar.data<T>(), br.data<T>(), out.data<T>(), false);
  });
  return out;
}

void check_matrix(const Tensor& t, const char* op, const char* arg, const char* layout) {
  check_defined(t, op, arg);
  DG_CHECK(t.dim() == 2, op << ": argument '" << arg << "' must be a matrix " << layout
                            << ", got shape " << shape_str(t.shape()));
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  check_matrix(a, "matmul", "a", "(M, K)");
  check_matrix(b, "matmul", "b", "(K, N)");
  check_same_device(a, b, "matmul");
  check_same_dtype(a, b, "matmul");
  const int64_t m = a.size(0), k = a.size(1), n = b.size(1);
  DG_CHECK(b.size(0) == k, "matmul: argument 'b' expected (" << k << ", N) to match a "
                                                             << shape_str(a.shape()) << ", got "
                                                             << shape_str(b.shape()));
  Tensor out = gemm_new(false, false, m, n, k, a, b, "matmul");
  if (needs_grad(a, b)) {
    bool ga = a.requires_grad(), gb = b.requires_grad();
    // Each gradient reads only the other operand.
    Tensor ad = gb ? a.detach() : Tensor(), bd = ga ? b.detach() : Tensor();
    record(out, "matmul", {a, b},
           [ad, bd, ga, gb, m, n, k](const Tensor& g) -> std::vector<Tensor> {
             return {ga ? gemm_new(false, true, m, k, n, g, bd, "matmul") : Tensor(),   // g B^T
                     gb ? gemm_new(true, false, k, n, m, ad, g, "matmul") : Tensor()};  // A^T g
           });
  }
  return out;
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  check_matrix(x, "linear", "x", "(N, in)");
  check_matrix(weight, "linear", "weight", "(out, in)");
  check_same_device(x, weight, "linear");
  check_same_dtype(x, weight, "linear");
  const int64_t n = x.size(0), in = x.size(1), out_f = weight.size(0);
  DG_CHECK(weight.size(1) == in, "linear: argument 'weight' expected (out, "
                                     << in << ") to match x " << shape_str(x.shape()) << ", got "
                                     << shape_str(weight.shape()));
  if (bias.defined()) {
    check_same_device(x, bias, "linear");
    check_same_dtype(x, bias, "linear");
    DG_CHECK(bias.dim() == 1 && bias.size(0) == out_f, "linear: argument 'bias' expected ("
                                                           << out_f << ",), got "
                                                           << shape_str(bias.shape()));
  }
  Tensor y = gemm_new(false, true, n, out_f, in, x, weight, "linear");  // x W^T
  if (bias.defined()) {
    if (x.device() == Device::CUDA)
      cuda::add_row_bias(y.data<float>(), bias.data<float>(), n, out_f);
    else
      DG_DISPATCH_FLOAT(x.dtype(), "linear",
                        [&] { cpu::add_row_bias<T>(y.data<T>(), bias.data<T>(), n, out_f); });
  }
  if (needs_grad({&x, &weight, &bias})) {
    bool gx = x.requires_grad(), gw = weight.requires_grad();
    bool gb = bias.defined() && bias.requires_grad();
    Tensor xd = gw ? x.detach() : Tensor(), wd = gx ? weight.detach() : Tensor();
    Shape bs = bias.defined() ? bias.shape() : Shape{};
    record(y, "linear", {x, weight, bias},
           [xd, wd, gx, gw, gb, bs, n, in, out_f](const Tensor& g) -> std::vector<Tensor> {
             Tensor gbias;
             if (gb) {
               gbias = Tensor::empty(bs, g.dtype(), g.device());
               if (g.device() == Device::CUDA)
                 cuda::bias_backward(g.data<float>(), gbias.data<float>(), n, out_f);
               else
                 DG_DISPATCH_FLOAT(g.dtype(), "linear", [&] {
                   cpu::bias_backward<T>(g.data<T>(), gbias.data<T>(), n, out_f);
                 });
             }
             return {gx ? gemm_new(false, false, n, in, out_f, g, wd, "linear") : Tensor(),  // g W
                     gw ? gemm_new(true, false, out_f, in, n, g, xd, "linear") : Tensor(),  // g^T x
                     gbias};
           });
  }
  return y;
}

}  // namespace dg
