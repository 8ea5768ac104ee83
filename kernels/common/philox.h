// Philox4x32-10 block function and the word -> uniform / normal mappings, shared verbatim by the
// CPU generator (engine/rng.cpp) and the dropout masks of both backends (dropout_math.h):
// everything here is header-only, allocation-free and marked DG_HOST_DEVICE, so a .cu file that
// includes this header draws the same stream.
// The stream layout these helpers implement is the contract written in engine/rng.h.
#pragma once
#include <cmath>
#include <cstdint>

#include "kernels/common/host_device.h"

namespace dg::cpu {

// A plain struct rather than std::array so that device code needs no relaxed-constexpr flags.
struct PhiloxWords {
  uint32_t w[4];
};

// Full 4-word counter and 2-word key: the form the published known-answer vectors use.
DG_HOST_DEVICE inline PhiloxWords philox4x32_10(PhiloxWords ctr, uint32_t k0, uint32_t k1) {
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = static_cast<uint64_t>(0xD2511F53u) * ctr.w[0];
    const uint64_t p1 = static_cast<uint64_t>(0xCD9E8D57u) * ctr.w[2];
    const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    ctr = PhiloxWords{{hi1 ^ ctr.w[1] ^ k0, lo1, hi0 ^ ctr.w[3] ^ k1, lo0}};
    // The key schedule is a Weyl sequence; bumping after the round keeps round 0 on the raw key.
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return ctr;
}

// The engine's block: a 64-bit counter in words 0-1 (words 2-3 zero), the 64-bit seed as key.
DG_HOST_DEVICE inline PhiloxWords philox_block(uint64_t seed, uint64_t counter) {
  PhiloxWords c{{static_cast<uint32_t>(counter), static_cast<uint32_t>(counter >> 32), 0u, 0u}};
  return philox4x32_10(c, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
}

// (w + 0.5) / 2^32 is exact in double and lies strictly inside (0, 1): log(u) is always finite
// and a comparison u < p gives identical answers on every device.
DG_HOST_DEVICE inline double philox_word_to_unit(uint32_t w) {
  return (static_cast<double>(w) + 0.5) * (1.0 / 4294967296.0);
}

// Box-Muller on one word pair, cosine branch only (the layout never caches the sine value).
// log/cos may differ by an ulp between libm and the CUDA math library; the uniforms never do.
DG_HOST_DEVICE inline double philox_words_to_normal(uint32_t w1, uint32_t w2) {
  const double u1 = philox_word_to_unit(w1), u2 = philox_word_to_unit(w2);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586476925 * u2);
}

// Element i of a uniform / bernoulli draw that starts at counter `offset`.
DG_HOST_DEVICE inline double philox_uniform_at(uint64_t seed, uint64_t offset, uint64_t i) {
  return philox_word_to_unit(philox_block(seed, offset + i / 4).w[i % 4]);
}

// Element i of a normal draw that starts at counter `offset`.
DG_HOST_DEVICE inline double philox_normal_at(uint64_t seed, uint64_t offset, uint64_t i) {
  const PhiloxWords b = philox_block(seed, offset + i / 2);
  const unsigned k = 2u * static_cast<unsigned>(i % 2);
  return philox_words_to_normal(b.w[k], b.w[k + 1]);
}

// Counter blocks a draw of n values consumes (the amount the offset advances).
DG_HOST_DEVICE inline uint64_t philox_uniform_blocks(uint64_t n) { return (n + 3) / 4; }
DG_HOST_DEVICE inline uint64_t philox_normal_blocks(uint64_t n) { return (n + 1) / 2; }

}  // namespace dg::cpu
