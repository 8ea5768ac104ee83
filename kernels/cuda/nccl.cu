// NCCL on the device context's stream (see nccl.h).
#include <nccl.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "base/error.h"
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/nccl.h"

namespace dg::cuda {

struct NcclComm {
  ncclComm_t comm = nullptr;
};

namespace {

void check_nccl(ncclResult_t r, const char* call) {
  if (r == ncclSuccess) return;
  throw Error(std::string("NCCL: ") + call + " failed: " + ncclGetErrorString(r) +
              " (NCCL_DEBUG=WARN in the environment says more)");
}

}  // namespace

bool built_with_nccl() { return true; }

std::vector<unsigned char> nccl_unique_id() {
  ncclUniqueId id;
  check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
  std::vector<unsigned char> bytes(sizeof id.internal);
  std::memcpy(bytes.data(), id.internal, bytes.size());
  return bytes;
}

NcclComm* nccl_init(const std::vector<unsigned char>& id_bytes, int size, int rank) {
  ncclUniqueId id;
  DG_ASSERT(id_bytes.size() == sizeof id.internal, "NCCL unique id of the wrong size");
  std::memcpy(id.internal, id_bytes.data(), id_bytes.size());
  context();  // the stream the collectives run on exists before the communicator
  auto* c = new NcclComm;
  const ncclResult_t r = ncclCommInitRank(&c->comm, size, id, rank);
  if (r != ncclSuccess) {
    delete c;
    check_nccl(r, "ncclCommInitRank");
  }
  return c;
}

void nccl_destroy(NcclComm* c) noexcept {
  if (!c) return;
  if (c->comm) ncclCommDestroy(c->comm);
  delete c;
}

void nccl_all_reduce_sum(NcclComm* c, void* data, size_t count, bool f64) {
  check_nccl(ncclAllReduce(data, data, count, f64 ? ncclFloat64 : ncclFloat32, ncclSum, c->comm,
                           context().stream()),
             "ncclAllReduce");
}

void nccl_all_gather(NcclComm* c, const void* send, void* recv, size_t count, bool f64) {
  check_nccl(ncclAllGather(send, recv, count, f64 ? ncclFloat64 : ncclFloat32, c->comm,
                           context().stream()),
             "ncclAllGather");
}

void nccl_wait(NcclComm* c, double timeout_s, const char* what) {
  const auto start = std::chrono::steady_clock::now();
  while (true) {
    const cudaError_t q = cudaStreamQuery(context().stream());
    if (q == cudaSuccess) return;
    if (q != cudaErrorNotReady) DG_CUDA_CHECK(q);
    ncclResult_t async = ncclSuccess;
    check_nccl(ncclCommGetAsyncError(c->comm, &async), "ncclCommGetAsyncError");
    const double waited =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (async != ncclSuccess || waited > timeout_s) {
      // No ncclCommAbort here: it is collective over the node's ranks and could wait for the
      // dead one. The caller ends the launch (MPI_Abort), which takes the communicator with it.
      throw Error(std::string("NCCL: ") + what +
                  (async != ncclSuccess ? std::string(" failed: ") + ncclGetErrorString(async)
                                        : " got no answer from the other ranks within " +
                                              std::to_string(timeout_s) + " s") +
                  " (a rank died or is stuck)");
    }
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

}  // namespace dg::cuda
