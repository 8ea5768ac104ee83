// Collectives among the ranks of a data-parallel run (docs/design.md#data-parallel-training): the
// one interface the trainer and the synchronized batch norm talk to, whatever carries the bytes.
//   single_process()     size 1, every call the identity (a run without a launcher);
//   make_thread_group(n) n ranks as threads of one process, over shared memory (tests, and the
//                        synchronized batch norm's gradient check without a launcher);
//   mpi_world()          the processes of an MPI launch (engine/collective_mpi.cpp): MPI for CPU
//                        tensors and host flags, NCCL for GPU tensors (its unique id broadcast
//                        over MPI).
// Contracts shared by every implementation:
// - every rank calls the same collectives in the same order with the same shapes;
// - results are bitwise identical on every rank (each element is reduced in one place, or in
//   rank order everywhere), so replicas that start equal stay equal;
// - a rank that waits longer than the group's timeout throws dg::Error saying which collective
//   and for how long (a dead or stuck peer), instead of hanging.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace dg {

class Collective {
 public:
  virtual ~Collective() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // "single", "threads", "mpi" or "mpi+nccl".
  virtual std::string backend() const = 0;
  // In place: t (float32, any shape, on a device this group serves) becomes the elementwise sum
  // over the ranks. `what` names the call in a timeout error.
  virtual void all_reduce_sum(Tensor& t, const char* what) = 0;
  // (size * n, ...): the ranks' `local` (n, ...) tensors, concatenated along dim 0 in rank order.
  virtual Tensor all_gather(const Tensor& local, const char* what) = 0;
  // Logical or of a host flag over the ranks (e.g. a stop signal that reached some ranks only).
  virtual bool any(bool flag, const char* what) = 0;
  // Rank 0's bytes on every rank (host memory; the same size everywhere).
  virtual void broadcast(std::vector<unsigned char>& bytes, const char* what) = 0;
};

// The group of one: rank 0 of size 1.
std::shared_ptr<Collective> single_process();

// Rank 0's string on every rank (its length first, then its bytes).
void broadcast_string(Collective& group, std::string& s, const char* what);

// True when `value` is the same on every rank (e.g. a hash of each replica's training state).
bool same_on_all_ranks(Collective& group, uint64_t value, const char* what);

// n ranks sharing one process (rank i is element i; each must be driven by its own thread).
// CPU tensors only. timeout_s bounds every wait.
std::vector<std::shared_ptr<Collective>> make_thread_group(int n, double timeout_s = 60);

// Sums every tensor of `ts` over the ranks in place, then scales by `scale` (1 / size for a mean):
// the tensors are packed into buckets of at most `bucket_bytes` (fewer, larger messages than one
// call per tensor) and each bucket is reduced as one message.
void all_reduce_buckets(Collective& group, const std::vector<Tensor>& ts, double scale,
                        const char* what, size_t bucket_bytes = size_t(4) << 20);

// ---- MPI (engine/collective_mpi.cpp; the stub answers "built without MPI") -------------------
bool mpi_built();
// True when the process was started by an MPI launcher with more than one rank (OpenMPI's,
// MPICH's/Hydra's or a PMIx launcher's environment, with the launcher's address).
bool launched_with_mpi();
// The CPU threads each process should use under an MPI launch: the cores it is bound to when the
// launcher bound it, else every hardware thread divided among the node's ranks
// (OMPI_COMM_WORLD_LOCAL_SIZE, MPI_LOCALNRANKS, SLURM_NTASKS_PER_NODE); 0 (all) outside a launch.
int64_t default_threads_per_rank();
struct MpiOptions {
  double timeout_s = 300;  // longest wait of any collective before it throws
  // GPU tensors go through NCCL, one GPU per rank: the rank's index on its node picks it, before
  // MPI starts; every rank must say the same, and a node may not run more ranks than GPUs.
  bool gpu = false;
};
// The launch's world (MPI_Init on the first call). Throws when MPI is not built or not launched.
std::shared_ptr<Collective> mpi_world(const MpiOptions& opt);
// Ends the whole launch at once (MPI_Abort) after a rank failed: the others may be blocked in a
// collective that will never complete. Does nothing when MPI was not initialized.
void mpi_abort_all(int code);
// MPI_Finalize, once, when MPI was initialized (the end of main).
void mpi_finalize();

}  // namespace dg
