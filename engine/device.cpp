// Device discovery (see device.h).
#include "engine/device.h"

#include "base/error.h"
#include "kernels/cpu/conv.h"
#include "kernels/cuda/cudnn.h"
#include "kernels/cuda/runtime.h"

namespace dg {

bool cuda_backend_built() { return cuda::built_with_cuda(); }
bool cudnn_backend_built() { return cuda::built_with_cudnn(); }
int cuda_device_count() { return cuda::device_count(); }

void set_cpu_threads(int64_t threads) {
  DG_CHECK(threads >= 0, "CPU threads: " << threads << "; expected 0 (all) or a positive count");
  cpu::cpu_thread_limit().store(threads);
}

int64_t cpu_threads() { return cpu::cpu_threads(); }

}  // namespace dg
