// DG_HOST_DEVICE marks the header-only helpers of kernels/common/ that the CPU kernels
// (kernels/cpu/, engine/) and the CUDA kernels (kernels/cuda/) share: the per-element math of each
// op family, Philox, the conv and pool geometry. A .cu file that includes them
// compiles them for the device too; a plain .cpp sees ordinary inline functions. The math-library
// calls inside them go through kernels/common/scalar_math.h, which picks each side's function.
// kernels/common/ keeps the namespaces its contents had when they lived in kernels/cpu/: functions
// and geometry in dg::cpu (the CUDA side already named them so), enums the engine uses in dg.
#pragma once

#ifdef __CUDACC__
#define DG_HOST_DEVICE __host__ __device__
#else
#define DG_HOST_DEVICE
#endif
