// cuDNN helpers shared by cudnn_context.cu, cudnn_conv.cu and cudnn_batch_norm.cu (only compiled
// with DG_WITH_CUDNN): the DG_CUDNN_CHECK macro (check.cuh style: the failing call, file:line,
// cudnnGetErrorString and a hint), RAII descriptors, and CudnnState, the part of the device Context
// (context.cuh) that holds the cuDNN handle and the plan caches keyed by the full shape and args.
#pragma once
#if !DG_WITH_CUDNN
#error "cudnn_common.cuh needs DG_WITH_CUDNN (cuDNN found at configure time)"
#endif
#include <cudnn.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"

namespace dg::cuda {

[[noreturn]] void throw_cudnn(cudnnStatus_t st, const char* call, const char* file, int line);

// cuDNN state (the handle, a plan) is created by eager calls: creating it queries cuDNN and may
// allocate or synchronize, which a CUDA graph capture cannot hold. Throws, naming `what`, when a
// capture is open.
inline void require_eager(Context& c, const char* what) {
  DG_CHECK(!c.capturing(), what << " requested for the first time during a CUDA graph capture: run "
                                   "the step eagerly first (the trainer runs two eager steps "
                                   "before capturing)");
}

// In debug-sync mode (DG_CUDA_SYNC=1), waits for the stream after a cuDNN call, so an asynchronous
// fault is reported here.
void after_cudnn_call(const char* call, const char* file, int line);

// RAII wrappers: create on construction (checked), destroy on destruction (never throws).
class TensorDesc {
 public:
  TensorDesc();
  ~TensorDesc();
  TensorDesc(const TensorDesc&) = delete;
  TensorDesc& operator=(const TensorDesc&) = delete;
  // Contiguous NCHW float32.
  void set_nchw(int64_t n, int64_t c, int64_t h, int64_t w);
  cudnnTensorDescriptor_t get() const { return d_; }

 private:
  cudnnTensorDescriptor_t d_ = nullptr;
};

class FilterDesc {
 public:
  FilterDesc();
  ~FilterDesc();
  FilterDesc(const FilterDesc&) = delete;
  FilterDesc& operator=(const FilterDesc&) = delete;
  cudnnFilterDescriptor_t get() const { return d_; }

 private:
  cudnnFilterDescriptor_t d_ = nullptr;
};

class ConvDesc {
 public:
  ConvDesc();
  ~ConvDesc();
  ConvDesc(const ConvDesc&) = delete;
  ConvDesc& operator=(const ConvDesc&) = delete;
  cudnnConvolutionDescriptor_t get() const { return d_; }

 private:
  cudnnConvolutionDescriptor_t d_ = nullptr;
};

// One candidate algorithm of one direction: the algorithm, the math type it was offered under
// (applied to the direction's descriptor with cudnnSetConvolutionMathType before it runs) and its
// workspace in bytes.
template <class Algo>
struct ConvCandidate {
  Algo algo;
  cudnnMathType_t math;
  size_t workspace;
};

// One direction (forward, backward-data or backward-filter) of a plan: its own convolution
// descriptor (so each direction carries the math type of its own algorithm), the acceptable
// candidates in cuDNN's order of preference, and the one in use. A candidate whose call answers
// CUDNN_STATUS_NOT_SUPPORTED is dropped for the next one (cudnn_conv.cu), outside a capture only.
template <class Algo>
struct ConvDirection {
  ConvDesc conv;
  std::vector<ConvCandidate<Algo>> candidates;
  size_t chosen = 0;
  const ConvCandidate<Algo>* current() const {
    return chosen < candidates.size() ? &candidates[chosen] : nullptr;
  }
};

// Everything one convolution geometry needs, built once: descriptors for x (N,C,H,W), w
// (O,C,kh,kw), y (N,O,Ho,Wo) and the three directions. conv_transpose2d of the same geometry
// shares the plan (its forward is backward-data).
struct ConvPlan {
  TensorDesc x, y;
  FilterDesc w;
  ConvDirection<cudnnConvolutionFwdAlgo_t> fwd;
  ConvDirection<cudnnConvolutionBwdDataAlgo_t> bwd_data;
  ConvDirection<cudnnConvolutionBwdFilterAlgo_t> bwd_filter;
};
// N, C, H, W, O, kh, kw, stride, pad, Ho, Wo (dilation 1, no groups, cross-correlation, float32).
using ConvKey = std::array<int64_t, 12>;  // geometry (11) and whether TF32 is allowed

// Descriptors of batch norm over x viewed as (N, C, S, 1), SPATIAL mode: x/y and the (1, C, 1, 1)
// per-channel parameter descriptor.
struct BnPlan {
  TensorDesc x, param;
};
using BnKey = std::array<int64_t, 3>;  // N, C, S

struct CudnnState {
  explicit CudnnState(cudaStream_t stream);
  ~CudnnState();
  CudnnState(const CudnnState&) = delete;
  CudnnState& operator=(const CudnnState&) = delete;

  cudnnHandle_t handle = nullptr;
  // Plans are never evicted: a fixed-shape GAN has a handful of geometries. std::map keeps element
  // addresses stable, so a reference into it survives later insertions.
  std::map<ConvKey, ConvPlan> conv_plans;
  std::map<BnKey, BnPlan> bn_plans;
};

}  // namespace dg::cuda

#define DG_CUDNN_CHECK(call)                                      \
  do {                                                            \
    cudnnStatus_t dg_st_ = (call);                                \
    if (dg_st_ != CUDNN_STATUS_SUCCESS)                           \
      ::dg::cuda::throw_cudnn(dg_st_, #call, __FILE__, __LINE__); \
  } while (0)

// For the calls that queue GPU work: checked, then synchronized in debug-sync mode.
#define DG_CUDNN_LAUNCH(call)                                \
  do {                                                       \
    DG_CUDNN_CHECK(call);                                    \
    ::dg::cuda::after_cudnn_call(#call, __FILE__, __LINE__); \
  } while (0)
