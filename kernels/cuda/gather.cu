// Row gather (contract: gather.h): one thread per output element, consecutive threads along a row,
// so both the table reads and the output writes of a row are coalesced.
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/gather.h"

namespace dg::cuda {

namespace {

__global__ void index_rows_kernel(const float* table, int64_t width, const int32_t* rows,
                                  int64_t total, float* out) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = i / width, k = i - r * width;
    out[i] = table[static_cast<int64_t>(rows[r]) * width + k];
  }
}

}  // namespace

void index_rows(const float* table, int64_t width, const int32_t* rows, int64_t count, float* out) {
  const int64_t total = count * width;
  if (total == 0) return;
  index_rows_kernel<<<grid_for(total), kBlock, 0, stream()>>>(table, width, rows, total, out);
  DG_CUDA_CHECK_LAUNCH("index_rows_kernel");
}

}  // namespace dg::cuda
