// Row gather on the GPU: the trainer keeps its data set on the device and builds each batch there
// from row indices, so a step moves a few kilobytes of indices instead of the batch's images.
// Plain C++ (no CUDA include). CPU reference: kernels/cpu/gather.h (same name and arguments);
// engine op: index_rows (engine/ops.h).
#pragma once
#include <cstdint>

namespace dg::cuda {

// out (count, width) row r = table (rows, width) row rows[r]; every rows[r] must be in [0, rows)
// (not checked on the device: the caller validates the indices on the host). Assigns all of out.
void index_rows(const float* table, int64_t width, const int32_t* rows, int64_t count, float* out);

}  // namespace dg::cuda
