// Microbenchmark: conv2d forward / backward-data / backward-weight at the ZDC layer shapes, which
// also covers conv_transpose2d (its forward is conv2d_backward_data of the same geometry, its input
// gradient conv2d_forward, its weight gradient conv2d_backward_weight; kernels/cuda/conv.h).
// Versions per direction:
//   dg        the engine's hand-written path (kernels/cuda/conv.cu: im2col + cuBLAS FP32 / col2im)
//   dg_cudnn  the engine's run-time-selectable cuDNN path (kernels/cuda/cudnn.h, CUDNN_FMA_MATH),
//   where built cudnn_fp32  cuDNN legacy API, CUDNN_FMA_MATH (true FP32, the same math), algorithm
//   found by
//             cudnnFind*Algorithm before timing, its workspace allocated before timing
//   cudnn_tf32  the same with CUDNN_DEFAULT_MATH (TF32 tensor cores allowed): what cuDNN gives by
//             default, checked against a looser TF32 tolerance; NOT the same precision as dg
// CPU reference: kernels/cpu/conv.h in double on the same float inputs.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/kernels/bench_common.h"
#include "kernels/cpu/conv.h"
#include "kernels/cuda/conv.h"

#ifdef DG_BENCH_CUDNN
#include <cudnn.h>
#endif
#if __has_include("kernels/cuda/cudnn.h")
#include "kernels/cuda/cudnn.h"  // the engine's own cuDNN path (plan cache), when compiled in
#define DG_BENCH_ENGINE_CUDNN 1
#endif

using namespace dg::bench;
using dg::cpu::ConvGeometry;

namespace {

struct Layer {
  const char* name;
  bool transposed;  // a ConvTranspose2d: geometry is that of the convolution it transposes
  int64_t C, H, W, O, k, stride, pad;
};

// gan/models_zdc.cpp. For the transposed layers (ZdcDcganGenerator) the convolution geometry is
// x (N, Cout, 2H, 2W) -> y (N, Cin, H, W) with w (Cin, Cout, 4, 4), stride 2, padding 1.
const Layer kLayers[] = {
    {"zdc_gen.conv1 128->128 k3 @26", false, 128, 26, 26, 128, 3, 1, 0},
    {"zdc_gen.conv2 128->64 k3 @48", false, 128, 48, 48, 64, 3, 1, 0},
    {"zdc_gen.conv3 64->1 k3 @46", false, 64, 46, 46, 1, 3, 1, 0},
    {"zdc_disc.conv1 1->32 k3 @44", false, 1, 44, 44, 32, 3, 1, 0},
    {"zdc_disc.conv2 32->16 k3 @21", false, 32, 21, 21, 16, 3, 1, 0},
    {"zdc_dcgan.convT1 128->64 k4s2p1 @11", true, 64, 22, 22, 128, 4, 2, 1},
    {"zdc_dcgan.convT2 64->32 k4s2p1 @22", true, 32, 44, 44, 64, 4, 2, 1},
    {"zdc_dcgan.conv3 32->1 k3p1 @44", false, 32, 44, 44, 1, 3, 1, 1},
};

ConvGeometry geometry(const Layer& l, int64_t N) {
  ConvGeometry g;
  g.N = N, g.C = l.C, g.H = l.H, g.W = l.W, g.O = l.O, g.kh = l.k, g.kw = l.k;
  g.stride = l.stride, g.pad = l.pad;
  g.Ho = (g.H + 2 * g.pad - g.kh) / g.stride + 1;
  g.Wo = (g.W + 2 * g.pad - g.kw) / g.stride + 1;
  return g;
}

// FP32: rounding of a K-term sum of products of uniform(-1,1) numbers; TF32: operands rounded to
// 10 mantissa bits, so about 1e-3 relative per product.
Tol fp32_tol(double K) { return {3e-7 * K + 1e-5, 1e-4}; }
Tol tf32_tol(double K) { return {2e-3 * std::sqrt(K), 5e-3}; }

template <class F>
double wall_ms(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

#ifdef DG_BENCH_CUDNN
void cudnn_check(cudnnStatus_t st, const char* call, int line) {
  if (st != CUDNN_STATUS_SUCCESS)
    throw std::runtime_error(std::string(call) + " failed at bench_conv.cpp:" +
                             std::to_string(line) + ": " + cudnnGetErrorString(st));
}
#define CUDNN(call) cudnn_check((call), #call, __LINE__)

// Descriptors of one geometry at one math type; algorithms chosen by cudnnFind* (which runs each
// candidate) before any timing; the largest workspace of the three chosen allocated once.
struct CudnnConv {
  cudnnHandle_t h = nullptr;
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  cudnnConvolutionFwdAlgo_t fwd{};
  cudnnConvolutionBwdDataAlgo_t bwd_data{};
  cudnnConvolutionBwdFilterAlgo_t bwd_filter{};
  cudnnMathType_t math_fwd{}, math_data{}, math_filter{};
  size_t ws_fwd = 0, ws_data = 0, ws_filter = 0;
  void* ws = nullptr;
  size_t ws_bytes = 0;

  // math == CUDNN_FMA_MATH pins every direction to FMA (FP32) kernels whatever cudnnFind reports;
  // otherwise each direction runs with the math type its chosen algorithm was found with.
  CudnnConv(cudnnHandle_t handle, const ConvGeometry& g, cudnnMathType_t math) : h(handle) {
    CUDNN(cudnnCreateTensorDescriptor(&x));
    CUDNN(cudnnCreateTensorDescriptor(&y));
    CUDNN(cudnnCreateFilterDescriptor(&w));
    CUDNN(cudnnCreateConvolutionDescriptor(&conv));
    CUDNN(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, int(g.N), int(g.C),
                                     int(g.H), int(g.W)));
    CUDNN(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, int(g.N), int(g.O),
                                     int(g.Ho), int(g.Wo)));
    CUDNN(cudnnSetFilter4dDescriptor(w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, int(g.O), int(g.C),
                                     int(g.kh), int(g.kw)));
    CUDNN(cudnnSetConvolution2dDescriptor(conv, int(g.pad), int(g.pad), int(g.stride),
                                          int(g.stride), 1, 1, CUDNN_CROSS_CORRELATION,
                                          CUDNN_DATA_FLOAT));
    CUDNN(cudnnSetConvolutionMathType(conv, math));
    int n = 0;
    {
      cudnnConvolutionFwdAlgoPerf_t p[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
      CUDNN(cudnnFindConvolutionForwardAlgorithm(h, x, w, conv, y, CUDNN_CONVOLUTION_FWD_ALGO_COUNT,
                                                 &n, p));
      int i = first_ok(p, n, "forward");
      fwd = p[i].algo, ws_fwd = p[i].memory, math_fwd = p[i].mathType;
    }
    {
      cudnnConvolutionBwdDataAlgoPerf_t p[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
      CUDNN(cudnnFindConvolutionBackwardDataAlgorithm(
          h, w, y, conv, x, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &n, p));
      int i = first_ok(p, n, "backward data");
      bwd_data = p[i].algo, ws_data = p[i].memory, math_data = p[i].mathType;
    }
    {
      cudnnConvolutionBwdFilterAlgoPerf_t p[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
      CUDNN(cudnnFindConvolutionBackwardFilterAlgorithm(
          h, x, y, conv, w, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &n, p));
      int i = first_ok(p, n, "backward filter");
      bwd_filter = p[i].algo, ws_filter = p[i].memory, math_filter = p[i].mathType;
    }
    if (math == CUDNN_FMA_MATH) math_fwd = math_data = math_filter = CUDNN_FMA_MATH;
    ws_bytes = std::max({ws_fwd, ws_data, ws_filter});
    if (ws_bytes) BENCH_CUDA(cudaMalloc(&ws, ws_bytes));
  }
  template <class P>
  static int first_ok(const P* p, int n, const char* what) {
    for (int i = 0; i < n; ++i)
      if (p[i].status == CUDNN_STATUS_SUCCESS) return i;
    throw std::runtime_error(std::string("cuDNN found no working ") + what + " algorithm");
  }
  ~CudnnConv() {
    if (ws) cudaFree(ws);
    cudnnDestroyConvolutionDescriptor(conv);
    cudnnDestroyFilterDescriptor(w);
    cudnnDestroyTensorDescriptor(y);
    cudnnDestroyTensorDescriptor(x);
  }
  void forward(const float* xd, const float* wd, float* yd) {
    const float one = 1.f, zero = 0.f;
    CUDNN(cudnnSetConvolutionMathType(conv, math_fwd));
    CUDNN(cudnnConvolutionForward(h, &one, x, xd, w, wd, conv, fwd, ws, ws_fwd, &zero, y, yd));
  }
  void backward_data(const float* gyd, const float* wd, float* gxd) {
    const float one = 1.f, zero = 0.f;
    CUDNN(cudnnSetConvolutionMathType(conv, math_data));
    CUDNN(cudnnConvolutionBackwardData(h, &one, w, wd, y, gyd, conv, bwd_data, ws, ws_data, &zero,
                                       x, gxd));
  }
  void backward_filter(const float* xd, const float* gyd, float* gwd) {
    const float one = 1.f, zero = 0.f;
    CUDNN(cudnnSetConvolutionMathType(conv, math_filter));
    CUDNN(cudnnConvolutionBackwardFilter(h, &one, x, xd, y, gyd, conv, bwd_filter, ws, ws_filter,
                                         &zero, w, gwd));
  }
  json algos() const {
    return {{"fwd_algo", int(fwd)},
            {"fwd_workspace", ws_fwd},
            {"fwd_math", int(math_fwd)},
            {"bwd_data_algo", int(bwd_data)},
            {"bwd_data_workspace", ws_data},
            {"bwd_data_math", int(math_data)},
            {"bwd_filter_algo", int(bwd_filter)},
            {"bwd_filter_workspace", ws_filter},
            {"bwd_filter_math", int(math_filter)}};
  }
};
#endif

int run(int argc, char** argv) {
  const Options opt = parse_options(argc, argv);
  Report rep("conv", opt);
  json layers = json::array();
  for (const auto& l : kLayers)
    layers.push_back({{"name", l.name},
                      {"transposed", l.transposed},
                      {"C", l.C},
                      {"H", l.H},
                      {"W", l.W},
                      {"O", l.O},
                      {"k", l.k},
                      {"stride", l.stride},
                      {"pad", l.pad}});
  rep.config()["layers"] = layers;
  rep.config()["reference"] = "kernels/cpu/conv.h in double on the float inputs";
#ifdef DG_BENCH_CUDNN
  cudnnHandle_t cudnn = nullptr;
  cudnnCreate(&cudnn);
  cudnnSetStream(cudnn, bench_stream());
  rep.config()["cudnn"] =
      "cudnn_fp32: CUDNN_FMA_MATH; cudnn_tf32: CUDNN_DEFAULT_MATH; algorithms by cudnnFind*";
#else
  rep.config()["cudnn"] = "not built (cuDNN not found at configure time)";
#endif

  uint64_t seed = 1;
  for (int64_t N : opt.batches) {
    for (const auto& l : kLayers) {
      const ConvGeometry g = geometry(l, N);
      const int64_t nx = g.N * g.in_image(), ny = g.N * g.out_image(), nw = g.O * g.C * g.kh * g.kw;
      const std::vector<float> hx = random_uniform(nx, seed++), hw = random_uniform(nw, seed++),
                               hgy = random_uniform(ny, seed++);
      const std::vector<double> dx = to_double(hx), dw = to_double(hw), dgy = to_double(hgy);
      std::vector<double> ref_y(ny), ref_gx(nx), ref_gw(nw);
      json cpu_ms;
      cpu_ms["fwd"] =
          wall_ms([&] { dg::cpu::conv2d_forward<double>(dx.data(), dw.data(), ref_y.data(), g); });
      cpu_ms["bwd_data"] = wall_ms(
          [&] { dg::cpu::conv2d_backward_data<double>(dgy.data(), dw.data(), ref_gx.data(), g); });
      cpu_ms["bwd_weight"] = wall_ms([&] {
        dg::cpu::conv2d_backward_weight<double>(dx.data(), dgy.data(), ref_gw.data(), g);
      });

      DevBuf x(nx), w(nw), gy(ny), y(ny), gx(nx), gw(nw);
      x.upload(hx), w.upload(hw), gy.upload(hgy);
      const double flops =
          2.0 * double(g.N) * double(g.O) * double(g.col_rows()) * double(g.col_cols());
      const double K_fwd = double(g.col_rows());
      const double K_data = double(g.O * g.kh * g.kw) / double(g.stride * g.stride);
      const double K_weight = double(g.N * g.col_cols());
      const double bytes_fwd = 4.0 * (nx + nw + ny), bytes_data = 4.0 * (ny + nw + nx),
                   bytes_weight = 4.0 * (nx + ny + nw);
      const char* tag_fwd = l.transposed ? "conv fwd (= convT bwd-data)" : "conv fwd";
      const char* tag_data = l.transposed ? "conv bwd-data (= convT fwd)" : "conv bwd-data";
      const char* tag_weight =
          l.transposed ? "conv bwd-weight (= convT bwd-weight)" : "conv bwd-weight";

      std::printf(
          "\n[N=%lld] %s  x(%lld,%lld,%lld,%lld) w(%lld,%lld,%lld,%lld) y(%lld,%lld,%lld,%lld)\n",
          (long long)N, l.name, (long long)g.N, (long long)g.C, (long long)g.H, (long long)g.W,
          (long long)g.O, (long long)g.C, (long long)g.kh, (long long)g.kw, (long long)g.N,
          (long long)g.O, (long long)g.Ho, (long long)g.Wo);

      json base{{"layer", l.name},
                {"batch", N},
                {"transposed", l.transposed},
                {"x", {g.N, g.C, g.H, g.W}},
                {"w", {g.O, g.C, g.kh, g.kw}},
                {"y", {g.N, g.O, g.Ho, g.Wo}},
                {"stride", g.stride},
                {"pad", g.pad},
                {"cpu_reference_ms", cpu_ms}};

#ifdef DG_BENCH_CUDNN
      // A setup failure (cudnnFind refusing the shape) is recorded; each cuDNN version then
      // reports it as its error through run_version instead of ending the program.
      std::unique_ptr<CudnnConv> cd32_p, cdtf_p;
      std::string cd32_err, cdtf_err;
      try {
        cd32_p = std::make_unique<CudnnConv>(cudnn, g, CUDNN_FMA_MATH);
        base["cudnn_fp32_algos"] = cd32_p->algos();
      } catch (const std::exception& e) {
        cd32_err = e.what();
      }
      try {
        cdtf_p = std::make_unique<CudnnConv>(cudnn, g, CUDNN_DEFAULT_MATH);
        base["cudnn_tf32_algos"] = cdtf_p->algos();
      } catch (const std::exception& e) {
        cdtf_err = e.what();
      }
      auto need = [](std::unique_ptr<CudnnConv>& p, const std::string& err) -> CudnnConv& {
        if (!p) throw std::runtime_error("cuDNN setup failed: " + err);
        return *p;
      };
#endif
      // forward
      {
        json c = base;
        c["direction"] = tag_fwd;
        std::printf(" %s\n", tag_fwd);
        c["versions"].push_back(run_version(
            rep, opt, "dg", [&] { dg::cuda::conv2d_forward(x.get(), w.get(), y.get(), g); },
            {{"y", &y, &ref_y, fp32_tol(K_fwd)}}, flops, bytes_fwd));
#ifdef DG_BENCH_ENGINE_CUDNN
        if (dg::cuda::built_with_cudnn())
          c["versions"].push_back(run_version(
              rep, opt, "dg_cudnn",
              [&] { dg::cuda::cudnn_conv2d_forward(x.get(), w.get(), y.get(), g); },
              {{"y", &y, &ref_y, fp32_tol(K_fwd)}}, flops, bytes_fwd));
#endif
#ifdef DG_BENCH_CUDNN
        c["versions"].push_back(run_version(
            rep, opt, "cudnn_fp32",
            [&] { need(cd32_p, cd32_err).forward(x.get(), w.get(), y.get()); },
            {{"y", &y, &ref_y, fp32_tol(K_fwd)}}, flops, bytes_fwd));
        c["versions"].push_back(run_version(
            rep, opt, "cudnn_tf32",
            [&] { need(cdtf_p, cdtf_err).forward(x.get(), w.get(), y.get()); },
            {{"y", &y, &ref_y, tf32_tol(K_fwd)}}, flops, bytes_fwd));
#endif
        rep.add_case(c);
      }
      // backward data
      {
        json c = base;
        c["direction"] = tag_data;
        std::printf(" %s\n", tag_data);
        c["versions"].push_back(run_version(
            rep, opt, "dg", [&] { dg::cuda::conv2d_backward_data(gy.get(), w.get(), gx.get(), g); },
            {{"gx", &gx, &ref_gx, fp32_tol(K_data)}}, flops, bytes_data));
#ifdef DG_BENCH_ENGINE_CUDNN
        if (dg::cuda::built_with_cudnn())
          c["versions"].push_back(run_version(
              rep, opt, "dg_cudnn",
              [&] { dg::cuda::cudnn_conv2d_backward_data(gy.get(), w.get(), gx.get(), g); },
              {{"gx", &gx, &ref_gx, fp32_tol(K_data)}}, flops, bytes_data));
#endif
#ifdef DG_BENCH_CUDNN
        c["versions"].push_back(run_version(
            rep, opt, "cudnn_fp32",
            [&] { need(cd32_p, cd32_err).backward_data(gy.get(), w.get(), gx.get()); },
            {{"gx", &gx, &ref_gx, fp32_tol(K_data)}}, flops, bytes_data));
        c["versions"].push_back(run_version(
            rep, opt, "cudnn_tf32",
            [&] { need(cdtf_p, cdtf_err).backward_data(gy.get(), w.get(), gx.get()); },
            {{"gx", &gx, &ref_gx, tf32_tol(K_data)}}, flops, bytes_data));
#endif
        rep.add_case(c);
      }
      // backward weight
      {
        json c = base;
        c["direction"] = tag_weight;
        std::printf(" %s\n", tag_weight);
        c["versions"].push_back(run_version(
            rep, opt, "dg",
            [&] { dg::cuda::conv2d_backward_weight(x.get(), gy.get(), gw.get(), g); },
            {{"gw", &gw, &ref_gw, fp32_tol(K_weight)}}, flops, bytes_weight));
#ifdef DG_BENCH_ENGINE_CUDNN
        if (dg::cuda::built_with_cudnn())
          c["versions"].push_back(run_version(
              rep, opt, "dg_cudnn",
              [&] { dg::cuda::cudnn_conv2d_backward_weight(x.get(), gy.get(), gw.get(), g); },
              {{"gw", &gw, &ref_gw, fp32_tol(K_weight)}}, flops, bytes_weight));
#endif
#ifdef DG_BENCH_CUDNN
        c["versions"].push_back(run_version(
            rep, opt, "cudnn_fp32",
            [&] { need(cd32_p, cd32_err).backward_filter(x.get(), gy.get(), gw.get()); },
            {{"gw", &gw, &ref_gw, fp32_tol(K_weight)}}, flops, bytes_weight));
        c["versions"].push_back(run_version(
            rep, opt, "cudnn_tf32",
            [&] { need(cdtf_p, cdtf_err).backward_filter(x.get(), gy.get(), gw.get()); },
            {{"gw", &gw, &ref_gw, tf32_tol(K_weight)}}, flops, bytes_weight));
#endif
        rep.add_case(c);
      }
    }
  }
#ifdef DG_BENCH_CUDNN
  cudnnDestroy(cudnn);
#endif
  return rep.finish();
}

}  // namespace

int main(int argc, char** argv) { return bench_main("bench_conv", argc, argv, run); }
