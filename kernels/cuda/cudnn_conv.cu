// conv2d / conv_transpose2d through cuDNN (contract: cudnn.h, same as conv.h): the baseline for the
// hand-written im2col + cuBLAS kernels, and a fallback. One plan per geometry (descriptors, the
// algorithm of each direction and its workspace size), built on first use and cached in the
// context's CudnnState; workspaces come from the caching allocator, so after the first step no
// cudaMalloc happens here either.
//   Math: NCHW float32, CUDNN_CROSS_CORRELATION (the engine's convolution, no kernel flip),
//   dilation 1, symmetric padding; conv_transpose2d's output_padding needs nothing here: its
//   forward is backward-data on a geometry whose input size (H, W) already includes it, and cuDNN
//   takes the dx size from the descriptor it is given.
//   Determinism: algorithms come from cuDNN's heuristic (cudnnGet*_v7, no benchmarking, so the
//   choice depends on the shape and device only), filtered to CUDNN_DETERMINISTIC; when none
//   qualifies, the fixed deterministic IMPLICIT_GEMM / BWD_DATA_ALGO_1 / BWD_FILTER_ALGO_1.
//   Precision: FP32 plans set CUDNN_FMA_MATH and accept FMA algorithms only (no TF32, so the GPU
//   agrees with the CPU reference to float rounding); TF32 plans (a separate cache entry) set
//   CUDNN_DEFAULT_MATH, which lets cuDNN use TF32 tensor cores, and accept tensor-op algorithms.
// Status: compiled; NOT YET RUN ON A GPU.
#include <climits>
#include <string>

#include "engine/error.h"
#include "kernels/cuda/conv.h"
#include "kernels/cuda/cudnn.h"

#if DG_WITH_CUDNN
#include "kernels/cuda/cudnn_common.cuh"

namespace dg::cuda {

namespace {

// The largest workspace an algorithm may ask for; a hungrier one is skipped for the next candidate.
constexpr size_t kMaxWorkspace = size_t(512) << 20;

// Degenerate sizes go to the hand-written kernels, whose early outs assign what needs assigning.
bool degenerate(const cpu::ConvGeometry& g) {
  return g.N <= 0 || g.C <= 0 || g.H <= 0 || g.W <= 0 || g.O <= 0 || g.Ho <= 0 || g.Wo <= 0;
}

// A perf result we may run: it works, is deterministic, fits the workspace cap, and uses tensor
// cores only when the plan allows TF32.
template <class Perf>
bool acceptable(const Perf& p, bool tf32) {
  const bool math_ok = p.mathType == CUDNN_FMA_MATH || p.mathType == CUDNN_DEFAULT_MATH ||
                       (tf32 && p.mathType == CUDNN_TENSOR_OP_MATH);
  return p.status == CUDNN_STATUS_SUCCESS && p.determinism == CUDNN_DETERMINISTIC && math_ok &&
         p.memory <= kMaxWorkspace;
}

void choose_algorithms(cudnnHandle_t h, ConvPlan& p, bool tf32) {
  int n = 0;
  {
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    DG_CUDNN_CHECK(
        cudnnGetConvolutionForwardAlgorithm_v7(h, p.x.get(), p.w.get(), p.conv.get(), p.y.get(),
                                               CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &n, perf));
    for (int i = 0; i < n; ++i)
      if (acceptable(perf[i], tf32)) {
        p.fwd_algo = perf[i].algo;
        break;
      }
    DG_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(h, p.x.get(), p.w.get(), p.conv.get(),
                                                           p.y.get(), p.fwd_algo, &p.fwd_ws));
  }
  {
    cudnnConvolutionBwdDataAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    DG_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(
        h, p.w.get(), p.y.get(), p.conv.get(), p.x.get(), CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &n,
        perf));
    for (int i = 0; i < n; ++i)
      if (acceptable(perf[i], tf32)) {
        p.bwd_data_algo = perf[i].algo;
        break;
      }
    DG_CUDNN_CHECK(cudnnGetConvolutionBackwardDataWorkspaceSize(
        h, p.w.get(), p.y.get(), p.conv.get(), p.x.get(), p.bwd_data_algo, &p.bwd_data_ws));
  }
  {
    cudnnConvolutionBwdFilterAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
    DG_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
        h, p.x.get(), p.y.get(), p.conv.get(), p.w.get(), CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT,
        &n, perf));
    for (int i = 0; i < n; ++i)
      if (acceptable(perf[i], tf32)) {
        p.bwd_filter_algo = perf[i].algo;
        break;
      }
    DG_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterWorkspaceSize(
        h, p.x.get(), p.y.get(), p.conv.get(), p.w.get(), p.bwd_filter_algo, &p.bwd_filter_ws));
  }
}

void build_plan(cudnnHandle_t h, ConvPlan& p, const cpu::ConvGeometry& g, bool tf32) {
  p.x.set_nchw(g.N, g.C, g.H, g.W);
  p.y.set_nchw(g.N, g.O, g.Ho, g.Wo);
  DG_CHECK(g.O * g.C * g.kh * g.kw <= INT_MAX, "cuDNN filter too large for 32-bit indexing");
  DG_CUDNN_CHECK(cudnnSetFilter4dDescriptor(p.w.get(), CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW,
                                            static_cast<int>(g.O), static_cast<int>(g.C),
                                            static_cast<int>(g.kh), static_cast<int>(g.kw)));
  DG_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(
      p.conv.get(), static_cast<int>(g.pad), static_cast<int>(g.pad), static_cast<int>(g.stride),
      static_cast<int>(g.stride), 1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  DG_CUDNN_CHECK(
      cudnnSetConvolutionMathType(p.conv.get(), tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH));
  // cuDNN's output size must be the engine's (both floor((H + 2p - kh) / s) + 1).
  int n = 0, o = 0, ho = 0, wo = 0;
  DG_CUDNN_CHECK(
      cudnnGetConvolution2dForwardOutputDim(p.conv.get(), p.x.get(), p.w.get(), &n, &o, &ho, &wo));
  DG_CHECK(n == g.N && o == g.O && ho == g.Ho && wo == g.Wo,
           "cuDNN conv output (" << n << "," << o << "," << ho << "," << wo
                                 << ") differs from the engine's (" << g.N << "," << g.O << ","
                                 << g.Ho << "," << g.Wo << ")");
  choose_algorithms(h, p, tf32);
}

ConvPlan& conv_plan(const cpu::ConvGeometry& g, MatmulPrecision precision) {
  DG_CHECK(precision != MatmulPrecision::BF16,
           "cuDNN convolution: BF16 is not offered by the cuDNN path (use the hand-written one)");
  const bool tf32 = precision == MatmulPrecision::TF32;
  CudnnState& st = context().cudnn();
  const ConvKey key{g.N, g.C, g.H, g.W, g.O, g.kh, g.kw, g.stride, g.pad, g.Ho, g.Wo, tf32 ? 1 : 0};
  auto it = st.conv_plans.find(key);
  if (it != st.conv_plans.end()) return it->second;
  it = st.conv_plans.try_emplace(key).first;
  try {
    build_plan(st.handle, it->second, g, tf32);
  } catch (...) {
    st.conv_plans.erase(it);  // no half-built plan stays in the cache
    throw;
  }
  return it->second;
}

// Workspace from the caching allocator; freed (stream-ordered) when the call returns.
class Workspace {
 public:
  explicit Workspace(size_t n) : p_(n ? device_malloc(n) : nullptr) {}
  ~Workspace() { device_free(p_); }
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  void* get() const { return p_; }

 private:
  void* p_;
};

}  // namespace

void cudnn_conv2d_forward(const float* x, const float* w, float* y, const cpu::ConvGeometry& g,
                          MatmulPrecision precision) {
  if (degenerate(g)) return conv2d_forward(x, w, y, g);
  ConvPlan& p = conv_plan(g, precision);
  Workspace ws(p.fwd_ws);
  const float one = 1.0f, zero = 0.0f;
  DG_CUDNN_LAUNCH(cudnnConvolutionForward(context().cudnn().handle, &one, p.x.get(), x, p.w.get(),
                                          w, p.conv.get(), p.fwd_algo, ws.get(), p.fwd_ws, &zero,
                                          p.y.get(), y));
}

void cudnn_conv2d_backward_data(const float* gy, const float* w, float* gx,
                                const cpu::ConvGeometry& g, MatmulPrecision precision) {
  if (degenerate(g)) return conv2d_backward_data(gy, w, gx, g);
  ConvPlan& p = conv_plan(g, precision);
  Workspace ws(p.bwd_data_ws);
  const float one = 1.0f, zero = 0.0f;
  DG_CUDNN_LAUNCH(cudnnConvolutionBackwardData(context().cudnn().handle, &one, p.w.get(), w,
                                               p.y.get(), gy, p.conv.get(), p.bwd_data_algo,
                                               ws.get(), p.bwd_data_ws, &zero, p.x.get(), gx));
}

void cudnn_conv2d_backward_weight(const float* x, const float* gy, float* gw,
                                  const cpu::ConvGeometry& g, MatmulPrecision precision) {
  if (degenerate(g)) return conv2d_backward_weight(x, gy, gw, g);
  ConvPlan& p = conv_plan(g, precision);
  Workspace ws(p.bwd_filter_ws);
  const float one = 1.0f, zero = 0.0f;
  DG_CUDNN_LAUNCH(cudnnConvolutionBackwardFilter(context().cudnn().handle, &one, p.x.get(), x,
                                                 p.y.get(), gy, p.conv.get(), p.bwd_filter_algo,
                                                 ws.get(), p.bwd_filter_ws, &zero, p.w.get(), gw));
}

}  // namespace dg::cuda

#else  // !DG_WITH_CUDNN

namespace dg::cuda {

void cudnn_conv2d_forward(const float*, const float*, float*, const cpu::ConvGeometry&,
                          MatmulPrecision) {
  throw_without_cudnn("cudnn_conv2d_forward");
}
void cudnn_conv2d_backward_data(const float*, const float*, float*, const cpu::ConvGeometry&,
                                MatmulPrecision) {
  throw_without_cudnn("cudnn_conv2d_backward_data");
}
void cudnn_conv2d_backward_weight(const float*, const float*, float*, const cpu::ConvGeometry&,
                                  MatmulPrecision) {
  throw_without_cudnn("cudnn_conv2d_backward_weight");
}

}  // namespace dg::cuda

#endif  // DG_WITH_CUDNN
