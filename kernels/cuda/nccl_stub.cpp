// A build without libnccl (CPU-only, or CUDA without NCCL): every NCCL entry says so (nccl.h).
#include <string>

#include "base/error.h"
#include "kernels/cuda/nccl.h"

namespace dg::cuda {

namespace {
[[noreturn]] void no_nccl(const char* call) {
  throw Error(std::string(call) +
              ": built without NCCL (GPU data-parallel training needs libnccl beside the CUDA "
              "toolkit at configure time)");
}
}  // namespace

bool built_with_nccl() { return false; }
std::vector<unsigned char> nccl_unique_id() { no_nccl("nccl_unique_id"); }
NcclComm* nccl_init(const std::vector<unsigned char>&, int, int) { no_nccl("nccl_init"); }
void nccl_destroy(NcclComm*) noexcept {}
void nccl_all_reduce_sum(NcclComm*, void*, size_t, bool) { no_nccl("nccl_all_reduce_sum"); }
void nccl_all_gather(NcclComm*, const void*, void*, size_t, bool) { no_nccl("nccl_all_gather"); }
void nccl_wait(NcclComm*, double, const char*) { no_nccl("nccl_wait"); }

}  // namespace dg::cuda
