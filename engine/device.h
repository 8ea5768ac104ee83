// What the engine can run on, for the layers above it (which never ask the CUDA backend
// directly): whether this build has the CUDA backend and how many GPUs it can use, and how many
// threads the CPU kernels may use.
#pragma once
#include <cstdint>

namespace dg {

bool cuda_backend_built();
// Whether the CUDA backend was compiled against cuDNN (its optional conv / batch-norm path).
bool cudnn_backend_built();
// Usable GPUs; 0 (never an exception) without a driver or a device, or in a CPU-only build.
int cuda_device_count();

// The most threads a CPU kernel may use; 0: one per hardware thread (the default). Process-wide;
// results do not depend on it (docs/design.md#determinism).
void set_cpu_threads(int64_t threads);
int64_t cpu_threads();

}  // namespace dg
