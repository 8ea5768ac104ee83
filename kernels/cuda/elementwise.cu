// CUDA kernels for broadcasting binary arithmetic (contract: elementwise.h); the per-element math
// and the op dispatch are the CPU's (kernels/common/elementwise_math.h).
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/elementwise.h"

namespace dg::cuda {

namespace {

constexpr int kMaxDims = 8;

// Passed by value as a kernel argument; 32-bit sizes and strides (guarded by check_int32_range).
struct BroadcastIndex {
  int nd;
  int32_t shape[kMaxDims];
  int32_t as[kMaxDims];
  int32_t bs[kMaxDims];
};

// a_step / b_step: 1 for a same-shape operand, 0 for a scalar one.
template <cpu::BinaryOp Op>
__global__ void binary_flat_kernel(const float* a, int a_step, const float* b, int b_step,
                                   float* out, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    out[i] = cpu::apply_binary<Op>(a[i * a_step], b[i * b_step]);
}

template <cpu::BinaryOp Op>
__global__ void binary_broadcast_kernel(const float* a, const float* b, float* out, int32_t n,
                                        BroadcastIndex ix) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    int32_t rest = static_cast<int32_t>(i), ao = 0, bo = 0;
    for (int d = ix.nd - 1; d >= 0; --d) {
      const int32_t c = rest % ix.shape[d];
      rest /= ix.shape[d];
      ao += c * ix.as[d];
      bo += c * ix.bs[d];
    }
    out[i] = cpu::apply_binary<Op>(a[ao], b[bo]);
  }
}

// Output element j = blockIdx.x: its kept-dim coordinates give `base`; the block's threads walk
// the reduced index space in a fixed order.
struct SumToIndex {
  int n_keep, n_red;
  int32_t keep_size[kMaxDims], keep_stride[kMaxDims];  // g strides of the dims out keeps
  int32_t red_size[kMaxDims], red_stride[kMaxDims];    // g strides of the dims summed over
};

__global__ void sum_to_kernel(const float* g, float* out, int32_t reduced, SumToIndex ix) {
  int32_t rest = blockIdx.x, base = 0;
  for (int d = ix.n_keep - 1; d >= 0; --d) {
    base += (rest % ix.keep_size[d]) * ix.keep_stride[d];
    rest /= ix.keep_size[d];
  }
  double s = 0.0;
  for (int32_t r = threadIdx.x; r < reduced; r += blockDim.x) {
    int32_t rr = r, off = base;
    for (int d = ix.n_red - 1; d >= 0; --d) {
      off += (rr % ix.red_size[d]) * ix.red_stride[d];
      rr /= ix.red_size[d];
    }
    s += g[off];
  }
  s = block_sum(s);
  if (threadIdx.x == 0) out[blockIdx.x] = static_cast<float>(s);
}

struct LoadF {
  const float* x;
  __device__ double operator()(int64_t i) const { return x[i]; }
};

__global__ void scale_shift_kernel(const float* x, float* out, int64_t n, float scale,
                                   float shift) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    out[i] = cpu::scale_shift(x[i], scale, shift);
}

__global__ void accumulate_kernel(float* a, const float* b, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    a[i] += b[i];
}

// Whether `st` walks the output contiguously (same shape) / never moves (scalar).
bool is_dense(const std::vector<int64_t>& shape, const std::vector<int64_t>& st) {
  int64_t expect = 1;
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    if (shape[d] != 1 && st[d] != expect) return false;
    expect *= shape[d];
  }
  return true;
}
bool is_scalar(const std::vector<int64_t>& shape, const std::vector<int64_t>& st) {
  for (size_t d = 0; d < shape.size(); ++d)
    if (shape[d] != 1 && st[d] != 0) return false;
  return true;
}

template <cpu::BinaryOp Op>
void launch_binary(const float* a, const float* b, float* out, const std::vector<int64_t>& shape,
                   const std::vector<int64_t>& as, const std::vector<int64_t>& bs, int64_t n) {
  const bool ad = is_dense(shape, as), bd = is_dense(shape, bs);
  const bool ac = is_scalar(shape, as), bc = is_scalar(shape, bs);
  if ((ad || ac) && (bd || bc)) {
    binary_flat_kernel<Op>
        <<<grid_for(n), kBlock, 0, stream()>>>(a, ad ? 1 : 0, b, bd ? 1 : 0, out, n);
    DG_CUDA_CHECK_LAUNCH("binary_flat_kernel");
    return;
  }
  DG_CHECK(shape.size() <= kMaxDims, "binary_forward (cuda): " << shape.size() << " dims, at most "
                                                               << kMaxDims << " supported");
  check_int32_range(n, "binary_forward (cuda)");
  BroadcastIndex ix{};
  ix.nd = static_cast<int>(shape.size());
  for (int d = 0; d < ix.nd; ++d) {
    ix.shape[d] = static_cast<int32_t>(shape[d]);
    ix.as[d] = static_cast<int32_t>(as[d]);
    ix.bs[d] = static_cast<int32_t>(bs[d]);
  }
  binary_broadcast_kernel<Op>
      <<<grid_for(n), kBlock, 0, stream()>>>(a, b, out, static_cast<int32_t>(n), ix);
  DG_CUDA_CHECK_LAUNCH("binary_broadcast_kernel");
}

}  // namespace

void binary_forward(cpu::BinaryOp op, const float* a, const float* b, float* out,
                    const std::vector<int64_t>& out_shape, const std::vector<int64_t>& a_strides,
                    const std::vector<int64_t>& b_strides) {
  int64_t n = 1;
  for (int64_t d : out_shape) n *= d;
  if (n == 0) return;
  const bool known = cpu::with_binary_op(op, [&](auto tag) {
    launch_binary<decltype(tag)::value>(a, b, out, out_shape, a_strides, b_strides, n);
  });
  if (!known) DG_FAIL("binary_forward (cuda): unknown op " << static_cast<int>(op));
}

void sum_to_forward(const float* g, float* out, int64_t out_numel,
                    const std::vector<int64_t>& g_shape, const std::vector<int64_t>& out_strides) {
  if (out_numel == 0) return;
  int64_t n = 1;
  for (int64_t d : g_shape) n *= d;
  if (n == 0) {  // nothing broadcasts onto out: the sums are empty
    fill_f32(out, 0.0f, static_cast<size_t>(out_numel));
    return;
  }
  DG_CHECK(g_shape.size() <= kMaxDims,
           "sum_to (cuda): " << g_shape.size() << " dims, at most " << kMaxDims << " supported");
  check_int32_range(n, "sum_to (cuda)");
  SumToIndex ix{};
  int64_t reduced = 1, gstride = 1;
  // Innermost first, then reversed, so both lists are in outer-to-inner order.
  int32_t ks[kMaxDims], kst[kMaxDims], rs[kMaxDims], rst[kMaxDims];
  int nk = 0, nr = 0;
  for (int64_t d = static_cast<int64_t>(g_shape.size()) - 1; d >= 0; --d) {
    if (g_shape[d] != 1) {
      if (out_strides[d] != 0) {
        ks[nk] = static_cast<int32_t>(g_shape[d]);
        kst[nk++] = static_cast<int32_t>(gstride);
      } else {
        rs[nr] = static_cast<int32_t>(g_shape[d]);
        rst[nr++] = static_cast<int32_t>(gstride);
        reduced *= g_shape[d];
      }
    }
    gstride *= g_shape[d];
  }
  if (nk == 0) {  // everything sums into one element: the two-pass grid reduction
    deterministic_sum(LoadF{g}, n, 1.0, out, "sum_to (cuda)");
    return;
  }
  DG_CHECK(n / reduced == out_numel,
           "sum_to (cuda): " << out_numel << " outputs but " << n / reduced << " kept elements");
  ix.n_keep = nk;
  ix.n_red = nr;
  for (int i = 0; i < nk; ++i) {
    ix.keep_size[i] = ks[nk - 1 - i];
    ix.keep_stride[i] = kst[nk - 1 - i];
  }
  for (int i = 0; i < nr; ++i) {
    ix.red_size[i] = rs[nr - 1 - i];
    ix.red_stride[i] = rst[nr - 1 - i];
  }
  const int threads = reduced >= 1024 ? kBlock : 32;
  sum_to_kernel<<<static_cast<unsigned>(out_numel), threads, 0, stream()>>>(
      g, out, static_cast<int32_t>(reduced), ix);
  DG_CUDA_CHECK_LAUNCH("sum_to_kernel");
}

void scale_shift_forward(const float* x, float* out, int64_t n, float scale, float shift) {
  if (n == 0) return;
  scale_shift_kernel<<<grid_for(n), kBlock, 0, stream()>>>(x, out, n, scale, shift);
  DG_CUDA_CHECK_LAUNCH("scale_shift_kernel");
}

void accumulate(float* a, const float* b, int64_t n) {
  if (n == 0) return;
  accumulate_kernel<<<grid_for(n), kBlock, 0, stream()>>>(a, b, n);
  DG_CUDA_CHECK_LAUNCH("accumulate_kernel");
}

}  // namespace dg::cuda
