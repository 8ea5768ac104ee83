// The cuDNN backend of conv2d / conv_transpose2d and batch norm, as plain C++ declarations (the
// engine never includes a CUDA or cuDNN header): the baseline the hand-written kernels are measured
// against, and a fallback. Same contracts as kernels/cuda/conv.h and kernels/cuda/batch_norm.h
// (float32, NCHW, device pointers, outputs assigned). Selected at run time with
// set_conv_backend(ConvBackend::Cudnn) or DG_CUDNN=1 (runtime.h); the engine consults it.
// Implemented in cudnn_conv.cu / cudnn_batch_norm.cu (handle and plan cache: cudnn_context.cu);
// where cuDNN was not found at configure time (no DG_WITH_CUDNN) every entry throws "built without
// cuDNN", and stub.cpp provides them for the CPU-only build.
#pragma once
#include <cstdint>

#include "kernels/common/conv_geometry.h"
#include "kernels/common/precision.h"

namespace dg::cuda {

// True when this binary was compiled against cuDNN.
bool built_with_cudnn();
// In a build without cuDNN: throws "<call>: built without cuDNN ..." (every cuDNN entry does).
[[noreturn]] void throw_without_cudnn(const char* call);

// ---- conv (geometry and contracts: conv.h). Algorithms are chosen once per geometry and precision
// by cuDNN's heuristic, restricted to deterministic algorithms, and cached in the context. FP32:
// FMA math only (no TF32); TF32: tensor-core math allowed (CUDNN_DEFAULT_MATH / TENSOR_OP). BF16
// is not offered by this path (the engine refuses it there).
// y (N,O,Ho,Wo) = conv(x, w). Assigns.
void cudnn_conv2d_forward(const float* x, const float* w, float* y, const cpu::ConvGeometry& g,
                          MatmulPrecision precision = MatmulPrecision::FP32);
// gx (N,C,H,W) = transposed conv of gy. Assigns (pixels no window covers get 0).
void cudnn_conv2d_backward_data(const float* gy, const float* w, float* gx,
                                const cpu::ConvGeometry& g,
                                MatmulPrecision precision = MatmulPrecision::FP32);
// gw (O,C,kh,kw). Assigns.
void cudnn_conv2d_backward_weight(const float* x, const float* gy, float* gw,
                                  const cpu::ConvGeometry& g,
                                  MatmulPrecision precision = MatmulPrecision::FP32);

// ---- batch norm over x viewed as (N, C, S), per channel (cuDNN's SPATIAL mode).
// Whether the cuDNN path can take this eps (cuDNN's CUDNN_BN_MIN_EPSILON); the engine falls back to
// the hand-written kernels otherwise.
bool cudnn_batch_norm_supports(double eps);
// Training forward: out = (x - mean) invstd gamma + beta with the batch statistics; assigns
// save_mean[c] and save_invstd[c] = 1 / sqrt(biased var + eps) (the pair batch_norm_backward
// takes); when running_mean / running_var are non-null (both or neither) updates them in place with
// the engine's convention: running = (1 - momentum) running + momentum batch, variance unbiased by
// M / (M - 1), M = N*S (cuDNN's exponentialAverageFactor is exactly this momentum). gamma / beta
// may be null (= 1 / 0).
void cudnn_batch_norm_forward_training(const float* x, const float* gamma, const float* beta,
                                       float* out, float* running_mean, float* running_var,
                                       float* save_mean, float* save_invstd, int64_t N, int64_t C,
                                       int64_t S, double momentum, double eps);
// Eval forward with the running statistics. Assigns out.
void cudnn_batch_norm_forward_inference(const float* x, const float* gamma, const float* beta,
                                        const float* running_mean, const float* running_var,
                                        float* out, int64_t N, int64_t C, int64_t S, double eps);
// Training backward (the batch-statistics formula) from the forward's save_mean / save_invstd.
// Assigns every non-null output; gamma may be null (= 1). The eval-mode backward has no cuDNN
// call: the engine uses the hand-written batch_norm_backward for it.
void cudnn_batch_norm_backward(const float* g, const float* x, const float* save_mean,
                               const float* save_invstd, const float* gamma, float* dx,
                               float* dgamma, float* dbeta, int64_t N, int64_t C, int64_t S,
                               double eps);

}  // namespace dg::cuda
