// Philox4x32-10 counter-based RNG (Salmon et al., SC'11). A draw is a pure function of
// (seed, offset, element index), so the CUDA side reproduces the CPU stream exactly.
//
// Stream layout (the contract both devices follow):
//   block(seed, c) = Philox4x32-10 of counter (lo32(c), hi32(c), 0, 0) with key (lo32(seed),
//   hi32(seed)), giving 4 uint32 words. A call that draws n values starts at counter `offset`:
//   - uniform / bernoulli: element i uses word i%4 of block(offset + i/4); u = (w + 0.5) / 2^32 in
//   (0,1).
//   - normal: element i uses block(offset + i/2); words 2*(i%2), 2*(i%2)+1 give u1, u2 and
//     n = sqrt(-2 ln u1) * cos(2π u2)  (one normal per word pair; no cached second value).
//   The offset then advances by the number of blocks the call touched (ceil(n/4) or ceil(n/2)).
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "engine/tensor.h"

namespace dg {

class Philox {
 public:
  explicit Philox(uint64_t seed = 0, uint64_t offset = 0) : seed_(seed), offset_(offset) {}

  static std::array<uint32_t, 4> block(uint64_t seed, uint64_t counter);
  static double to_unit(uint32_t w) {
    return (static_cast<double>(w) + 0.5) * (1.0 / 4294967296.0);
  }

  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }
  void set_offset(uint64_t o) { offset_ = o; }

  // Data-parallel training (docs/design.md#data-parallel-training): the rows a rank holds of the
  // draws that follow the batch layout. A call over n rows, n a multiple of `rows`, is taken as n /
  // rows blocks of `rows` rows, block j being rows [j rows world + rank rows, ... + rows) of the
  // single-process call over n world rows; dropout then draws each of its rows where that call
  // would, and advances the stream as that call does. world 1: no sharding (the default).
  struct RowShard {
    int64_t rank = 0, world = 1, rows = 0;
  };
  void set_row_shard(RowShard s) { shard_ = s; }
  const RowShard& row_shard() const { return shard_; }

  // Tensors on the CPU with the requested dtype; `to(device)` them as needed.
  Tensor normal(const Shape& shape, double mean = 0.0, double stddev = 1.0,
                DType dtype = DType::F32);
  Tensor uniform(const Shape& shape, double lo = 0.0, double hi = 1.0, DType dtype = DType::F32);
  Tensor bernoulli(const Shape& shape, double p, DType dtype = DType::F32);  // 1 with probability p
  // Uniformly random permutation of 0..n-1 (Fisher-Yates driven by the uniform stream).
  std::vector<int64_t> permutation(int64_t n);
  // Raw streams, same layout as above, into caller memory.
  void fill_uniform(double* out, int64_t n);
  void fill_normal(double* out, int64_t n);

 private:
  uint64_t seed_;
  uint64_t offset_;
  RowShard shard_;
};

}  // namespace dg
