// The math-library calls of the shared per-element helpers (kernels/common/*_math.h, sigmoid.h),
// for float and double: in device code the CUDA math library's precise functions (expf, log1pf,
// tanhf, ... never the __fast intrinsics), on the host <cmath>'s overloads, which are the
// functions each backend called before the helpers were shared. Used through math::exp etc. by
// the headers of this folder only.
#pragma once
#include <cmath>
#include <type_traits>

#include "kernels/common/host_device.h"

namespace dg::cpu::math {

#ifdef __CUDA_ARCH__
#define DG_SCALAR_MATH(name, device_f, device_d)                      \
  DG_HOST_DEVICE inline float name(float x) { return ::device_f(x); } \
  DG_HOST_DEVICE inline double name(double x) { return ::device_d(x); }
#else
#define DG_SCALAR_MATH(name, device_f, device_d)                     \
  DG_HOST_DEVICE inline float name(float x) { return std::name(x); } \
  DG_HOST_DEVICE inline double name(double x) { return std::name(x); }
#endif

DG_SCALAR_MATH(exp, expf, exp)
DG_SCALAR_MATH(log, logf, log)
DG_SCALAR_MATH(log1p, log1pf, log1p)
DG_SCALAR_MATH(expm1, expm1f, expm1)
DG_SCALAR_MATH(abs, fabsf, fabs)
DG_SCALAR_MATH(sqrt, sqrtf, sqrt)
DG_SCALAR_MATH(tanh, tanhf, tanh)

#undef DG_SCALAR_MATH

// x^y (the library's pow: exact for the x = 0 and infinite cases the callers rely on).
#ifdef __CUDA_ARCH__
DG_HOST_DEVICE inline float pow(float x, float y) { return ::powf(x, y); }
DG_HOST_DEVICE inline double pow(double x, double y) { return ::pow(x, y); }
#else
DG_HOST_DEVICE inline float pow(float x, float y) { return std::pow(x, y); }
DG_HOST_DEVICE inline double pow(double x, double y) { return std::pow(x, y); }
#endif

// a * b rounded to nearest and never fused into a neighbouring add: on the device __fmul_rn (what
// the CUDA dropout kernel used before this header) or __dmul_rn, on the host the plain product (the
// CPU kernels' own; the formulas that call this have no add to fuse it with).
template <class T>
DG_HOST_DEVICE inline T mul_rn(T a, T b) {
#ifdef __CUDA_ARCH__
  if constexpr (std::is_same_v<T, float>)
    return __fmul_rn(a, b);
  else
    return __dmul_rn(a, b);
#else
  return a * b;
#endif
}

}  // namespace dg::cpu::math
