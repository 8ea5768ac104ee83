// Batch normalization through cuDNN (contract: cudnn.h): the baseline for batch_norm.cu, and a
// fallback. x (N, C, S) is described as NCHW (N, C, S, 1) in CUDNN_BATCHNORM_SPATIAL mode, which
// normalizes each channel over N*S values: BN2d with S = H*W, BN1d with S = 1. (Not
// SPATIAL_PERSISTENT: it may overflow where the engine does not, and its atomics are not promised
// deterministic.) The per-channel descriptor (1, C, 1, 1) is cached with x's in the context.
//   Running statistics: cuDNN's exponentialAverageFactor is PyTorch's momentum, and cuDNN averages
//   the unbiased batch variance into resultRunningVariance, so running = (1 - momentum) running +
//   momentum batch with variance * M / (M - 1): the engine's convention (kernels/cpu/batch_norm.h)
//   with no conversion. resultSaveMean / resultSaveInvVariance are the engine's mean and
//   invstd = 1 / sqrt(biased var + eps), so the backward of either backend can consume them.
//   Null gamma / beta (no affine) become ones / zeros, null gradients scratch buffers.
#include <string>

#include "base/error.h"
#include "kernels/cuda/cudnn.h"

#if DG_WITH_CUDNN
#include "kernels/cuda/cudnn_common.cuh"

namespace dg::cuda {

namespace {

BnPlan& bn_plan(int64_t N, int64_t C, int64_t S) {
  CudnnState& st = context().cudnn();
  const BnKey key{N, C, S};
  auto it = st.bn_plans.find(key);
  if (it != st.bn_plans.end()) return it->second;
  require_eager(context(), "cuDNN batch-norm descriptors for a new shape");
  it = st.bn_plans.try_emplace(key).first;
  try {
    it->second.x.set_nchw(N, C, S, 1);
    it->second.param.set_nchw(1, C, 1, 1);
  } catch (...) {
    st.bn_plans.erase(it);
    throw;
  }
  return it->second;
}

// A float buffer from the caching allocator (stream-ordered free when the call returns).
class Scratch {
 public:
  explicit Scratch(int64_t count)
      : p_(count > 0 ? static_cast<float*>(device_malloc(sizeof(float) * size_t(count)))
                     : nullptr) {}
  ~Scratch() { device_free(p_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  float* get() const { return p_; }

 private:
  float* p_;
};

// gamma / beta as cuDNN needs them (never null): the given pointers, or ones / zeros.
class Affine {
 public:
  Affine(const float* gamma, const float* beta, int64_t C)
      : buf_((gamma ? 0 : C) + (beta ? 0 : C)), scale_(gamma), bias_(beta) {
    float* p = buf_.get();
    if (!gamma) {
      fill_f32(p, 1.0f, static_cast<size_t>(C));
      scale_ = p;
      p += C;
    }
    if (!beta) {
      fill_f32(p, 0.0f, static_cast<size_t>(C));
      bias_ = p;
    }
  }
  const float* scale() const { return scale_; }
  const float* bias() const { return bias_; }

 private:
  Scratch buf_;
  const float* scale_;
  const float* bias_;
};

}  // namespace

bool cudnn_batch_norm_supports(double eps) { return eps >= CUDNN_BN_MIN_EPSILON; }

void cudnn_batch_norm_forward_training(const float* x, const float* gamma, const float* beta,
                                       float* out, float* running_mean, float* running_var,
                                       float* save_mean, float* save_invstd, int64_t N, int64_t C,
                                       int64_t S, double momentum, double eps) {
  if (C == 0) return;
  DG_CHECK(N * S > 1, "cudnn_batch_norm_forward_training: needs more than one value per channel");
  DG_CHECK((running_mean == nullptr) == (running_var == nullptr),
           "cudnn_batch_norm_forward_training: running_mean and running_var go together");
  BnPlan& p = bn_plan(N, C, S);
  Affine a(gamma, beta, C);
  const float one = 1.0f, zero = 0.0f;
  DG_CUDNN_LAUNCH(cudnnBatchNormalizationForwardTraining(
      context().cudnn().handle, CUDNN_BATCHNORM_SPATIAL, &one, &zero, p.x.get(), x, p.x.get(), out,
      p.param.get(), a.scale(), a.bias(), momentum, running_mean, running_var, eps, save_mean,
      save_invstd));
}

void cudnn_batch_norm_forward_inference(const float* x, const float* gamma, const float* beta,
                                        const float* running_mean, const float* running_var,
                                        float* out, int64_t N, int64_t C, int64_t S, double eps) {
  if (N * C * S == 0) return;
  BnPlan& p = bn_plan(N, C, S);
  Affine a(gamma, beta, C);
  const float one = 1.0f, zero = 0.0f;
  DG_CUDNN_LAUNCH(cudnnBatchNormalizationForwardInference(
      context().cudnn().handle, CUDNN_BATCHNORM_SPATIAL, &one, &zero, p.x.get(), x, p.x.get(), out,
      p.param.get(), a.scale(), a.bias(), running_mean, running_var, eps));
}

void cudnn_batch_norm_backward(const float* g, const float* x, const float* save_mean,
                               const float* save_invstd, const float* gamma, float* dx,
                               float* dgamma, float* dbeta, int64_t N, int64_t C, int64_t S,
                               double eps) {
  if (C == 0 || (!dx && !dgamma && !dbeta)) return;
  DG_CHECK(N * S > 1, "cudnn_batch_norm_backward: needs more than one value per channel");
  BnPlan& p = bn_plan(N, C, S);
  Affine a(gamma, nullptr, C);  // the bias is not read by the backward
  // cuDNN writes all three gradients: unwanted ones land in scratch.
  Scratch dx_s(dx ? 0 : N * C * S), dg_s(dgamma ? 0 : C), db_s(dbeta ? 0 : C);
  const float one = 1.0f, zero = 0.0f;
  DG_CUDNN_LAUNCH(cudnnBatchNormalizationBackward(
      context().cudnn().handle, CUDNN_BATCHNORM_SPATIAL, &one, &zero, &one, &zero, p.x.get(), x,
      p.x.get(), g, p.x.get(), dx ? dx : dx_s.get(), p.param.get(), a.scale(),
      dgamma ? dgamma : dg_s.get(), dbeta ? dbeta : db_s.get(), eps, save_mean, save_invstd));
}

}  // namespace dg::cuda

#else  // !DG_WITH_CUDNN

namespace dg::cuda {

bool cudnn_batch_norm_supports(double) { return false; }
void cudnn_batch_norm_forward_training(const float*, const float*, const float*, float*, float*,
                                       float*, float*, float*, int64_t, int64_t, int64_t, double,
                                       double) {
  throw_without_cudnn("cudnn_batch_norm_forward_training");
}
void cudnn_batch_norm_forward_inference(const float*, const float*, const float*, const float*,
                                        const float*, float*, int64_t, int64_t, int64_t, double) {
  throw_without_cudnn("cudnn_batch_norm_forward_inference");
}
void cudnn_batch_norm_backward(const float*, const float*, const float*, const float*, const float*,
                               float*, float*, float*, int64_t, int64_t, int64_t, double) {
  throw_without_cudnn("cudnn_batch_norm_backward");
}

}  // namespace dg::cuda

#endif  // DG_WITH_CUDNN
