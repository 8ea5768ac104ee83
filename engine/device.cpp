// Device discovery (see device.h).
#include "engine/device.h"

#include "kernels/cuda/cudnn.h"
#include "kernels/cuda/runtime.h"

namespace dg {

bool cuda_backend_built() { return cuda::built_with_cuda(); }
bool cudnn_backend_built() { return cuda::built_with_cudnn(); }
int cuda_device_count() { return cuda::device_count(); }

}  // namespace dg
