// CPU reference kernels for 2-D convolution, shared by conv2d and conv_transpose2d.
// Templated on the scalar type (float for training, double for gradient checks).
//
// Everything is phrased in terms of one convolution y = conv(x, w), contiguous NCHW:
//   x (N,C,H,W)   w (O,C,kh,kw)   y (N,O,Ho,Wo),   Ho = (H + 2p - kh) / s + 1.
// The three kernels are its forward and its two adjoints. conv_transpose2d with weight
// (C_in,C_out,kh,kw) *is* conv2d_backward_data of the convolution whose input is the transposed
// op's output (C = C_out, O = C_in); its own gradients are conv2d_forward and
// conv2d_backward_weight of that same convolution. One geometry, one set of loops, so the two ops
// cannot drift apart.
//
// Per image the work is a GEMM against an im2col matrix (Eigen), and images are spread over the
// hardware threads. Every reduction happens in a fixed order that does not depend on the thread
// count, so results are bit-identical from run to run and machine to machine (same build).
#pragma once
#include <Eigen/Dense>
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>
#include <utility>
#include <vector>

#include "kernels/common/conv_geometry.h"

namespace dg::cpu {

template <class T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Below this many multiply-adds a call stays on the calling thread: the finite-difference loops of
// the gradient checks call tiny convolutions thousands of times, and thread start-up would
// dominate.
constexpr int64_t kParallelMinMacs = int64_t(1) << 22;

// The most threads a CPU kernel may use; 0 (the default) means one per hardware thread.
// Process-wide; set through dg::set_cpu_threads (engine/device.h).
inline std::atomic<int64_t>& cpu_thread_limit() {
  static std::atomic<int64_t> limit{0};
  return limit;
}

inline int64_t cpu_threads() {
  if (const int64_t limit = cpu_thread_limit().load(std::memory_order_relaxed); limit > 0)
    return limit;
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int64_t>(n);
}

// Runs fn(lo, hi) over a partition of [0, n) into contiguous chunks, one per thread (the caller's
// thread takes the first). Chunks must write disjoint outputs; which thread runs a chunk then never
// changes a result.
template <class F>
void parallel_chunks(int64_t n, int64_t total_macs, F&& fn) {
  int64_t nt = total_macs < kParallelMinMacs ? 1 : std::min(cpu_threads(), n);
  if (nt <= 1) {
    if (n > 0) fn(int64_t(0), n);
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(nt - 1));
  for (int64_t t = 1; t < nt; ++t)
    pool.emplace_back([&fn, t, n, nt] { fn(t * n / nt, (t + 1) * n / nt); });
  fn(int64_t(0), n / nt);
  for (auto& th : pool) th.join();
}

// Output positions o in [lo, hi) whose tap at kernel offset k reads inside [0, size):
// 0 <= o*s - p + k < size. Outside that range the tap reads zero padding.
inline std::pair<int64_t, int64_t> tap_range(int64_t k, int64_t p, int64_t s, int64_t size,
                                             int64_t out_size) {
  int64_t lo = p > k ? (p - k + s - 1) / s : 0;
  int64_t last = size - 1 + p - k;  // largest o*s allowed
  int64_t hi = last < 0 ? 0 : last / s + 1;
  lo = std::min(lo, out_size);
  hi = std::clamp(hi, lo, out_size);
  return {lo, hi};
}

// col (C*kh*kw, Ho*Wo) <- one image x (C,H,W). Assigns every element: zeros where a tap reads
// padding. Row (c,i,j), column (oh,ow) holds x[c, oh*s - p + i, ow*s - p + j].
template <class T>
void im2col(const T* x, T* col, const ConvGeometry& g) {
  const int64_t s = g.stride, p = g.pad;
  for (int64_t c = 0; c < g.C; ++c) {
    const T* xc = x + c * g.H * g.W;
    for (int64_t i = 0; i < g.kh; ++i) {
      for (int64_t j = 0; j < g.kw; ++j) {
        T* row = col + ((c * g.kh + i) * g.kw + j) * g.Ho * g.Wo;
        const auto [lo, hi] = tap_range(j, p, s, g.W, g.Wo);
        for (int64_t oh = 0; oh < g.Ho; ++oh) {
          T* r = row + oh * g.Wo;
          const int64_t ih = g.tap_input(oh, i);
          if (ih < 0 || ih >= g.H) {
            std::fill(r, r + g.Wo, T(0));
            continue;
          }
          const T* xr = xc + ih * g.W;
          const int64_t base = j - p;  // input column of output column 0
          std::fill(r, r + lo, T(0));
          if (s == 1) {
            if (hi > lo) std::copy(xr + base + lo, xr + base + hi, r + lo);
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) r[ow] = xr[base + ow * s];
          }
          std::fill(r + hi, r + g.Wo, T(0));
        }
      }
    }
  }
}

// One image x (C,H,W) += col2im(col). Accumulates: every tap adds its column entry back onto the
// input pixel it read; taps that read padding are dropped. The adjoint of im2col.
template <class T>
void col2im_accumulate(const T* col, T* x, const ConvGeometry& g) {
  const int64_t s = g.stride, p = g.pad;
  for (int64_t c = 0; c < g.C; ++c) {
    T* xc = x + c * g.H * g.W;
    for (int64_t i = 0; i < g.kh; ++i) {
      for (int64_t j = 0; j < g.kw; ++j) {
        const T* row = col + ((c * g.kh + i) * g.kw + j) * g.Ho * g.Wo;
        const auto [lo, hi] = tap_range(j, p, s, g.W, g.Wo);
        for (int64_t oh = 0; oh < g.Ho; ++oh) {
          const int64_t ih = g.tap_input(oh, i);
          if (ih < 0 || ih >= g.H) continue;
          const T* r = row + oh * g.Wo;
          T* xr = xc + ih * g.W;
          const int64_t base = j - p;
          for (int64_t ow = lo; ow < hi; ++ow) xr[base + ow * s] += r[ow];
        }
      }
    }
  }
}

// y (N,O,Ho,Wo) = conv(x (N,C,H,W), w (O,C,kh,kw)), no bias. Assigns every element of y.
template <class T>
void conv2d_forward(const T* x, const T* w, T* y, const ConvGeometry& g) {
  const int64_t K = g.col_rows(), P = g.col_cols();
  Eigen::Map<const RowMat<T>> wm(w, g.O, K);
  parallel_chunks(g.N, g.N * g.image_macs(), [&](int64_t n0, int64_t n1) {
    std::vector<T> col(g.is_pointwise() ? 0 : static_cast<size_t>(K * P));
    for (int64_t n = n0; n < n1; ++n) {
      const T* xn = x + n * g.in_image();
      if (!g.is_pointwise()) im2col(xn, col.data(), g);
      Eigen::Map<const RowMat<T>> cm(g.is_pointwise() ? xn : col.data(), K, P);
      Eigen::Map<RowMat<T>> ym(y + n * g.out_image(), g.O, P);
      ym.noalias() = wm * cm;
    }
  });
}

// gx (N,C,H,W) = d<y, gy>/dx for y = conv(x, w): the transposed convolution of gy (N,O,Ho,Wo).
// Assigns every element of gx (input pixels no window covers get 0). Also conv_transpose2d's
// forward.
template <class T>
void conv2d_backward_data(const T* gy, const T* w, T* gx, const ConvGeometry& g) {
  const int64_t K = g.col_rows(), P = g.col_cols();
  Eigen::Map<const RowMat<T>> wm(w, g.O, K);
  parallel_chunks(g.N, g.N * g.image_macs(), [&](int64_t n0, int64_t n1) {
    std::vector<T> col(g.is_pointwise() ? 0 : static_cast<size_t>(K * P));
    for (int64_t n = n0; n < n1; ++n) {
      Eigen::Map<const RowMat<T>> gym(gy + n * g.out_image(), g.O, P);
      T* gxn = gx + n * g.in_image();
      if (g.is_pointwise()) {
        Eigen::Map<RowMat<T>>(gxn, K, P).noalias() = wm.transpose() * gym;
        continue;
      }
      Eigen::Map<RowMat<T>> cm(col.data(), K, P);
      cm.noalias() = wm.transpose() * gym;
      std::fill(gxn, gxn + g.in_image(), T(0));
      col2im_accumulate(col.data(), gxn, g);
    }
  });
}

// Images per partial sum of the weight gradient is fixed by this block count, not by the number of
// threads, so the summation order (and so the float result) is the same on every machine.
constexpr int64_t kWeightGradBlocks = 8;

// gw (O,C,kh,kw) = d<y, gy>/dw for y = conv(x, w) = sum over images of gy_n * im2col(x_n)^T.
// Assigns every element of gw. Images are summed in order within each of kWeightGradBlocks
// contiguous blocks, then the block sums are added in block order.
template <class T>
void conv2d_backward_weight(const T* x, const T* gy, T* gw, const ConvGeometry& g) {
  const int64_t K = g.col_rows(), P = g.col_cols();
  Eigen::Map<RowMat<T>> gwm(gw, g.O, K);
  if (g.N == 0) {
    gwm.setZero();
    return;
  }
  const int64_t nb = std::min(kWeightGradBlocks, g.N);
  // Block 0 sums straight into gw; the others into their own partials.
  std::vector<T> partial(static_cast<size_t>((nb - 1) * g.O * K));
  parallel_chunks(nb, g.N * g.image_macs(), [&](int64_t b0, int64_t b1) {
    std::vector<T> col(g.is_pointwise() ? 0 : static_cast<size_t>(K * P));
    for (int64_t b = b0; b < b1; ++b) {
      Eigen::Map<RowMat<T>> acc(b == 0 ? gw : partial.data() + (b - 1) * g.O * K, g.O, K);
      for (int64_t n = b * g.N / nb; n < (b + 1) * g.N / nb; ++n) {
        const T* xn = x + n * g.in_image();
        if (!g.is_pointwise()) im2col(xn, col.data(), g);
        Eigen::Map<const RowMat<T>> cm(g.is_pointwise() ? xn : col.data(), K, P);
        Eigen::Map<const RowMat<T>> gym(gy + n * g.out_image(), g.O, P);
        if (n == b * g.N / nb)
          acc.noalias() = gym * cm.transpose();
        else
          acc.noalias() += gym * cm.transpose();
      }
    }
  });
  for (int64_t b = 1; b < nb; ++b)
    gwm += Eigen::Map<const RowMat<T>>(partial.data() + (b - 1) * g.O * K, g.O, K);
}

// y (N,C,HW) += b[c] broadcast over images and pixels. Accumulates.
template <class T>
void channel_bias_forward(const T* b, T* y, int64_t N, int64_t C, int64_t HW) {
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c) {
      T* p = y + (n * C + c) * HW;
      const T v = b[c];
      for (int64_t k = 0; k < HW; ++k) p[k] += v;
    }
}

// gb[c] = sum over images and pixels of gy (N,C,HW). Assigns every element of gb. Summed in double:
// a float running sum over the ~10^5 terms of a training batch loses several digits.
template <class T>
void channel_bias_backward(const T* gy, T* gb, int64_t N, int64_t C, int64_t HW) {
  for (int64_t c = 0; c < C; ++c) {
    double acc = 0;
    for (int64_t n = 0; n < N; ++n) {
      const T* p = gy + (n * C + c) * HW;
      for (int64_t k = 0; k < HW; ++k) acc += static_cast<double>(p[k]);
    }
    gb[c] = static_cast<T>(acc);
  }
}

}  // namespace dg::cpu
