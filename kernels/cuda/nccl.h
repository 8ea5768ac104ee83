// NCCL, the GPU collectives of a data-parallel run (engine/collective_mpi.cpp drives them; the
// unique id travels over MPI). Plain C++ declarations: the engine never includes a CUDA header.
// Compiled in nccl.cu when CUDA and libnccl are found, else answered by
// nccl_stub.cpp with "built without NCCL".
#pragma once
#include <cstddef>
#include <vector>

namespace dg::cuda {

bool built_with_nccl();
// A new unique id (rank 0 draws it and broadcasts the bytes).
std::vector<unsigned char> nccl_unique_id();

struct NcclComm;
// Joins the communicator of `size` ranks named by `id` as `rank` (collective over the ranks).
NcclComm* nccl_init(const std::vector<unsigned char>& id, int size, int rank);
void nccl_destroy(NcclComm* comm) noexcept;
// In place, on the device context's stream (queued, not waited for): data (count floats, or
// doubles when f64) becomes the sum over the ranks.
void nccl_all_reduce_sum(NcclComm* comm, void* data, size_t count, bool f64);
// recv (size * count elements) = every rank's send (count elements) in rank order; queued.
void nccl_all_gather(NcclComm* comm, const void* send, void* recv, size_t count, bool f64);
// Waits for the context's stream up to timeout_s seconds, polling NCCL for an asynchronous error
// (a dead peer): returns normally when the stream is done, else throws dg::Error naming `what`
// (the communicator is then unusable; the caller ends the launch).
void nccl_wait(NcclComm* comm, double timeout_s, const char* what);

}  // namespace dg::cuda
