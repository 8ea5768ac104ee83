// The group of one, the thread group and the bucketed all-reduce (see collective.h).
#include "engine/collective.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include "base/error.h"
#include "engine/ops.h"
#include "kernels/cuda/runtime.h"

namespace dg {

namespace {

class SingleProcess final : public Collective {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string backend() const override { return "single"; }
  void all_reduce_sum(Tensor&, const char*) override {}
  Tensor all_gather(const Tensor& local, const char*) override { return local.clone(); }
  bool any(bool flag, const char*) override { return flag; }
  void broadcast(std::vector<unsigned char>&, const char*) override {}
};

// What the ranks of a thread group share: one slot per rank for the address each publishes, and a
// barrier with a deadline.
struct ThreadShared {
  explicit ThreadShared(int n, double timeout) : size(n), timeout_s(timeout), slots(n) {}
  const int size;
  const double timeout_s;
  std::vector<const void*> slots;
  std::mutex lock;
  std::condition_variable cv;
  int arrived = 0;
  uint64_t generation = 0;

  void barrier(int rank, const char* what) {
    std::unique_lock<std::mutex> l(lock);
    const uint64_t gen = generation;
    if (++arrived == size) {
      arrived = 0;
      ++generation;
      cv.notify_all();
      return;
    }
    const bool done =
        cv.wait_for(l, std::chrono::duration<double>(timeout_s), [&] { return generation != gen; });
    DG_CHECK(done, "rank " << rank << ": no answer from the other ranks within " << timeout_s
                           << " s in " << what << " (a rank died or is stuck)");
  }
};

void check_cpu_float(const Tensor& t, const char* what) {
  DG_CHECK(t.device() == Device::CPU, what << ": the thread group holds CPU tensors only");
  DG_CHECK(t.dtype() == DType::F32 || t.dtype() == DType::F64,
           what << ": collectives take float tensors");
}

class ThreadRank final : public Collective {
 public:
  ThreadRank(std::shared_ptr<ThreadShared> s, int rank) : s_(std::move(s)), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return s_->size; }
  std::string backend() const override { return "threads"; }

  void all_reduce_sum(Tensor& t, const char* what) override {
    check_cpu_float(t, what);
    s_->slots[rank_] = t.raw();
    s_->barrier(rank_, what);
    // Every rank sums in rank order: the same bits everywhere.
    Tensor acc = Tensor::zeros(t.shape(), t.dtype());
    for (int r = 0; r < s_->size; ++r) {
      if (t.dtype() == DType::F32)
        accumulate(acc.data<float>(), static_cast<const float*>(s_->slots[r]), t.numel());
      else
        accumulate(acc.data<double>(), static_cast<const double*>(s_->slots[r]), t.numel());
    }
    s_->barrier(rank_, what);  // every rank has read every slot
    std::memcpy(t.raw(), acc.raw(), t.nbytes());
  }

  Tensor all_gather(const Tensor& local, const char* what) override {
    check_cpu_float(local, what);
    s_->slots[rank_] = local.raw();
    s_->barrier(rank_, what);
    Shape shape = local.shape();
    DG_CHECK(!shape.empty(), what << ": all_gather needs a tensor with a leading dimension");
    shape[0] *= s_->size;
    Tensor out = Tensor::empty(shape, local.dtype());
    for (int r = 0; r < s_->size; ++r)
      std::memcpy(static_cast<unsigned char*>(out.raw()) + r * local.nbytes(), s_->slots[r],
                  local.nbytes());
    s_->barrier(rank_, what);
    return out;
  }

  bool any(bool flag, const char* what) override {
    const bool mine = flag;
    s_->slots[rank_] = &mine;
    s_->barrier(rank_, what);
    bool out = false;
    for (int r = 0; r < s_->size; ++r) out = out || *static_cast<const bool*>(s_->slots[r]);
    s_->barrier(rank_, what);
    return out;
  }

  void broadcast(std::vector<unsigned char>& bytes, const char* what) override {
    s_->slots[rank_] = &bytes;
    s_->barrier(rank_, what);
    std::vector<unsigned char> root = *static_cast<const std::vector<unsigned char>*>(s_->slots[0]);
    s_->barrier(rank_, what);
    bytes = std::move(root);
  }

 private:
  template <class T>
  static void accumulate(T* acc, const T* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) acc[i] += x[i];
  }
  std::shared_ptr<ThreadShared> s_;
  int rank_;
};

// Copies n bytes between two tensors' memory on `dev` (both on it).
void copy_bytes(void* dst, const void* src, size_t n, Device dev) {
  if (dev == Device::CUDA)
    cuda::copy_device_to_device(dst, src, n);
  else
    std::memcpy(dst, src, n);
}

}  // namespace

bool launched_with_mpi() {
  // More than one rank (OpenMPI's mpirun, MPICH's Hydra and Slurm's PMI, a PMIx launcher) and a
  // launcher to reach: a PMIx server's address, or a PMI socket or port. Rank variables alone (a
  // scheduler's job array imitating them) do not make an MPI launch.
  bool ranks = false;
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"}) {
    const char* v = std::getenv(name);
    ranks = ranks || (v && std::atoi(v) > 1);
  }
  bool server = std::getenv("PMI_FD") || std::getenv("PMI_PORT");
  for (char** e = environ; *e && !server; ++e)
    server = std::strncmp(*e, "PMIX_SERVER_URI", 15) == 0;
  return ranks && server;
}

int64_t default_threads_per_rank() {
  if (!launched_with_mpi()) return 0;
  // The cores this process may run on: a launcher that binds each rank (Open MPI binds to a core
  // by default for 2 ranks or fewer) has already divided them.
  cpu_set_t set;
  CPU_ZERO(&set);
  const int64_t hw = std::max<int64_t>(1, std::thread::hardware_concurrency());
  const int64_t mine = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : hw;
  if (mine < hw) return std::max<int64_t>(1, mine);
  for (const char* name :
       {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE"}) {
    const char* v = std::getenv(name);
    const int64_t local = v ? std::atoll(v) : 0;
    if (local > 0) return std::max<int64_t>(1, hw / local);
  }
  return 0;
}

std::shared_ptr<Collective> single_process() { return std::make_shared<SingleProcess>(); }

void broadcast_string(Collective& group, std::string& s, const char* what) {
  const uint64_t n = s.size();
  std::vector<unsigned char> size(sizeof n);
  std::memcpy(size.data(), &n, sizeof n);
  group.broadcast(size, what);
  uint64_t root_n = 0;
  std::memcpy(&root_n, size.data(), sizeof root_n);
  std::vector<unsigned char> bytes(s.begin(), s.end());
  bytes.resize(root_n);
  group.broadcast(bytes, what);
  s.assign(bytes.begin(), bytes.end());
}

bool same_on_all_ranks(Collective& group, uint64_t value, const char* what) {
  if (group.size() == 1) return true;
  // Rank 0's value to every rank; then every rank learns whether any differed.
  std::vector<unsigned char> root(sizeof value);
  std::memcpy(root.data(), &value, sizeof value);
  group.broadcast(root, what);
  return !group.any(std::memcmp(root.data(), &value, sizeof value) != 0, what);
}

std::vector<std::shared_ptr<Collective>> make_thread_group(int n, double timeout_s) {
  DG_CHECK(n >= 1, "make_thread_group: " << n << " ranks");
  auto shared = std::make_shared<ThreadShared>(n, timeout_s);
  std::vector<std::shared_ptr<Collective>> out;
  for (int r = 0; r < n; ++r) out.push_back(std::make_shared<ThreadRank>(shared, r));
  return out;
}

void all_reduce_buckets(Collective& group, const std::vector<Tensor>& ts, double scale,
                        const char* what, size_t bucket_bytes) {
  if (group.size() == 1 || ts.empty()) return;
  const Device dev = ts[0].device();
  const DType dtype = ts[0].dtype();
  const size_t esize = dtype_size(dtype);
  // Reduces one run of tensors [first, last) packed into one buffer, then unpacks it scaled.
  auto reduce_run = [&](size_t first, size_t last, size_t bytes) {
    if (last - first == 1) {
      Tensor t = ts[first];
      group.all_reduce_sum(t, what);
      if (scale != 1.0) t.copy_(mul(t, scale));
      return;
    }
    Tensor bucket = Tensor::empty({static_cast<int64_t>(bytes / esize)}, dtype, dev);
    size_t at = 0;
    for (size_t i = first; i < last; ++i) {
      copy_bytes(static_cast<unsigned char*>(bucket.raw()) + at, ts[i].raw(), ts[i].nbytes(), dev);
      at += ts[i].nbytes();
    }
    group.all_reduce_sum(bucket, what);
    if (scale != 1.0) bucket = mul(bucket, scale);
    at = 0;
    for (size_t i = first; i < last; ++i) {
      Tensor t = ts[i];
      copy_bytes(t.raw(), static_cast<const unsigned char*>(bucket.raw()) + at, t.nbytes(), dev);
      at += t.nbytes();
    }
  };
  size_t first = 0, bytes = 0;
  for (size_t i = 0; i < ts.size(); ++i) {
    DG_ASSERT(ts[i].device() == dev && ts[i].dtype() == dtype,
              "all_reduce_buckets: tensors of one device and dtype");
    if (i > first && bytes + ts[i].nbytes() > bucket_bytes) {
      reduce_run(first, i, bytes);
      first = i;
      bytes = 0;
    }
    bytes += ts[i].nbytes();
  }
  reduce_run(first, ts.size(), bytes);
}

}  // namespace dg
