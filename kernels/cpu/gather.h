// Row gather by int32 indices, the CPU reference of kernels/cuda/gather.h (same name and
// arguments): out (count, width) row r = table (rows, width) row rows[r]. Every rows[r] must be in
// range (the caller checks). Assigns all of out.
#pragma once
#include <algorithm>
#include <cstdint>

namespace dg::cpu {

template <class T>
void index_rows(const T* table, int64_t width, const int32_t* rows, int64_t count, T* out) {
  for (int64_t r = 0; r < count; ++r) {
    const T* src = table + static_cast<int64_t>(rows[r]) * width;
    std::copy(src, src + width, out + r * width);
  }
}

}  // namespace dg::cpu
