// DG_HOST_DEVICE: marks the header-only helpers that the CPU kernels and the CUDA kernels share
// (Philox, operand rounding), so that a .cu file compiles them for the device too.
#pragma once

#ifdef __CUDACC__
#define DG_HOST_DEVICE __host__ __device__
#else
#define DG_HOST_DEVICE
#endif
