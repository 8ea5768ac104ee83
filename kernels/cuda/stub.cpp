// CPU-only build: every CUDA entry point exists and throws "built without CUDA" (the queries answer
// "no GPU" instead), so the engine links unchanged and a CUDA tensor is an error with a message.
#include <string>

#include "base/error.h"
#include "kernels/cuda/adam.h"
#include "kernels/cuda/batch_norm.h"
#include "kernels/cuda/conv.h"
#include "kernels/cuda/cudnn.h"
#include "kernels/cuda/diversity.h"
#include "kernels/cuda/dropout.h"
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/gather.h"
#include "kernels/cuda/graph.h"
#include "kernels/cuda/linear.h"
#include "kernels/cuda/loss.h"
#include "kernels/cuda/minibatch.h"
#include "kernels/cuda/pool.h"
#include "kernels/cuda/reduce.h"
#include "kernels/cuda/runtime.h"
#include "kernels/cuda/unary.h"

namespace dg::cuda {

namespace {
[[noreturn]] void no_cuda(const char* call) {
  throw Error(std::string(call) +
              ": built without CUDA (reconfigure with -DDG_CUDA=ON on a machine with nvcc)");
}
}  // namespace

// runtime.h
bool built_with_cuda() { return false; }
int device_count() { return 0; }
void* device_malloc(size_t) { no_cuda("device_malloc"); }
void device_free(void*) noexcept {}
AllocatorStats allocator_stats() { return {}; }
void reset_peak_memory() {}
void select_device(int) { no_cuda("select_device"); }
void empty_cache() {}
void copy_host_to_device(void*, const void*, size_t) { no_cuda("copy_host_to_device"); }
void copy_device_to_host(void*, const void*, size_t) { no_cuda("copy_device_to_host"); }
void copy_device_to_device(void*, const void*, size_t) { no_cuda("copy_device_to_device"); }
void copy_blocks(const void*, int64_t, void*, int64_t, int64_t, int64_t) { no_cuda("copy_blocks"); }
void fill_f32(float*, float, size_t) { no_cuda("fill_f32"); }
void synchronize() {}
void set_sync_launches(bool) { no_cuda("set_sync_launches"); }
bool sync_launches() { return false; }
void set_conv_backend(ConvBackend backend) {
  if (backend == ConvBackend::Cudnn) no_cuda("set_conv_backend(Cudnn)");
}
ConvBackend conv_backend() { return ConvBackend::Handwritten; }

// gather.h
void index_rows(const float*, int64_t, const int32_t*, int64_t, float*) { no_cuda("index_rows"); }

// graph.h
void capture_begin() { no_cuda("capture_begin"); }
CapturedGraph* capture_end() { no_cuda("capture_end"); }
void capture_abort() noexcept {}
bool capturing() { return false; }
void graph_launch(CapturedGraph*) { no_cuda("graph_launch"); }
void graph_destroy(CapturedGraph*) noexcept {}
int64_t graph_kernel_nodes(const CapturedGraph*) { return 0; }
uint64_t launch_count() { return 0; }
void copy_host_to_device_async(void*, const void*, size_t) { no_cuda("copy_host_to_device_async"); }
StreamEvent* event_create() { no_cuda("event_create"); }
void event_record(StreamEvent*) { no_cuda("event_record"); }
double event_elapsed_ms(StreamEvent*, StreamEvent*) { no_cuda("event_elapsed_ms"); }
void event_destroy(StreamEvent*) noexcept {}

// cudnn.h
bool built_with_cudnn() { return false; }
void cudnn_conv2d_forward(const float*, const float*, float*, const cpu::ConvGeometry&,
                          MatmulPrecision) {
  no_cuda("cudnn_conv2d_forward");
}
void cudnn_conv2d_backward_data(const float*, const float*, float*, const cpu::ConvGeometry&,
                                MatmulPrecision) {
  no_cuda("cudnn_conv2d_backward_data");
}
void cudnn_conv2d_backward_weight(const float*, const float*, float*, const cpu::ConvGeometry&,
                                  MatmulPrecision) {
  no_cuda("cudnn_conv2d_backward_weight");
}
bool cudnn_batch_norm_supports(double) { return false; }
void cudnn_batch_norm_forward_training(const float*, const float*, const float*, float*, float*,
                                       float*, float*, float*, int64_t, int64_t, int64_t, double,
                                       double) {
  no_cuda("cudnn_batch_norm_forward_training");
}
void cudnn_batch_norm_forward_inference(const float*, const float*, const float*, const float*,
                                        const float*, float*, int64_t, int64_t, int64_t, double) {
  no_cuda("cudnn_batch_norm_forward_inference");
}
void cudnn_batch_norm_backward(const float*, const float*, const float*, const float*, const float*,
                               float*, float*, float*, int64_t, int64_t, int64_t, double) {
  no_cuda("cudnn_batch_norm_backward");
}

// elementwise.h
void binary_forward(cpu::BinaryOp, const float*, const float*, float*, const std::vector<int64_t>&,
                    const std::vector<int64_t>&, const std::vector<int64_t>&) {
  no_cuda("binary_forward");
}
void sum_to_forward(const float*, float*, int64_t, const std::vector<int64_t>&,
                    const std::vector<int64_t>&) {
  no_cuda("sum_to_forward");
}
void scale_shift_forward(const float*, float*, int64_t, float, float) {
  no_cuda("scale_shift_forward");
}
void accumulate(float*, const float*, int64_t) { no_cuda("accumulate"); }

// unary.h
void unary_forward(cpu::UnaryOp, const cpu::UnaryParams&, const float*, float*, int64_t) {
  no_cuda("unary_forward");
}
void unary_backward(cpu::UnaryOp, const cpu::UnaryParams&, const float*, const float*, const float*,
                    float*, int64_t) {
  no_cuda("unary_backward");
}

// reduce.h
void sum_all_forward(const float*, float*, int64_t, double) { no_cuda("sum_all_forward"); }
void sum_all_backward(const float*, float*, int64_t, double) { no_cuda("sum_all_backward"); }
void sum_rows_forward(const float*, float*, int64_t, int64_t, double) {
  no_cuda("sum_rows_forward");
}
void sum_rows_backward(const float*, float*, int64_t, int64_t, double) {
  no_cuda("sum_rows_backward");
}
void log_softmax_forward(const float*, float*, int64_t, int64_t) { no_cuda("log_softmax_forward"); }
void log_softmax_backward(const float*, const float*, float*, int64_t, int64_t) {
  no_cuda("log_softmax_backward");
}

// linear.h
void gemm(bool, bool, int64_t, int64_t, int64_t, const float*, const float*, float*, bool,
          MatmulPrecision) {
  no_cuda("gemm");
}
void add_row_bias(float*, const float*, int64_t, int64_t) { no_cuda("add_row_bias"); }
void bias_backward(const float*, float*, int64_t, int64_t) { no_cuda("bias_backward"); }

// loss.h
void bce_with_logits_forward(const float*, const float*, int64_t, float*, int64_t) {
  no_cuda("bce_with_logits_forward");
}
void bce_with_logits_backward_logits(const float*, const float*, int64_t, const float*, float*,
                                     int64_t) {
  no_cuda("bce_with_logits_backward_logits");
}
void bce_with_logits_backward_targets(const float*, const float*, float*, int64_t) {
  no_cuda("bce_with_logits_backward_targets");
}

// diversity.h
void diversity_forward(const float*, const float*, const float*, const float*, const float*,
                       int64_t, int64_t, int64_t, DiversityMode, double, float*, float*, float*) {
  no_cuda("diversity_forward");
}
void diversity_backward(const float*, const float*, const float*, int64_t, int64_t, DiversityMode,
                        double, const float*, const float*, const float*, float*, float*) {
  no_cuda("diversity_backward");
}

// adam.h
void adam_update_multi(const AdamTensor*, size_t, const AdamStepConstants&, const float*) {
  no_cuda("adam_update_multi");
}

// conv.h
void conv2d_forward(const float*, const float*, float*, const cpu::ConvGeometry&, MatmulPrecision) {
  no_cuda("conv2d_forward");
}
void conv2d_backward_data(const float*, const float*, float*, const cpu::ConvGeometry&,
                          MatmulPrecision) {
  no_cuda("conv2d_backward_data");
}
void conv2d_backward_weight(const float*, const float*, float*, const cpu::ConvGeometry&,
                            MatmulPrecision) {
  no_cuda("conv2d_backward_weight");
}
void channel_bias_forward(const float*, float*, int64_t, int64_t, int64_t) {
  no_cuda("channel_bias_forward");
}
void channel_bias_backward(const float*, float*, int64_t, int64_t, int64_t) {
  no_cuda("channel_bias_backward");
}

// batch_norm.h
void batch_norm_stats(const float*, float*, float*, int64_t, int64_t, int64_t) {
  no_cuda("batch_norm_stats");
}
void batch_norm_invstd(const float*, float*, int64_t, double) { no_cuda("batch_norm_invstd"); }
void batch_norm_update_running(float*, float*, const float*, const float*, int64_t, int64_t,
                               double) {
  no_cuda("batch_norm_update_running");
}
void batch_norm_forward(const float*, const float*, const float*, const float*, const float*,
                        float*, int64_t, int64_t, int64_t) {
  no_cuda("batch_norm_forward");
}
void batch_norm_backward(const float*, const float*, const float*, const float*, const float*,
                         float*, float*, float*, int64_t, int64_t, int64_t, bool) {
  no_cuda("batch_norm_backward");
}

// minibatch.h
void minibatch_similarity_forward(const float*, float*, int64_t, int64_t, int64_t) {
  no_cuda("minibatch_similarity_forward");
}
void minibatch_similarity_backward(const float*, const float*, float*, int64_t, int64_t, int64_t) {
  no_cuda("minibatch_similarity_backward");
}
// pool.h
void upsample_nearest2d_forward(const float*, float*, int64_t, int64_t, int64_t, int64_t) {
  no_cuda("upsample_nearest2d_forward");
}
void upsample_nearest2d_backward(const float*, float*, int64_t, int64_t, int64_t, int64_t) {
  no_cuda("upsample_nearest2d_backward");
}
void max_pool2d_forward(const float*, float*, const cpu::PoolGeometry&) {
  no_cuda("max_pool2d_forward");
}
void max_pool2d_backward(const float*, const float*, float*, const cpu::PoolGeometry&) {
  no_cuda("max_pool2d_backward");
}

// dropout.h
void dropout_leaky_relu_forward(const float*, float*, int64_t, uint64_t, uint64_t, double, float,
                                float, const uint64_t*) {
  no_cuda("dropout_leaky_relu_forward");
}
void dropout_leaky_relu_backward(const float*, const float*, float*, int64_t, uint64_t, uint64_t,
                                 double, float, float, const uint64_t*) {
  no_cuda("dropout_leaky_relu_backward");
}
void dropout_apply(const float*, float*, int64_t, uint64_t, uint64_t, double, float,
                   const uint64_t*) {
  no_cuda("dropout_apply");
}

}  // namespace dg::cuda
