// The MPI world as a Collective (collective.h): MPI for CPU tensors and host values, NCCL for GPU
// tensors. Every wait is a non-blocking MPI call polled against the group's timeout, so a dead or
// stuck peer turns into a dg::Error on the ranks still alive (the caller then ends the launch with
// mpi_abort_all) instead of a hang.
#include <mpi.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

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

class MpiWorld final : public Collective {
 public:
  explicit MpiWorld(const MpiOptions& opt) : timeout_s_(opt.timeout_s) {
    ensure_init();
    MPI_Comm_dup(MPI_COMM_WORLD, &comm_);
    MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    if (opt.gpu) {
      cuda::select_device(mpi_local_device());
      std::vector<unsigned char> id;
      if (rank_ == 0) id = cuda::nccl_unique_id();
      int n = static_cast<int>(id.size());
      MPI_Bcast(&n, 1, MPI_INT, 0, comm_);
      id.resize(static_cast<size_t>(n));
      broadcast(id, "the NCCL unique id");
      nccl_ = cuda::nccl_init(id, size_, rank_);
    }
  }
  ~MpiWorld() override {
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
    std::vector<unsigned char> all(static_cast<size_t>(chunk * size_) * es, 0), mine(chunk * es);
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
    MPI_Request req;
    check(MPI_Iallgather(local.raw(), static_cast<int>(local.numel()), type, out.raw(),
                         static_cast<int>(local.numel()), type, comm_, &req),
          what);
    wait(req, what);
    return out;
  }

  bool any(bool flag, const char* what) override {
    int in = flag ? 1 : 0, out = 0;
    MPI_Request req;
    check(MPI_Iallreduce(&in, &out, 1, MPI_INT, MPI_MAX, comm_, &req), what);
    wait(req, what);
    return out != 0;
  }

  void broadcast(std::vector<unsigned char>& bytes, const char* what) override {
    MPI_Request req;
    check(MPI_Ibcast(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, 0, comm_, &req), what);
    wait(req, what);
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

int mpi_local_device() {
  ensure_init();
  // The ranks on this node, numbered from 0, share its GPUs round robin.
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  int local = 0;
  MPI_Comm_rank(node, &local);
  MPI_Comm_free(&node);
  const int gpus = cuda::device_count();
  DG_CHECK(gpus > 0, "rank " << local << " on this node: no usable GPU for --device cuda");
  return local % gpus;
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
