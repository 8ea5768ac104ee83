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
//   choice depends on the shape and device only), filtered to CUDNN_DETERMINISTIC, and followed by
//   the fixed deterministic IMPLICIT_GEMM / BWD_DATA_ALGO_1 / BWD_FILTER_ALGO_1 as a last resort.
//   A candidate whose call answers NOT_SUPPORTED is dropped for the next one.
//   Precision: each heuristic entry names the math type it was measured under, and each direction
//   has its own descriptor on which that math type is set (cudnnSetConvolutionMathType) before the
//   entry runs. FP32 plans accept CUDNN_FMA_MATH entries only (no TF32, so the GPU agrees with the
//   CPU reference to float rounding); TF32 plans (a separate cache entry) also accept DEFAULT and
//   TENSOR_OP math, which let cuDNN use TF32 tensor cores.
//   Capture: plans (and the cuDNN handle) are built by eager calls; a new one requested while a
//   CUDA graph is being captured is refused with an error (engine/graph.h: warm up first).
#include <climits>
#include <string>

#include "base/error.h"
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

// Math types a plan may run: FP32 plans FMA only (cuDNN's DEFAULT math may pick TF32 tensor cores
// on Ampere and later, which would not be FP32); TF32 plans any.
bool math_allowed(cudnnMathType_t m, bool tf32) {
  return m == CUDNN_FMA_MATH || (tf32 && (m == CUDNN_DEFAULT_MATH || m == CUDNN_TENSOR_OP_MATH));
}

// The candidates of one direction: cuDNN's heuristic entries (`query(capacity, &n, perf)`, best
// first) that work, are deterministic, have an allowed math type and a workspace under the cap;
// then the fixed deterministic `fallback` algorithm under FMA math when the heuristic did not offer
// it (its workspace asked with `ws_of`, which answers NOT_SUPPORTED where it cannot run this
// geometry: it is left out then).
template <class Perf, int kCount, class Algo, class Query, class WsOf>
void choose_direction(ConvDirection<Algo>& d, bool tf32, Algo fallback, Query query, WsOf ws_of) {
  Perf perf[kCount];
  int n = 0;
  DG_CUDNN_CHECK(query(kCount, &n, perf));
  d.candidates.clear();
  d.chosen = 0;
  bool has_fallback = false;
  for (int i = 0; i < n; ++i) {
    const Perf& p = perf[i];
    if (p.status != CUDNN_STATUS_SUCCESS || p.determinism != CUDNN_DETERMINISTIC ||
        !math_allowed(p.mathType, tf32) || p.memory > kMaxWorkspace)
      continue;
    d.candidates.push_back({p.algo, p.mathType, p.memory});
    has_fallback = has_fallback || (p.algo == fallback && p.mathType == CUDNN_FMA_MATH);
  }
  if (!has_fallback) {
    DG_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv.get(), CUDNN_FMA_MATH));
    size_t ws = 0;
    const cudnnStatus_t st = ws_of(fallback, &ws);
    if (st == CUDNN_STATUS_SUCCESS && ws <= kMaxWorkspace)
      d.candidates.push_back({fallback, CUDNN_FMA_MATH, ws});
    else if (st != CUDNN_STATUS_SUCCESS && st != CUDNN_STATUS_NOT_SUPPORTED)
      throw_cudnn(st, "cudnnGetConvolution*WorkspaceSize (fixed deterministic algorithm)", __FILE__,
                  __LINE__);
  }
  if (const auto* c = d.current())
    DG_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv.get(), c->math));
}

// Descriptor settings shared by the three directions; the math type is set per direction later.
void set_conv_desc(ConvDesc& d, const cpu::ConvGeometry& g, bool tf32) {
  DG_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(
      d.get(), static_cast<int>(g.pad), static_cast<int>(g.pad), static_cast<int>(g.stride),
      static_cast<int>(g.stride), 1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  // The heuristic is asked under the widest math the plan allows; its entries name their own.
  DG_CUDNN_CHECK(cudnnSetConvolutionMathType(d.get(), tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH));
}

void choose_algorithms(cudnnHandle_t h, ConvPlan& p, bool tf32) {
  auto x = p.x.get(), y = p.y.get();
  auto w = p.w.get();
  auto fwd = p.fwd.conv.get(), bwd_data = p.bwd_data.conv.get(),
       bwd_filter = p.bwd_filter.conv.get();
  choose_direction<cudnnConvolutionFwdAlgoPerf_t, CUDNN_CONVOLUTION_FWD_ALGO_COUNT>(
      p.fwd, tf32, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
      [&](int c, int* n, auto* perf) {
        return cudnnGetConvolutionForwardAlgorithm_v7(h, x, w, fwd, y, c, n, perf);
      },
      [&](auto a, size_t* ws) {
        return cudnnGetConvolutionForwardWorkspaceSize(h, x, w, fwd, y, a, ws);
      });
  choose_direction<cudnnConvolutionBwdDataAlgoPerf_t, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT>(
      p.bwd_data, tf32, CUDNN_CONVOLUTION_BWD_DATA_ALGO_1,
      [&](int c, int* n, auto* perf) {
        return cudnnGetConvolutionBackwardDataAlgorithm_v7(h, w, y, bwd_data, x, c, n, perf);
      },
      [&](auto a, size_t* ws) {
        return cudnnGetConvolutionBackwardDataWorkspaceSize(h, w, y, bwd_data, x, a, ws);
      });
  choose_direction<cudnnConvolutionBwdFilterAlgoPerf_t, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT>(
      p.bwd_filter, tf32, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1,
      [&](int c, int* n, auto* perf) {
        return cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, x, y, bwd_filter, w, c, n, perf);
      },
      [&](auto a, size_t* ws) {
        return cudnnGetConvolutionBackwardFilterWorkspaceSize(h, x, y, bwd_filter, w, a, ws);
      });
}

void build_plan(cudnnHandle_t h, ConvPlan& p, const cpu::ConvGeometry& g, bool tf32) {
  p.x.set_nchw(g.N, g.C, g.H, g.W);
  p.y.set_nchw(g.N, g.O, g.Ho, g.Wo);
  DG_CHECK(g.O * g.C * g.kh * g.kw <= INT_MAX, "cuDNN filter too large for 32-bit indexing");
  DG_CUDNN_CHECK(cudnnSetFilter4dDescriptor(p.w.get(), CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW,
                                            static_cast<int>(g.O), static_cast<int>(g.C),
                                            static_cast<int>(g.kh), static_cast<int>(g.kw)));
  for (ConvDesc* d : {&p.fwd.conv, &p.bwd_data.conv, &p.bwd_filter.conv})
    set_conv_desc(*d, g, tf32);
  // cuDNN's output size must be the engine's (both floor((H + 2p - kh) / s) + 1).
  int n = 0, o = 0, ho = 0, wo = 0;
  DG_CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(p.fwd.conv.get(), p.x.get(), p.w.get(), &n,
                                                       &o, &ho, &wo));
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
  require_eager(context(), "cuDNN convolution plan for a new geometry");
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

// Runs one direction with its current candidate; a candidate that answers NOT_SUPPORTED is
// dropped for the next one (outside a capture: inside one the eager warm-up has settled the choice,
// and a failed call must not be retried into the graph). `call(conv, algo, workspace, bytes)`
// returns cuDNN's status.
template <class Algo, class Call>
void run_direction(ConvDirection<Algo>& d, const char* what, Call call) {
  for (;;) {
    const ConvCandidate<Algo>* c = d.current();
    if (!c) throw_cudnn(CUDNN_STATUS_NOT_SUPPORTED, what, __FILE__, __LINE__);
    Workspace ws(c->workspace);
    const cudnnStatus_t st = call(d.conv.get(), c->algo, ws.get(), c->workspace);
    if (st == CUDNN_STATUS_NOT_SUPPORTED && !context().capturing()) {
      ++d.chosen;
      if (const auto* next = d.current())
        DG_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv.get(), next->math));
      continue;
    }
    if (st != CUDNN_STATUS_SUCCESS) throw_cudnn(st, what, __FILE__, __LINE__);
    after_cudnn_call(what, __FILE__, __LINE__);
    return;
  }
}

}  // namespace

void cudnn_conv2d_forward(const float* x, const float* w, float* y, const cpu::ConvGeometry& g,
                          MatmulPrecision precision) {
  if (degenerate(g)) return conv2d_forward(x, w, y, g);
  ConvPlan& p = conv_plan(g, precision);
  const float one = 1.0f, zero = 0.0f;
  run_direction(p.fwd, "cudnnConvolutionForward", [&](auto conv, auto algo, void* ws, size_t n) {
    return cudnnConvolutionForward(context().cudnn().handle, &one, p.x.get(), x, p.w.get(), w, conv,
                                   algo, ws, n, &zero, p.y.get(), y);
  });
}

void cudnn_conv2d_backward_data(const float* gy, const float* w, float* gx,
                                const cpu::ConvGeometry& g, MatmulPrecision precision) {
  if (degenerate(g)) return conv2d_backward_data(gy, w, gx, g);
  ConvPlan& p = conv_plan(g, precision);
  const float one = 1.0f, zero = 0.0f;
  run_direction(
      p.bwd_data, "cudnnConvolutionBackwardData", [&](auto conv, auto algo, void* ws, size_t n) {
        return cudnnConvolutionBackwardData(context().cudnn().handle, &one, p.w.get(), w, p.y.get(),
                                            gy, conv, algo, ws, n, &zero, p.x.get(), gx);
      });
}

void cudnn_conv2d_backward_weight(const float* x, const float* gy, float* gw,
                                  const cpu::ConvGeometry& g, MatmulPrecision precision) {
  if (degenerate(g)) return conv2d_backward_weight(x, gy, gw, g);
  ConvPlan& p = conv_plan(g, precision);
  const float one = 1.0f, zero = 0.0f;
  run_direction(p.bwd_filter, "cudnnConvolutionBackwardFilter",
                [&](auto conv, auto algo, void* ws, size_t n) {
                  return cudnnConvolutionBackwardFilter(context().cudnn().handle, &one, p.x.get(),
                                                        x, p.y.get(), gy, conv, algo, ws, n, &zero,
                                                        p.w.get(), gw);
                });
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
