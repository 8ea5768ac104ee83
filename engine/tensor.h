// Tensor: contiguous NCHW storage (float32; float64 on the CPU for gradient checks), a device tag,
// shared storage, requires_grad / grad and the autograd node that produced it.
#pragma once
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"

namespace dg {

enum class Device { CPU, CUDA };
// F32: every op; F64: CPU only (gradient checks in double); I32: row indices (index_rows), no
// arithmetic.
enum class DType { F32, F64, I32 };

using Shape = std::vector<int64_t>;

const char* device_name(Device d);
const char* dtype_name(DType t);
size_t dtype_size(DType t);
std::string shape_str(const Shape& s);
int64_t shape_numel(const Shape& s);

// Raw bytes on one device; freed by the device's allocator.
struct Storage {
  void* data = nullptr;
  size_t nbytes = 0;
  Device device = Device::CPU;
  Storage(size_t nbytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};

struct Node;
struct TensorImpl;

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // Factories. `empty` leaves memory uninitialized (or NaN-poisoned under PoisonGuard).
  static Tensor empty(const Shape& shape, DType dtype = DType::F32, Device device = Device::CPU);
  static Tensor zeros(const Shape& shape, DType dtype = DType::F32, Device device = Device::CPU);
  static Tensor full(const Shape& shape, double value, DType dtype = DType::F32,
                     Device device = Device::CPU);
  static Tensor from_vector(const std::vector<double>& values, const Shape& shape,
                            DType dtype = DType::F32);
  static Tensor scalar(double value, DType dtype = DType::F32);

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  int64_t dim() const { return static_cast<int64_t>(shape().size()); }
  int64_t size(int64_t d) const;  // negative d counts from the back
  int64_t numel() const;
  DType dtype() const;
  Device device() const;
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype()); }

  template <class T>
  T* data();
  template <class T>
  const T* data() const;
  void* raw();
  const void* raw() const;

  // Host-side element access (CPU only), as double; for tests, I/O and small reductions.
  double item() const;
  double at(int64_t flat_index) const;
  std::vector<double> to_vector() const;

  // Copies. `to` returns *this when nothing changes.
  Tensor to(Device device) const;
  Tensor to(DType dtype) const;
  Tensor clone() const;
  void copy_(const Tensor& src);  // same shape, any device/dtype combination on the CPU
  // copy_, except that a host-to-GPU copy is queued (through pinned staging) without waiting: the
  // host may reuse src at once. For staging a step's inputs.
  void copy_async_(const Tensor& src);
  void fill_(double value);
  Tensor detach() const;  // shares storage, no grad history

  // Autograd.
  bool requires_grad() const;
  Tensor& set_requires_grad(bool on = true);
  Tensor grad() const;
  void set_grad(const Tensor& g);
  void zero_grad();
  void backward(const Tensor& grad_output = Tensor()) const;  // scalar output when omitted
  const std::shared_ptr<Node>& grad_fn() const;

  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

struct TensorImpl {
  Shape shape;
  DType dtype = DType::F32;
  std::shared_ptr<Storage> storage;
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;
  std::shared_ptr<Node> grad_fn;
};

// Fill every tensor created by Tensor::empty with NaN while alive (tests: an output element a
// kernel never writes cannot pass). Thread-local, nests.
struct PoisonGuard {
  PoisonGuard();
  ~PoisonGuard();
  bool prev;
};

// While alive on this thread, every call that moves tensor data between host and device or waits
// for the device throws: item(), to_vector(), to(Device) (even where the devices agree, so a CPU
// test catches what would be a transfer on the GPU), copy_ across devices and from_vector. Active
// in the device half of a training step (gan/trainer.h) and during graph capture. Nests.
struct HostTransferGuard {
  HostTransferGuard();
  ~HostTransferGuard();
  HostTransferGuard(const HostTransferGuard&) = delete;
  HostTransferGuard& operator=(const HostTransferGuard&) = delete;
  bool prev;
};
bool host_transfers_forbidden();

// Shape helpers used by op front-ends.
void check_same_device(const Tensor& a, const Tensor& b, const char* op);
void check_same_dtype(const Tensor& a, const Tensor& b, const char* op);
void check_defined(const Tensor& a, const char* op, const char* arg);

}  // namespace dg

// Dispatch on a CPU tensor's dtype: binds `T` to float or double inside the body.
#define DG_DISPATCH_FLOAT(dtype, OPNAME, ...)                                     \
  [&] {                                                                           \
    switch (dtype) {                                                              \
      case ::dg::DType::F32: {                                                    \
        using T = float;                                                          \
        return __VA_ARGS__();                                                     \
      }                                                                           \
      case ::dg::DType::F64: {                                                    \
        using T = double;                                                         \
        return __VA_ARGS__();                                                     \
      }                                                                           \
      case ::dg::DType::I32:                                                      \
        break;                                                                    \
    }                                                                             \
    DG_FAIL(OPNAME << ": needs a float tensor (int32 tensors hold row indices)"); \
  }()
