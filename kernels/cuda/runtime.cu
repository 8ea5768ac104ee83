// CUDA runtime wrappers: the process-wide Context (context.cuh), error reporting, copies and fill
// on the context's stream, and the debug-sync switch. Every CUDA call is checked.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/cudnn.h"

namespace dg::cuda {

namespace {

// 0: not created yet, 1: alive, 2: destroyed. Trivially destructible, so reading it from a
// Storage destructor that runs after the context's own destruction at exit is well defined.
std::atomic<int> g_context_state{0};

constexpr size_t kCublasWorkspace = size_t(32) << 20;  // cuBLAS' recommended size on Hopper

// DG_CUDNN=1 asks for the cuDNN backend (runtime.h).
bool env_cudnn_requested() {
  const char* v = std::getenv("DG_CUDNN");
  return v && (std::strcmp(v, "1") == 0 || std::strcmp(v, "true") == 0);
}

bool env_sync_requested() {
  const char* v = std::getenv("DG_CUDA_SYNC");
  return v && (std::strcmp(v, "1") == 0 || std::strcmp(v, "true") == 0);
}

__global__ void fill_kernel(float* dst, float value, int64_t count) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x)
    dst[i] = value;
}

}  // namespace

// ---- errors
// --------------------------------------------------------------------------------------

const char* hint_for(cudaError_t err) {
  switch (err) {
    case cudaErrorMemoryAllocation:
      return "out of device memory: lower the batch size; dg::cuda::allocator_stats() shows what "
             "the engine holds, dg::cuda::empty_cache() returns its cached blocks";
    case cudaErrorNoDevice:
    case cudaErrorInsufficientDriver:
    case cudaErrorInitializationError:
      return "is a GPU visible (nvidia-smi) and the driver new enough for CUDA 13?";
    case cudaErrorNoKernelImageForDevice:
    case cudaErrorUnsupportedPtxVersion:
      return "this build holds sm_90 code plus PTX: the GPU predates Hopper or the driver predates "
             "the toolkit; rebuild with -DCMAKE_CUDA_ARCHITECTURES=<your arch>";
    case cudaErrorInvalidConfiguration:
    case cudaErrorInvalidValue:
      return "a launch or copy got an invalid argument: most likely a shape bug in the caller";
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchFailure:
    case cudaErrorMisalignedAddress:
      return "a kernel faulted (the context is now unusable): rerun with DG_CUDA_SYNC=1 under "
             "compute-sanitizer to find which";
    default:
      return "rerun with DG_CUDA_SYNC=1 so that asynchronous errors are reported by the launch "
             "that caused them";
  }
}

void throw_cuda(cudaError_t err, const char* call, const char* file, int line) {
  throw_error(file, line,
              std::string(call) + ": " + cudaGetErrorName(err) + ": " + cudaGetErrorString(err),
              hint_for(err));
}

void throw_cublas(cublasStatus_t st, const char* call, const char* file, int line) {
  const char* hint = "";
  if (st == CUBLAS_STATUS_NOT_INITIALIZED || st == CUBLAS_STATUS_ALLOC_FAILED)
    hint = "cuBLAS could not start: no usable GPU, or device memory exhausted";
  else if (st == CUBLAS_STATUS_INVALID_VALUE)
    hint = "a GEMM size or leading dimension is invalid: most likely a shape bug in the caller";
  else if (st == CUBLAS_STATUS_EXECUTION_FAILED)
    hint = "rerun with DG_CUDA_SYNC=1 under compute-sanitizer";
  throw_error(file, line, std::string(call) + ": " + cublasGetStatusString(st), hint);
}

void check_launch(const char* kernel, const char* file, int line) {
  cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) throw_cuda(err, (std::string("launch of ") + kernel).c_str(), file, line);
  Context* c = context_if_alive();
  if (c) c->count_launch();
  // A capturing stream cannot be synchronized; the launch is checked when the graph runs.
  if (c && c->sync_launches() && !c->capturing()) {
    err = cudaStreamSynchronize(c->stream());
    if (err != cudaSuccess)
      throw_cuda(err, (std::string(kernel) + " (reported by DG_CUDA_SYNC)").c_str(), file, line);
  }
}

void check_int32_range(int64_t n, const char* op) {
  DG_CHECK(n <= std::numeric_limits<int32_t>::max(),
           op << ": " << n << " elements exceed this kernel's 32-bit index arithmetic");
}

// ---- context
// -------------------------------------------------------------------------------------

Context::Context() {
  if (device_count() == 0)
    throw_error(__FILE__, __LINE__,
                "CUDA context: no usable GPU (cudaGetDeviceCount failed or is 0)",
                hint_for(cudaErrorNoDevice));
  sync_launches_ = env_sync_requested();
  if (env_cudnn_requested()) {
    if (built_with_cudnn())
      conv_backend_ = ConvBackend::Cudnn;
    else
      std::fprintf(stderr,
                   "divgan: DG_CUDNN=1 ignored: built without cuDNN (hand-written kernels "
                   "are used)\n");
  }
  try {
    DG_CUDA_CHECK(cudaGetDevice(&device_));
    DG_CUDA_CHECK(cudaSetDevice(device_));
    // A blocking stream: anything a library queues on the legacy default stream stays ordered
    // with our work.
    DG_CUDA_CHECK(cudaStreamCreate(&stream_));
    DG_CUBLAS_CHECK(cublasCreate(&cublas_));
    DG_CUBLAS_CHECK(cublasSetStream(cublas_, stream_));
    // Plain FP32 GEMMs (no TF32): the GPU must agree with the CPU reference to float rounding.
    DG_CUBLAS_CHECK(cublasSetMathMode(cublas_, CUBLAS_DEFAULT_MATH));
    // Our own workspace, so cuBLAS never allocates behind the allocator's back mid-training.
    cublas_workspace_ = allocator_.allocate(kCublasWorkspace);
    DG_CUBLAS_CHECK(cublasSetWorkspace(cublas_, cublas_workspace_, kCublasWorkspace));
  } catch (...) {
    if (cublas_) cublasDestroy(cublas_);
    if (cublas_workspace_) allocator_.release(cublas_workspace_);
    if (stream_) cudaStreamDestroy(stream_);
    throw;
  }
  g_context_state.store(1);
}

Context::~Context() {
  g_context_state.store(2);
  // Errors are ignored here: at process exit the runtime may already be unloading.
  if (stream_) cudaStreamSynchronize(stream_);
  cudnn_.reset();
  release_staging();
  if (cublas_) cublasDestroy(cublas_);
  if (cublas_workspace_) allocator_.release(cublas_workspace_);
  if (stream_) cudaStreamDestroy(stream_);
  cudaGetLastError();
}

Context& context() {
  static Context ctx;
  return ctx;
}

Context* context_if_alive() noexcept { return g_context_state.load() == 1 ? &context() : nullptr; }

// ---- runtime.h
// -----------------------------------------------------------------------------------

bool built_with_cuda() { return true; }

int device_count() {
  int n = 0;
  // Without a driver this returns an error: that means "no GPU", never a crash.
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return n;
}

void* device_malloc(size_t nbytes) { return context().allocator().allocate(nbytes); }

void device_free(void* ptr) noexcept {
  if (!ptr) return;
  if (Context* c = context_if_alive()) c->allocator().release(ptr);
}

AllocatorStats allocator_stats() {
  Context* c = context_if_alive();
  return c ? c->allocator().stats() : AllocatorStats{};
}

void reset_peak_memory() {
  if (Context* c = context_if_alive()) c->allocator().reset_peak();
}

void empty_cache() {
  if (Context* c = context_if_alive()) c->allocator().empty_cache();
}

void copy_host_to_device(void* dst, const void* src, size_t n) {
  if (n == 0) return;
  // From pageable memory this returns once the source has been staged, so `src` may be reused.
  DG_CUDA_CHECK(cudaMemcpyAsync(dst, src, n, cudaMemcpyHostToDevice, stream()));
}

void copy_device_to_host(void* dst, const void* src, size_t n) {
  if (n == 0) return;
  DG_CUDA_CHECK(cudaMemcpyAsync(dst, src, n, cudaMemcpyDeviceToHost, stream()));
  DG_CUDA_CHECK(cudaStreamSynchronize(stream()));
}

void copy_device_to_device(void* dst, const void* src, size_t n) {
  if (n == 0 || dst == src) return;
  DG_CUDA_CHECK(cudaMemcpyAsync(dst, src, n, cudaMemcpyDeviceToDevice, stream()));
}

void copy_blocks(const void* src, int64_t src_stride, void* dst, int64_t dst_stride, int64_t outer,
                 int64_t block) {
  if (block == 0 || outer == 0) return;
  DG_CHECK(block > 0 && outer > 0, "copy_blocks: negative size");
  if (outer == 1) {  // a 2D copy would reject the zero pitches the single-block callers pass
    copy_device_to_device(dst, src, static_cast<size_t>(block));
    return;
  }
  DG_CHECK(src_stride >= block && dst_stride >= block,
           "copy_blocks: strides " << src_stride << ", " << dst_stride << " below block " << block);
  DG_CUDA_CHECK(cudaMemcpy2DAsync(dst, static_cast<size_t>(dst_stride), src,
                                  static_cast<size_t>(src_stride), static_cast<size_t>(block),
                                  static_cast<size_t>(outer), cudaMemcpyDeviceToDevice, stream()));
}

void fill_f32(float* dst, float value, size_t count) {
  if (count == 0) return;
  const int64_t n = static_cast<int64_t>(count);
  fill_kernel<<<grid_for(n), kBlock, 0, stream()>>>(dst, value, n);
  DG_CUDA_CHECK_LAUNCH("fill_kernel");
}

void select_device(int device) { DG_CUDA_CHECK(cudaSetDevice(device)); }

void synchronize() {
  if (Context* c = context_if_alive()) DG_CUDA_CHECK(cudaStreamSynchronize(c->stream()));
}

void set_sync_launches(bool on) { context().set_sync_launches(on); }

bool sync_launches() {
  Context* c = context_if_alive();
  return c ? c->sync_launches() : env_sync_requested();
}

void set_conv_backend(ConvBackend backend) {
  if (backend == ConvBackend::Cudnn && !built_with_cudnn())
    throw Error(
        "set_conv_backend(Cudnn): built without cuDNN (no libcudnn found at configure "
        "time; see CMakeLists.txt, DG_USE_CUDNN)");
  context().set_conv_backend(backend);
}

ConvBackend conv_backend() {
  Context* c = context_if_alive();
  if (c) return c->conv_backend();
  return env_cudnn_requested() && built_with_cudnn() ? ConvBackend::Cudnn
                                                     : ConvBackend::Handwritten;
}

}  // namespace dg::cuda
