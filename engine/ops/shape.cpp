// Shape ops: reshape and flatten (free views sharing storage, on any device), concat along any dim
// and narrow of dim 0 (copies).
#include "engine/ops.h"
#include "kernels/cpu/reduce.h"
#include "kernels/cuda/runtime.h"

namespace dg {

namespace {

// Resolves a single -1 in `s` against numel; every other entry must be >= 0.
Shape infer_shape(const Shape& s, int64_t numel, const Shape& from) {
  Shape out = s;
  int64_t infer_at = -1, known = 1;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == -1) {
      DG_CHECK(infer_at < 0,
               "reshape: argument 'shape' " << shape_str(s) << " has more than one -1");
      infer_at = static_cast<int64_t>(i);
    } else {
      DG_CHECK(s[i] >= 0, "reshape: argument 'shape' " << shape_str(s)
                                                       << " has a negative size other than -1");
      known *= s[i];
    }
  }
  if (infer_at >= 0) {
    DG_CHECK(known > 0 && numel % known == 0, "reshape: cannot infer the -1 in "
                                                  << shape_str(s) << " for " << numel
                                                  << " elements (input shape " << shape_str(from)
                                                  << ")");
    out[infer_at] = numel / known;
  }
  DG_CHECK(shape_numel(out) == numel, "reshape: expected a shape with "
                                          << numel << " elements (input shape " << shape_str(from)
                                          << "), got " << shape_str(s));
  return out;
}

// cpu::copy_blocks or its device twin, by the tensors' device (byte strides, type-free).
void copy_blocks(const void* src, int64_t src_stride, void* dst, int64_t dst_stride, int64_t outer,
                 int64_t block, Device device) {
  if (device == Device::CUDA)
    cuda::copy_blocks(src, src_stride, dst, dst_stride, outer, block);
  else
    cpu::copy_blocks(src, src_stride, dst, dst_stride, outer, block);
}

}  // namespace

Tensor reshape(const Tensor& x, const Shape& s) {
  check_defined(x, "reshape", "x");
  Shape target = infer_shape(s, x.numel(), x.shape());
  // detach() gives a fresh TensorImpl on the same Storage: the view is free and writes through.
  Tensor out = x.detach();
  out.impl()->shape = target;
  if (needs_grad(x)) {
    Shape xs = x.shape();
    record(out, "reshape", {x},
           [xs](const Tensor& g) -> std::vector<Tensor> { return {reshape(g, xs)}; });
  }
  return out;
}

Tensor flatten(const Tensor& x) {
  check_defined(x, "flatten", "x");
  DG_CHECK(x.dim() >= 1,
           "flatten: argument 'x' must be (N, ...), got shape " << shape_str(x.shape()));
  return reshape(x, {x.size(0), x.dim() == 1 ? 1 : -1});
}

Tensor concat(const std::vector<Tensor>& xs, int64_t dim) {
  DG_CHECK(!xs.empty(), "concat: argument 'xs' is empty, expected at least one tensor");
  for (const Tensor& t : xs) check_defined(t, "concat", "xs[i]");
  const Tensor& x0 = xs[0];
  const int64_t nd = x0.dim();
  DG_CHECK(nd >= 1,
           "concat: tensors must have at least 1 dim, got shape " << shape_str(x0.shape()));
  const int64_t d = dim < 0 ? dim + nd : dim;
  DG_CHECK(d >= 0 && d < nd,
           "concat: argument 'dim' " << dim << " out of range for shape " << shape_str(x0.shape()));
  Shape out_shape = x0.shape();
  out_shape[d] = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const Tensor& t = xs[i];
    check_same_device(x0, t, "concat");
    check_same_dtype(x0, t, "concat");
    bool ok = t.dim() == nd;
    for (int64_t k = 0; ok && k < nd; ++k) ok = k == d || t.size(k) == x0.size(k);
    DG_CHECK(ok, "concat: xs[" << i << "] has shape " << shape_str(t.shape())
                               << ", expected all dims but dim " << d << " to match xs[0] "
                               << shape_str(x0.shape()));
    out_shape[d] += t.size(d);
  }

  // Viewed as (outer, size(d) * inner): each input contributes one contiguous block per outer row.
  const int64_t es = static_cast<int64_t>(dtype_size(x0.dtype()));
  int64_t outer = 1, inner = 1;
  for (int64_t k = 0; k < d; ++k) outer *= out_shape[k];
  for (int64_t k = d + 1; k < nd; ++k) inner *= out_shape[k];
  const int64_t out_stride = out_shape[d] * inner * es;
  Tensor out = Tensor::empty(out_shape, x0.dtype(), x0.device());
  std::vector<int64_t> offsets(xs.size()), blocks(xs.size());
  int64_t off = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    offsets[i] = off;
    blocks[i] = xs[i].size(d) * inner * es;
    copy_blocks(xs[i].raw(), blocks[i], static_cast<char*>(out.raw()) + off, out_stride, outer,
                blocks[i], out.device());
    off += blocks[i];
  }

  bool any = false;
  for (const Tensor& t : xs) any = any || needs_grad(t);
  if (any) {
    std::vector<Shape> shapes;
    std::vector<bool> want;
    for (const Tensor& t : xs) {
      shapes.push_back(t.shape());
      want.push_back(t.requires_grad());
    }
    record(
        out, "concat", xs,
        [shapes, want, offsets, blocks, outer, out_stride](const Tensor& g) -> std::vector<Tensor> {
          std::vector<Tensor> gs(shapes.size());
          for (size_t i = 0; i < shapes.size(); ++i) {
            if (!want[i]) continue;
            gs[i] = Tensor::empty(shapes[i], g.dtype(), g.device());
            copy_blocks(static_cast<const char*>(g.raw()) + offsets[i], out_stride, gs[i].raw(),
                        blocks[i], outer, blocks[i], g.device());
          }
          return gs;
        });
  }
  return out;
}

Tensor narrow(const Tensor& x, int64_t start, int64_t length) {
  check_defined(x, "narrow", "x");
  DG_CHECK(x.dim() >= 1,
           "narrow: argument 'x' must be (N, ...), got shape " << shape_str(x.shape()));
  const int64_t n = x.size(0);
  DG_CHECK(start >= 0 && length >= 0 && start + length <= n,
           "narrow: rows [" << start << ", " << start + length << ") expected within [0, " << n
                            << ") of dim 0 of 'x' (shape " << shape_str(x.shape()) << ")");
  Shape out_shape = x.shape();
  out_shape[0] = length;
  const int64_t row_bytes = (n ? x.numel() / n : 0) * static_cast<int64_t>(dtype_size(x.dtype()));
  Tensor out = Tensor::empty(out_shape, x.dtype(), x.device());
  copy_blocks(static_cast<const char*>(x.raw()) + start * row_bytes, 0, out.raw(), 0, 1,
              length * row_bytes, x.device());
  if (needs_grad(x)) {
    Shape xs = x.shape();
    record(out, "narrow", {x},
           [xs, start, length, row_bytes](const Tensor& g) -> std::vector<Tensor> {
             Tensor gx = Tensor::zeros(xs, g.dtype(), g.device());
             copy_blocks(g.raw(), 0, static_cast<char*>(gx.raw()) + start * row_bytes, 0, 1,
                         length * row_bytes, g.device());
             return {gx};
           });
  }
  return out;
}

}  // namespace dg
