// Matmul precision setting (see precision.h).
#include "engine/precision.h"

#include <atomic>

#include "base/error.h"

namespace dg {

namespace {
std::atomic<MatmulPrecision> g_precision{MatmulPrecision::FP32};
}

MatmulPrecision matmul_precision() { return g_precision.load(std::memory_order_relaxed); }

void set_matmul_precision(MatmulPrecision p) { g_precision.store(p, std::memory_order_relaxed); }

MatmulPrecision parse_matmul_precision(const std::string& s) {
  if (s == "fp32") return MatmulPrecision::FP32;
  if (s == "tf32") return MatmulPrecision::TF32;
  if (s == "bf16") return MatmulPrecision::BF16;
  DG_FAIL("unknown matmul precision '" << s << "' (expected fp32, tf32 or bf16)");
}

Tensor cpu_matmul_operand(const Tensor& t) {
  const MatmulPrecision p = matmul_precision();
  if (p == MatmulPrecision::FP32 || t.device() != Device::CPU || t.dtype() != DType::F32) return t;
  Tensor r = t.clone();
  cpu::round_operands(r.data<float>(), r.numel(), p);
  return r;
}

const char* matmul_precision_name(MatmulPrecision p) {
  switch (p) {
    case MatmulPrecision::FP32:
      return "fp32";
    case MatmulPrecision::TF32:
      return "tf32";
    case MatmulPrecision::BF16:
      return "bf16";
  }
  return "?";
}

}  // namespace dg
