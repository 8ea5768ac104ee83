// The precision of matrix products (linear layers, convolutions), process-wide like PyTorch's
// allow_tf32 switches: FP32 by default; TF32 and BF16 (kernels/common/precision.h) are opt-in. On
// the GPU they select tensor-core GEMMs; on the CPU the operands are rounded the same way and
// multiplied in float32, which is the tensor-core arithmetic up to the order of the sums, so a CPU
// run shows what a reduced precision does to the results. float64 tensors ignore the setting.
#pragma once
#include <string>

#include "engine/tensor.h"
#include "kernels/common/precision.h"

namespace dg {

MatmulPrecision matmul_precision();
void set_matmul_precision(MatmulPrecision p);
// "fp32" | "tf32" | "bf16"; throws naming the accepted values.
MatmulPrecision parse_matmul_precision(const std::string& s);
const char* matmul_precision_name(MatmulPrecision p);

// A float32 CPU operand of a product, rounded for the current precision (a copy; `t` itself when
// nothing changes: FP32, float64 or a CUDA tensor, whose kernels round on the fly).
Tensor cpu_matmul_operand(const Tensor& t);

// Sets a precision for a scope and restores the previous one.
class MatmulPrecisionGuard {
 public:
  explicit MatmulPrecisionGuard(MatmulPrecision p) : prev_(matmul_precision()) {
    set_matmul_precision(p);
  }
  ~MatmulPrecisionGuard() { set_matmul_precision(prev_); }
  MatmulPrecisionGuard(const MatmulPrecisionGuard&) = delete;
  MatmulPrecisionGuard& operator=(const MatmulPrecisionGuard&) = delete;

 private:
  MatmulPrecision prev_;
};

}  // namespace dg
