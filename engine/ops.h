// The op front-end: every op checks shapes and devices, dispatches to kernels/cpu (or
// kernels/cuda), and records its backward on the tape. Layout is contiguous NCHW throughout;
// float32 everywhere, float64 on the CPU (gradient checks). Each op's definition lives in
// engine/ops/<family>.cpp.
#pragma once
#include <cstdint>
#include <vector>

#include "engine/autograd.h"
#include "engine/tensor.h"
#include "kernels/common/diversity_mode.h"

namespace dg {

class Philox;
class Collective;

// ---- elementwise arithmetic (ops/elementwise.cpp) --------------------------------------------
// Binary ops broadcast numpy-style (trailing dims aligned; size-1 dims stretch): scalars, per-row
// (N,1) and per-channel (1,C,1,1) vectors included. Gradients are summed over broadcast dims.
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor add(const Tensor& a, double s);
Tensor mul(const Tensor& a, double s);
Tensor neg(const Tensor& a);
// In place, never recorded: a += b (same shape). Used for gradient accumulation and optimizers.
void add_(Tensor& a, const Tensor& b);
Shape broadcast_shape(const Shape& a, const Shape& b, const char* op);
// Sums g (of shape `from`) down to `to` over broadcast dims (identity when shapes match).
Tensor sum_to(const Tensor& g, const Shape& to);

// ---- unary math and activations (ops/unary.cpp) ----------------------------------------------
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor log1p(const Tensor& x);
Tensor expm1(const Tensor& x);
Tensor abs(const Tensor& x);  // d|x|/dx = sign(x), 0 at 0
Tensor sqrt(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor leaky_relu(const Tensor& x, double slope);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor clamp(const Tensor& x, double lo, double hi);  // gradient 1 strictly inside (lo, hi)
// Paper 004's soft sparsity, per element: u^alpha / (u^alpha + u^-beta + 1) with u = |x|; 0 at 0,
// -> 1 for large |x|, alpha, beta > 0 (docs/design.md#soft-sparsity). Its mean over an image is
// a differentiable occupancy.
Tensor soft_occupancy(const Tensor& x, double alpha, double beta);

// ---- reductions and shapes (ops/reduce.cpp, ops/shape.cpp) -----------------------------------
Tensor sum(const Tensor& x);                      // all elements -> shape ()
Tensor mean(const Tensor& x);                     // all elements -> shape ()
Tensor sum_rows(const Tensor& x);                 // (N, ...) -> (N,): sum over all but dim 0
Tensor mean_rows(const Tensor& x);                // (N, ...) -> (N,)
Tensor log_softmax(const Tensor& x);              // (N, K), over K
Tensor reshape(const Tensor& x, const Shape& s);  // one -1 allowed; shares storage
Tensor flatten(const Tensor& x);                  // (N, ...) -> (N, prod(...))
Tensor concat(const std::vector<Tensor>& xs, int64_t dim);
Tensor narrow(const Tensor& x, int64_t start,
              int64_t length);  // rows [start, start+length) of dim 0
// Rows `rows` of src: src (N, ...) float, rows (M,) int32 with every value in [0, N) -> (M, ...).
// Assigns a new tensor. Checked on the CPU; on the GPU the host never reads the indices (the caller
// validates them where it builds them). Not differentiable: src must not require grad (it gathers
// data, e.g. a training batch from the data set). CPU: kernels/cpu/gather.h, CUDA: gather.h.
Tensor index_rows(const Tensor& src, const Tensor& rows);
// The same gather into `out`, which must already be (M, ...) of src's dtype and device (assigns
// it; allocates nothing: for fixed buffers such as a captured step's inputs).
void index_rows_into(const Tensor& src, const Tensor& rows, Tensor& out);

// ---- dense layers (ops/linear.cpp) -----------------------------------------------------------
Tensor matmul(const Tensor& a, const Tensor& b);  // (M,K) x (K,N) -> (M,N)
// x (N,in), weight (out,in) as PyTorch, bias (out,) or undefined -> (N,out)
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);

// ---- convolutions and resampling (ops/conv.cpp, ops/pool.cpp) --------------------------------
struct Conv2dArgs {
  int64_t stride = 1;
  int64_t padding = 0;         // symmetric zero padding; "valid" is 0, "same" (stride 1) is k/2
  int64_t output_padding = 0;  // conv_transpose2d only
};
// x (N,C,H,W), weight (O,C,kh,kw), bias (O,) or undefined -> (N,O,Ho,Wo),
// Ho = (H + 2p - kh) / s + 1
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Conv2dArgs args = {});
// x (N,C,H,W), weight (C,O,kh,kw) as PyTorch, bias (O,) or undefined -> (N,O,Ho,Wo),
// Ho = (H - 1) s - 2p + kh + output_padding
Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
                        Conv2dArgs args = {});
Tensor upsample_nearest2d(const Tensor& x, int64_t scale);  // (N,C,H,W) -> (N,C,sH,sW)
// Window k, stride k by default; floor mode; gradient goes to the first maximum of each window.
Tensor max_pool2d(const Tensor& x, int64_t kernel, int64_t stride = 0);

// ---- normalization and regularization (ops/norm.cpp, ops/dropout.cpp) ------------------------
// x (N,C) or (N,C,H,W). Training: normalizes with the batch statistics (biased variance) and
// updates running_mean/running_var in place with the unbiased variance:
//   r = (1 - momentum) r + momentum * stat   (PyTorch's convention; Keras momentum m is 1 - m).
// Eval: normalizes with the running statistics. gamma/beta (C,) may be undefined (no affine).
// Synchronized (group of size > 1, training only): the statistics are those of the union of the
// ranks' batches (every rank calls it with the same shapes, together), the running statistics
// move by them on every rank alike, and the backward's two per-channel sums are summed over the
// ranks too, so dx is the gradient of the whole batch's normalization; dgamma, dbeta stay this
// rank's (the gradient all-reduce averages them like every parameter's). Uses the hand-written
// kernels on the GPU (docs/design.md#synchronized-batch-norm).
Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor running_mean,
                  Tensor running_var, bool training, double momentum, double eps,
                  Collective* group = nullptr);
// Inverted dropout: in training each element is kept with probability 1 - p and scaled by
// 1 / (1 - p); the mask is a Bernoulli draw from `rng` (which advances). Identity in eval.
Tensor dropout(const Tensor& x, double p, bool training, Philox& rng);
// leaky_relu(dropout(x, p, training, rng), slope) in one pass forward and one backward (the pair
// that ends every hidden block), bitwise equal to the two ops; same draws, so the generator
// advances as dropout's does. slope <= 0 or no dropout falls back to the unfused ops.
Tensor dropout_leaky_relu(const Tensor& x, double p, double slope, bool training, Philox& rng);

// Minibatch discrimination's cross-sample term (Salimans et al. 2016; ops/minibatch.cpp):
// m (N, B, C), B kernels of C dimensions per sample -> o (N, B),
//   o[i,b] = sum_{j != i} exp(-sum_c |m[i,b,c] - m[j,b,c]|) / (N - 1)   (0 when N = 1).
// The mean over the other samples, not Salimans's sum over all of them: the same scale for any
// batch size, and no constant self term. Subgradient 0 where two values tie.
Tensor minibatch_similarity(const Tensor& m);

// ---- losses (ops/loss.cpp, ops/diversity.cpp) ------------------------------------------------
// Mean over all elements of BCE(sigmoid(logits), targets), computed stably.
Tensor bce_with_logits(const Tensor& logits, const Tensor& targets);
Tensor bce_with_logits(const Tensor& logits, double target);

// The diversity regularizer (docs/design.md#fused-diversity-kernel), fused: e1, e2 (B,F) features,
// z1, z2 (B,K) latents, w (B,) per-sample weights (f_div for SDI, the tanh balance for DivBal; no
// gradient).
//   d_g,i = mean_f |e1_if - e2_if|, d_z,i = mean_k |z1_ik - z2_ik|
//   kRatioInverse (SDI, DivBal): L = mean_i w_i / (d_g,i / d_z,i + eps)
//   kRatioNegative (DS):         L = -mean_i w_i * d_g,i / (d_z,i + eps)   (stop-grad on e2 is the
//                                caller's choice: pass e2.detach())
// Gradients flow to e1 and e2 (not to z or w). DiversityMode: kernels/common/diversity_mode.h.
Tensor diversity_loss(const Tensor& e1, const Tensor& e2, const Tensor& z1, const Tensor& z2,
                      const Tensor& w, DiversityMode mode, double eps = 1e-5);

}  // namespace dg
