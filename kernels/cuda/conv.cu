// conv2d / conv_transpose2d on the GPU (contract: conv.h): im2col + cuBLAS, correctness first.
// Images are processed in chunks whose scratch (im2col columns, per-image weight-gradient partials)
// stays under kScratchFloats, so the scratch sizes depend on the shape only and the caching
// allocator serves them from its cache after the first step.
//   forward:        col_n (K,P) = im2col(x_n);   y_n (O,P) = w (O,K) col_n       (batched SGEMM)
//   backward data:  col_n (K,P) = w^T gy_n;      gx_n = col2im(col_n)            (gather, assigns)
//   backward weight: part_n (O,K) = gy_n col_n^T; gw = sum_n part_n in index order (no atomics)
// K = C*kh*kw, P = Ho*Wo. Row-major GEMMs go to column-major cuBLAS as their transposes (see
// linear.cu). col2im is a gather (one thread per input pixel summing its taps in (i, j) order), so
// no atomics anywhere and every output element is written exactly once.
#include <algorithm>
#include <limits>

#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/conv.h"
#include "kernels/cuda/gemm.cuh"

namespace dg::cuda {

namespace {

// Scratch budget per call, in floats (128 MiB).
constexpr int64_t kScratchFloats = int64_t(1) << 25;

// col (nb, K, P) <- x (nb, C, H, W); zeros where a tap reads padding. Assigns every element.
__global__ void im2col_kernel(const float* __restrict__ x, float* __restrict__ col, int64_t nb,
                              cpu::ConvGeometry g) {
  const int64_t K = g.col_rows(), P = g.col_cols(), total = nb * K * P;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t pp = i % P, r = (i / P) % K, n = i / (P * K);
    const int64_t ow = pp % g.Wo, oh = pp / g.Wo;
    const int64_t j = r % g.kw, ii = (r / g.kw) % g.kh, c = r / (g.kw * g.kh);
    const int64_t ih = g.tap_input(oh, ii), iw = g.tap_input(ow, j);
    float v = 0.0f;
    if (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W) v = x[((n * g.C + c) * g.H + ih) * g.W + iw];
    col[i] = v;
  }
}

// x (nb, C, H, W) = col2im(col (nb, K, P)): each input pixel sums the column entries of the taps
// that read it, in (i, j) order. Assigns every element (pixels no window covers get 0).
__global__ void col2im_kernel(const float* __restrict__ col, float* __restrict__ x, int64_t nb,
                              cpu::ConvGeometry g) {
  const int64_t P = g.col_cols(), total = nb * g.in_image();
  for (int64_t idx = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; idx < total;
       idx += int64_t(gridDim.x) * blockDim.x) {
    const int64_t w = idx % g.W, h = (idx / g.W) % g.H, c = (idx / (g.W * g.H)) % g.C,
                  n = idx / (g.W * g.H * g.C);
    const float* coln = col + n * g.col_rows() * P;
    float acc = 0.0f;
    for (int64_t ii = 0; ii < g.kh; ++ii) {
      const int64_t th = h + g.pad - ii;  // = oh * s for the output row whose tap ii reads row h
      if (th < 0 || th % g.stride != 0) continue;
      const int64_t oh = th / g.stride;
      if (oh >= g.Ho) continue;
      for (int64_t j = 0; j < g.kw; ++j) {
        const int64_t tw = w + g.pad - j;
        if (tw < 0 || tw % g.stride != 0) continue;
        const int64_t ow = tw / g.stride;
        if (ow >= g.Wo) continue;
        acc += coln[((c * g.kh + ii) * g.kw + j) * P + oh * g.Wo + ow];
      }
    }
    x[idx] = acc;
  }
}

// gw (O*K) = (first ? 0 : gw) + sum over n < nb of part (nb, O*K), in index order, in double.
__global__ void sum_partials_kernel(const float* __restrict__ part, float* __restrict__ gw,
                                    int64_t nb, int64_t ok, bool first) {
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < ok;
       e += int64_t(gridDim.x) * blockDim.x) {
    double acc = first ? 0.0 : static_cast<double>(gw[e]);
    for (int64_t n = 0; n < nb; ++n) acc += part[n * ok + e];
    gw[e] = static_cast<float>(acc);
  }
}

__global__ void channel_bias_forward_kernel(const float* __restrict__ b, float* __restrict__ y,
                                            int64_t total, int64_t C, int64_t HW) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x)
    y[i] += b[(i / HW) % C];
}

// One block per channel; grid-stride partial sums, then the fixed block tree (block_reduce.cuh).
__global__ void channel_bias_backward_kernel(const float* __restrict__ gy, float* __restrict__ gb,
                                             int64_t N, int64_t C, int64_t HW) {
  const int64_t c = blockIdx.x, m = N * HW;
  double s = 0.0;
  for (int64_t i = threadIdx.x; i < m; i += blockDim.x) {
    const int64_t n = i / HW, k = i % HW;
    s += gy[(n * C + c) * HW + k];
  }
  s = block_sum(s);
  if (threadIdx.x == 0) gb[c] = static_cast<float>(s);
}

void check_sizes(const cpu::ConvGeometry& g, const char* op) {
  constexpr int64_t kMax = std::numeric_limits<int>::max();
  const int64_t K = g.col_rows(), P = g.col_cols();
  DG_CHECK(K <= kMax && P <= kMax && g.O <= kMax, op << " (cuda): GEMM sizes " << g.O << " x " << K
                                                     << " x " << P << " exceed cuBLAS' int range");
}

// Images per chunk: scratch of `per_image` floats each stays under the budget (at least one).
int64_t chunk_images(int64_t N, int64_t per_image) {
  const int64_t nb = per_image > 0 ? kScratchFloats / per_image : N;
  return std::max<int64_t>(1, std::min<int64_t>(N, nb));
}

// The (K, P) columns of nb images starting at xn: im2col into `col`, or the images themselves for a
// pointwise convolution, whose columns are its input.
const float* columns(const float* xn, int64_t nb, bool pointwise, DeviceBuffer& col,
                     const cpu::ConvGeometry& g) {
  if (pointwise) return xn;
  im2col_kernel<<<grid_for(nb * g.col_rows() * g.col_cols()), kBlock, 0, stream()>>>(
      xn, col.as<float>(), nb, g);
  DG_CUDA_CHECK_LAUNCH("im2col_kernel");
  return col.as<float>();
}

}  // namespace

void conv2d_forward(const float* x, const float* w, float* y, const cpu::ConvGeometry& g,
                    MatmulPrecision precision) {
  const int64_t K = g.col_rows(), P = g.col_cols();
  if (g.N == 0 || g.O == 0 || P == 0) return;
  check_sizes(g, "conv2d_forward");
  const bool pointwise = g.is_pointwise();
  const int64_t nb_max = chunk_images(g.N, pointwise ? 0 : K * P);
  DeviceBuffer col(sizeof(float) * static_cast<size_t>(pointwise ? 1 : nb_max * K * P));
  for (int64_t n0 = 0; n0 < g.N; n0 += nb_max) {
    const int64_t nb = std::min(nb_max, g.N - n0);
    const float* cn = columns(x + n0 * g.in_image(), nb, pointwise, col, g);
    // y_n (O,P) = w (O,K) col_n (K,P): column-major y_n^T (P,O) = col_n^T (P,K) w^T (K,O).
    gemm_cm(CUBLAS_OP_N, CUBLAS_OP_N, static_cast<int>(P), static_cast<int>(g.O),
            static_cast<int>(K), cn, static_cast<int>(P), K * P, w, static_cast<int>(K), 0, 0.0f,
            y + n0 * g.out_image(), static_cast<int>(P), g.O * P, static_cast<int>(nb), precision);
  }
}

void conv2d_backward_data(const float* gy, const float* w, float* gx, const cpu::ConvGeometry& g,
                          MatmulPrecision precision) {
  const int64_t K = g.col_rows(), P = g.col_cols();
  if (g.N == 0 || g.in_image() == 0) return;
  if (g.O == 0 || P == 0) {  // no output taps: the gradient is zero
    fill_f32(gx, 0.0f, static_cast<size_t>(g.N * g.in_image()));
    return;
  }
  check_sizes(g, "conv2d_backward_data");
  const bool pointwise = g.is_pointwise();
  const int64_t nb_max = chunk_images(g.N, pointwise ? 0 : K * P);
  DeviceBuffer col(sizeof(float) * static_cast<size_t>(pointwise ? 1 : nb_max * K * P));
  for (int64_t n0 = 0; n0 < g.N; n0 += nb_max) {
    const int64_t nb = std::min(nb_max, g.N - n0);
    float* gxn = gx + n0 * g.in_image();
    float* cn = pointwise ? gxn : col.as<float>();
    // col_n (K,P) = w^T (K,O) gy_n (O,P): column-major col_n^T (P,K) = gy_n^T (P,O) w (O,K);
    // w's buffer read column-major is (K,O), so it enters transposed with ld K.
    gemm_cm(CUBLAS_OP_N, CUBLAS_OP_T, static_cast<int>(P), static_cast<int>(K),
            static_cast<int>(g.O), gy + n0 * g.out_image(), static_cast<int>(P), g.O * P, w,
            static_cast<int>(K), 0, 0.0f, cn, static_cast<int>(P), K * P, static_cast<int>(nb),
            precision);
    if (!pointwise) {
      col2im_kernel<<<grid_for(nb * g.in_image()), kBlock, 0, stream()>>>(col.as<float>(), gxn, nb,
                                                                          g);
      DG_CUDA_CHECK_LAUNCH("col2im_kernel");
    }
  }
}

void conv2d_backward_weight(const float* x, const float* gy, float* gw, const cpu::ConvGeometry& g,
                            MatmulPrecision precision) {
  const int64_t K = g.col_rows(), P = g.col_cols();
  const int64_t ok = g.O * K;
  if (ok == 0) return;
  if (g.N == 0 || P == 0) {
    fill_f32(gw, 0.0f, static_cast<size_t>(ok));
    return;
  }
  check_sizes(g, "conv2d_backward_weight");
  const bool pointwise = g.is_pointwise();
  const int64_t nb_max = chunk_images(g.N, (pointwise ? 0 : K * P) + ok);
  DeviceBuffer col(sizeof(float) * static_cast<size_t>(pointwise ? 1 : nb_max * K * P));
  DeviceBuffer part(sizeof(float) * static_cast<size_t>(nb_max * ok));
  for (int64_t n0 = 0; n0 < g.N; n0 += nb_max) {
    const int64_t nb = std::min(nb_max, g.N - n0);
    const float* cn = columns(x + n0 * g.in_image(), nb, pointwise, col, g);
    // part_n (O,K) = gy_n (O,P) col_n^T (P,K): column-major part_n^T (K,O) = col_n (K,P) gy_n^T
    // (P,O); col_n's buffer read column-major is (P,K), so it enters transposed with ld P.
    gemm_cm(CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(K), static_cast<int>(g.O),
            static_cast<int>(P), cn, static_cast<int>(P), K * P, gy + n0 * g.out_image(),
            static_cast<int>(P), g.O * P, 0.0f, part.as<float>(), static_cast<int>(K), ok,
            static_cast<int>(nb), precision);
    sum_partials_kernel<<<grid_for(ok), kBlock, 0, stream()>>>(part.as<float>(), gw, nb, ok,
                                                               n0 == 0);
    DG_CUDA_CHECK_LAUNCH("sum_partials_kernel");
  }
}

void channel_bias_forward(const float* b, float* y, int64_t N, int64_t C, int64_t HW) {
  const int64_t total = N * C * HW;
  if (total == 0) return;
  channel_bias_forward_kernel<<<grid_for(total), kBlock, 0, stream()>>>(b, y, total, C, HW);
  DG_CUDA_CHECK_LAUNCH("channel_bias_forward_kernel");
}

void channel_bias_backward(const float* gy, float* gb, int64_t N, int64_t C, int64_t HW) {
  if (C == 0) return;
  DG_CHECK(C <= std::numeric_limits<int>::max(), "channel_bias_backward (cuda): too many channels");
  channel_bias_backward_kernel<<<static_cast<unsigned>(C), kBlock, 0, stream()>>>(gy, gb, N, C, HW);
  DG_CUDA_CHECK_LAUNCH("channel_bias_backward_kernel");
}

}  // namespace dg::cuda
