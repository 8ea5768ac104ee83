// The cuDNN part of the device Context: the handle (created on first cuDNN use, bound to the
// context's stream), the plan caches (cudnn_common.cuh), error reporting for cuDNN statuses and
// the RAII descriptors. Without DG_WITH_CUDNN only the "built without cuDNN" answers are compiled.
#include <string>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/cudnn.h"

#if DG_WITH_CUDNN
#include <climits>

#include "kernels/cuda/cudnn_common.cuh"
#endif

namespace dg::cuda {

#if DG_WITH_CUDNN

bool built_with_cudnn() { return true; }

namespace {

const char* cudnn_hint(cudnnStatus_t st) {
  switch (CUDNN_STATUS_CATEGORY(st)) {
    case CUDNN_STATUS_NOT_INITIALIZED:
      if (st == CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED)
        return "cuDNN could not load a sub-library (libcudnn_cnn / libcudnn_ops / libcudnn_engines_"
               "*.so.9): put the folder holding them on LD_LIBRARY_PATH";
      return "cuDNN could not start: is a GPU visible, and libcudnn*.so.9 on the loader path?";
    case CUDNN_STATUS_BAD_PARAM:
      return "a descriptor or argument was rejected: most likely a shape bug in the caller (NCHW "
             "float32 expected)";
    case CUDNN_STATUS_NOT_SUPPORTED:
      return "cuDNN has no deterministic FMA algorithm for this geometry: use the hand-written "
             "kernels (dg::cuda::set_conv_backend(ConvBackend::Handwritten), or unset DG_CUDNN)";
    case CUDNN_STATUS_EXECUTION_FAILED:
      return "a cuDNN kernel failed: rerun with DG_CUDA_SYNC=1 under compute-sanitizer";
    default:
      return "rerun with DG_CUDA_SYNC=1; CUDNN_LOGERR_DBG=1 CUDNN_LOGDEST_DBG=stderr makes cuDNN "
             "say why";
  }
}

}  // namespace

void throw_cudnn(cudnnStatus_t st, const char* call, const char* file, int line) {
  throw_error(file, line,
              std::string(call) + ": " + cudnnGetErrorString(st) + " (" +
                  std::to_string(static_cast<int>(st)) + ")",
              cudnn_hint(st));
}

void after_cudnn_call(const char* call, const char* file, int line) {
  Context& c = context();
  c.count_launch();
  if (!c.sync_launches() || c.capturing()) return;
  const cudaError_t err = cudaStreamSynchronize(c.stream());
  if (err != cudaSuccess)
    throw_cuda(err, (std::string(call) + " (reported by DG_CUDA_SYNC)").c_str(), file, line);
}

TensorDesc::TensorDesc() { DG_CUDNN_CHECK(cudnnCreateTensorDescriptor(&d_)); }
TensorDesc::~TensorDesc() {
  if (d_) cudnnDestroyTensorDescriptor(d_);
}
void TensorDesc::set_nchw(int64_t n, int64_t c, int64_t h, int64_t w) {
  // The legacy descriptors take int dims and strides: the whole tensor must index in int.
  DG_CHECK(n * c * h * w <= INT_MAX, "cuDNN tensor (" << n << "," << c << "," << h << "," << w
                                                      << ") exceeds 32-bit indexing");
  DG_CUDNN_CHECK(cudnnSetTensor4dDescriptor(d_, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT,
                                            static_cast<int>(n), static_cast<int>(c),
                                            static_cast<int>(h), static_cast<int>(w)));
}

FilterDesc::FilterDesc() { DG_CUDNN_CHECK(cudnnCreateFilterDescriptor(&d_)); }
FilterDesc::~FilterDesc() {
  if (d_) cudnnDestroyFilterDescriptor(d_);
}

ConvDesc::ConvDesc() { DG_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&d_)); }
ConvDesc::~ConvDesc() {
  if (d_) cudnnDestroyConvolutionDescriptor(d_);
}

CudnnState::CudnnState(cudaStream_t stream) {
  DG_CUDNN_CHECK(cudnnCreate(&handle));
  const cudnnStatus_t st = cudnnSetStream(handle, stream);
  if (st != CUDNN_STATUS_SUCCESS) {
    cudnnDestroy(handle);
    throw_cudnn(st, "cudnnSetStream(handle, stream)", __FILE__, __LINE__);
  }
}

CudnnState::~CudnnState() {
  // Descriptors (in the plans) before the handle; errors ignored (may run at process exit).
  conv_plans.clear();
  bn_plans.clear();
  if (handle) cudnnDestroy(handle);
}

void CudnnStateDeleter::operator()(CudnnState* s) const noexcept { delete s; }

CudnnState& Context::cudnn() {
  if (!cudnn_) {
    require_eager(*this, "cuDNN handle");
    cudnn_.reset(new CudnnState(stream_));
  }
  return *cudnn_;
}

#else  // !DG_WITH_CUDNN

bool built_with_cudnn() { return false; }

struct CudnnState {};

void CudnnStateDeleter::operator()(CudnnState* s) const noexcept { delete s; }

void throw_without_cudnn(const char* call) {
  throw Error(std::string(call) + ": built without cuDNN (no libcudnn found at configure time)");
}

CudnnState& Context::cudnn() { throw_without_cudnn("cuDNN backend"); }

#endif  // DG_WITH_CUDNN

}  // namespace dg::cuda
