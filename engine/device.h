// What the engine can run on, for the layers above it (which never ask the CUDA backend
// directly): whether this build has the CUDA backend and how many GPUs it can use.
#pragma once

namespace dg {

bool cuda_backend_built();
// Whether the CUDA backend was compiled against cuDNN (its optional conv / batch-norm path).
bool cudnn_backend_built();
// Usable GPUs; 0 (never an exception) without a driver or a device, or in a CPU-only build.
int cuda_device_count();

}  // namespace dg
