// index_rows (see ops.h): a row gather by int32 indices, CPU and CUDA under one name.
#include <cstdint>

#include "engine/ops.h"
#include "kernels/cpu/gather.h"
#include "kernels/cuda/gather.h"

namespace dg {

void index_rows_into(const Tensor& src, const Tensor& rows, Tensor& out) {
  check_defined(src, "index_rows", "src");
  check_defined(rows, "index_rows", "rows");
  check_defined(out, "index_rows", "out");
  check_same_device(src, rows, "index_rows");
  check_same_device(src, out, "index_rows");
  DG_CHECK(rows.dtype() == DType::I32 && rows.dim() == 1,
           "index_rows: argument 'rows' must be a 1-d int32 tensor, got "
               << dtype_name(rows.dtype()) << " " << shape_str(rows.shape()));
  DG_CHECK(src.dim() >= 1 && src.dtype() != DType::I32,
           "index_rows: argument 'src' must be a float tensor (N, ...), got "
               << dtype_name(src.dtype()) << " " << shape_str(src.shape()));
  DG_CHECK(!src.requires_grad(),
           "index_rows: 'src' requires grad; the row gather is not differentiable (it gathers "
           "data, not activations)");
  const int64_t n = src.size(0), m = rows.size(0);
  Shape out_shape = src.shape();
  out_shape[0] = m;
  DG_CHECK(out.shape() == out_shape && out.dtype() == src.dtype(),
           "index_rows: argument 'out' must be "
               << dtype_name(src.dtype()) << " " << shape_str(out_shape) << ", got "
               << dtype_name(out.dtype()) << " " << shape_str(out.shape()));
  const int64_t width = n ? src.numel() / n : 0;
  if (m == 0 || width == 0) return;
  const int32_t* idx = rows.data<int32_t>();
  if (src.device() == Device::CUDA) {
    // The indices are on the device: the host does not read them (the caller validates them
    // where it builds them, e.g. the trainer's staging).
    cuda::index_rows(src.data<float>(), width, idx, m, out.data<float>());
    return;
  }
  for (int64_t r = 0; r < m; ++r)
    DG_CHECK(idx[r] >= 0 && idx[r] < n,
             "index_rows: rows[" << r << "] = " << idx[r] << " is outside [0, " << n << ")");
  DG_DISPATCH_FLOAT(src.dtype(), "index_rows",
                    [&] { cpu::index_rows(src.data<T>(), width, idx, m, out.data<T>()); });
}

Tensor index_rows(const Tensor& src, const Tensor& rows) {
  check_defined(src, "index_rows", "src");
  check_defined(rows, "index_rows", "rows");
  DG_CHECK(src.dim() >= 1 && rows.dim() == 1,
           "index_rows: expected src (N, ...) and rows (M,), got "
               << shape_str(src.shape()) << " and " << shape_str(rows.shape()));
  Shape out_shape = src.shape();
  out_shape[0] = rows.size(0);
  Tensor out = Tensor::empty(out_shape, src.dtype(), src.device());
  index_rows_into(src, rows, out);
  return out;
}

}  // namespace dg
