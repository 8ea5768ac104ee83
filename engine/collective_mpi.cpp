// The MPI world as a Collective (collective.h): MPI for CPU tensors and host values, NCCL for GPU
// tensors. Every wait is a non-blocking MPI call polled against the group's timeout, so a dead or
// stuck peer turns into a dg::Error on the ranks still alive (the caller then ends the launch with
// mpi_abort_all) instead of a hang.
#include <mpi.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <thread>
#include <utility>

#include "base/error.h"
#include "engine/collective.h"
#include "kernels/cuda/nccl.h"
#include "kernels/cuda/runtime.h"

namespace dg {

namespace {

bool g_initialized = false;

void ensure_init() {
  if (g_initialized) return;
  int already = 0;
  MPI_Initialized(&already);
  if (!already) {
    int provided = 0;
    // Only the main thread calls MPI (a study's runs in threads never do).
    DG_CHECK(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) == MPI_SUCCESS,
             "MPI_Init_thread failed");
  }
  // Errors come back as codes (turned into dg::Error below), not as an abort inside MPI.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  g_initialized = true;
}

MPI_Datatype mpi_type(const Tensor& t, const char* what) {
  DG_CHECK(t.dtype() == DType::F32 || t.dtype() == DType::F64,
           what << ": collectives take float tensors");
  return t.dtype() == DType::F32 ? MPI_FLOAT : MPI_DOUBLE;
}

// This rank's index among the ranks of its node, from the launcher's environment (before
// MPI_Init, so that the GPU is chosen before any library touches one); -1 when not given.
int local_rank_from_env() {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"})
    if (const char* v = std::getenv(name); v && *v) return std::atoi(v);
  return -1;
}

// The ranks of this node and this rank's index among them (after MPI_Init).
std::pair<int, int> node_ranks() {
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  int local = 0, count = 1;
  MPI_Comm_rank(node, &local);
  MPI_Comm_size(node, &count);
  MPI_Comm_free(&node);
  return {local, count};
}

class MpiWorld final : public Collective {
 public:
  explicit MpiWorld(const MpiOptions& opt) : timeout_s_(opt.timeout_s) {
    const int env_local = local_rank_from_env();
    const int gpus = opt.gpu ? cuda::device_count() : 0;
    if (opt.gpu && env_local >= 0 && gpus > 0) cuda::select_device(env_local % gpus);
    ensure_init();
    MPI_Comm_dup(MPI_COMM_WORLD, &comm_);
    MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    // Every rank must take the same path below (a rank on the GPU and one on the CPU would wait
    // for each other in different calls): agree first, and fail on every rank alike.
    const bool any_gpu = any(opt.gpu, "the device agreement");
    const bool any_cpu = any(!opt.gpu, "the device agreement");
    DG_CHECK(!(any_gpu && any_cpu),
             "the ranks disagree on the device (some found a GPU, some "
             "did not): give every rank --device cpu or --device cuda");
    if (!opt.gpu) return;
    DG_CHECK(cuda::built_with_nccl(),
             "--device cuda under mpirun needs NCCL, and this build has "
             "none (libnccl beside the CUDA toolkit at configure time)");
    const auto [local, on_node] = node_ranks();
    DG_CHECK(gpus >= on_node, "rank " << rank_ << ": " << on_node << " ranks on this node but "
                                      << gpus << " GPU(s): start at most one rank per GPU");
    if (env_local < 0) cuda::select_device(local % gpus);
    std::vector<unsigned char> id;
    if (rank_ == 0) id = cuda::nccl_unique_id();
    int n = static_cast<int>(id.size());
    MPI_Bcast(&n, 1, MPI_INT, 0, comm_);
    id.resize(static_cast<size_t>(n));
    broadcast(id, "the NCCL unique id");
    nccl_ = cuda::nccl_init(id, size_, rank_);
  }
  ~MpiWorld() override {
    // After a failure (an exception on its way to main, which ends the launch with MPI_Abort) or
    // a timed-out request, freeing is unsafe: NCCL's destroy is collective over the node's ranks
    // and may wait for a dead one, and MPI may still write into a pending request's buffers.
    // Those are left to the process's end.
    if (pending_ || std::uncaught_exceptions() > 0) {
      buffers_.release();
      return;
    }
    cuda::nccl_destroy(nccl_);
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Comm_free(&comm_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return nccl_ ? "mpi+nccl" : "mpi"; }

  void all_reduce_sum(Tensor& t, const char* what) override {
    if (t.device() == Device::CUDA) {
      gpu_only(what);
      cuda::nccl_all_reduce_sum(nccl_, t.raw(), static_cast<size_t>(t.numel()),
                                t.dtype() == DType::F64);
      cuda::nccl_wait(nccl_, timeout_s_, what);
      return;
    }
    const MPI_Datatype type = mpi_type(t, what);
    // Reduce-scatter then all-gather: each element is summed in one place (its owner), so every
    // rank receives the same bits whatever algorithm the library picks, at the bandwidth of a
    // ring all-reduce. The tensor is padded to a multiple of the rank count.
    const int64_t n = t.numel(), chunk = (n + size_ - 1) / size_;
    const size_t es = dtype_size(t.dtype());
    std::vector<unsigned char>& all = buffers_->all;
    std::vector<unsigned char>& mine = buffers_->mine;
    all.assign(static_cast<size_t>(chunk * size_) * es, 0);
    mine.resize(static_cast<size_t>(chunk) * es);
    std::memcpy(all.data(), t.raw(), t.nbytes());
    MPI_Request req;
    check(MPI_Ireduce_scatter_block(all.data(), mine.data(), static_cast<int>(chunk), type, MPI_SUM,
                                    comm_, &req),
          what);
    wait(req, what);
    check(MPI_Iallgather(mine.data(), static_cast<int>(chunk), type, all.data(),
                         static_cast<int>(chunk), type, comm_, &req),
          what);
    wait(req, what);
    std::memcpy(t.raw(), all.data(), t.nbytes());
  }

  Tensor all_gather(const Tensor& local, const char* what) override {
    DG_CHECK(local.dim() >= 1, what << ": all_gather needs a tensor with a leading dimension");
    Shape shape = local.shape();
    shape[0] *= size_;
    Tensor out = Tensor::empty(shape, local.dtype(), local.device());
    if (local.device() == Device::CUDA) {
      gpu_only(what);
      cuda::nccl_all_gather(nccl_, local.raw(), out.raw(), static_cast<size_t>(local.numel()),
                            local.dtype() == DType::F64);
      cuda::nccl_wait(nccl_, timeout_s_, what);
      return out;
    }
    const MPI_Datatype type = mpi_type(local, what);
    // Through the held buffers, which outlive a request that timed out (see ~MpiWorld).
    std::vector<unsigned char>& in = buffers_->mine;
    std::vector<unsigned char>& all = buffers_->all;
    in.assign(static_cast<const unsigned char*>(local.raw()),
              static_cast<const unsigned char*>(local.raw()) + local.nbytes());
    all.resize(out.nbytes());
    MPI_Request req;
    check(MPI_Iallgather(in.data(), static_cast<int>(local.numel()), type, all.data(),
                         static_cast<int>(local.numel()), type, comm_, &req),
          what);
    wait(req, what);
    std::memcpy(out.raw(), all.data(), out.nbytes());
    return out;
  }

  bool any(bool flag, const char* what) override {
    buffers_->flag_in = flag ? 1 : 0;
    MPI_Request req;
    check(MPI_Iallreduce(&buffers_->flag_in, &buffers_->flag_out, 1, MPI_INT, MPI_MAX, comm_, &req),
          what);
    wait(req, what);
    return buffers_->flag_out != 0;
  }

  void broadcast(std::vector<unsigned char>& bytes, const char* what) override {
    std::vector<unsigned char>& b = buffers_->all;
    b = bytes;
    MPI_Request req;
    check(MPI_Ibcast(b.data(), static_cast<int>(b.size()), MPI_BYTE, 0, comm_, &req), what);
    wait(req, what);
    bytes = b;
  }

 private:
  void check(int code, const char* what) const {
    if (code == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(code, text, &len);
    DG_FAIL("rank " << rank_ << ": MPI failed in " << what << ": " << std::string(text, len));
  }
  // Polls `req` until it completes; throws after timeout_s_ (a peer died or is stuck). The first
  // millisecond spins (the common case: the peers are a few microseconds behind), then the wait
  // sleeps between polls so that a rank waiting for a slow peer leaves its core to others.
  void wait(MPI_Request& req, const char* what) {
    const auto start = std::chrono::steady_clock::now();
    for (int64_t polls = 0;; ++polls) {
      int done = 0;
      check(MPI_Test(&req, &done, MPI_STATUS_IGNORE), what);
      if (done) return;
      const double waited =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (waited > timeout_s_) pending_ = true;  // `req` may still write into buffers_
      DG_CHECK(waited <= timeout_s_,
               "rank " << rank_ << ": no answer from the other ranks within " << timeout_s_
                       << " s in " << what
                       << " (a rank died or is stuck; --dist-timeout sets the limit)");
      if (waited > 1e-3) std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
  void gpu_only(const char* what) const {
    DG_CHECK(nccl_, what << ": a GPU tensor in an MPI group without NCCL (start the group with "
                            "gpu = true)");
  }

  // Every buffer an MPI request reads or writes: held by the group, not by the call, so that a
  // request abandoned by a timeout never writes into freed memory.
  struct Buffers {
    std::vector<unsigned char> all, mine;
    int flag_in = 0, flag_out = 0;
  };
  std::unique_ptr<Buffers> buffers_ = std::make_unique<Buffers>();
  bool pending_ = false;  // a request timed out and was left pending
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
  double timeout_s_;
  cuda::NcclComm* nccl_ = nullptr;
};

}  // namespace

bool mpi_built() { return true; }

std::shared_ptr<Collective> mpi_world(const MpiOptions& opt) {
  DG_CHECK(opt.timeout_s > 0, "the collective timeout must be positive, got " << opt.timeout_s);
  return std::make_shared<MpiWorld>(opt);
}

void mpi_abort_all(int code) {
  int init = 0, fin = 0;
  MPI_Initialized(&init);
  MPI_Finalized(&fin);
  if (init && !fin) MPI_Abort(MPI_COMM_WORLD, code);
}

void mpi_finalize() {
  int init = 0, fin = 0;
  MPI_Initialized(&init);
  MPI_Finalized(&fin);
  if (init && !fin) MPI_Finalize();
}

}  // namespace dg
