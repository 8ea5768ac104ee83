// Tensor storage, factories, copies and autograd accessors.
#include "engine/tensor.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <sstream>

#include "engine/autograd.h"
#include "engine/host_alloc.h"
#include "kernels/cuda/graph.h"
#include "kernels/cuda/runtime.h"

namespace dg {

namespace {
thread_local bool g_poison = false;
}

PoisonGuard::PoisonGuard() : prev(g_poison) { g_poison = true; }
PoisonGuard::~PoisonGuard() { g_poison = prev; }

namespace {
thread_local bool g_no_host_transfers = false;

void check_transfer_allowed(const char* what) {
  DG_CHECK(!g_no_host_transfers,
           what << " inside a device-only region (a training step's device half or a CUDA graph "
                   "capture): it would move data between host and device or wait for the GPU");
}
}  // namespace

HostTransferGuard::HostTransferGuard() : prev(g_no_host_transfers) { g_no_host_transfers = true; }
HostTransferGuard::~HostTransferGuard() { g_no_host_transfers = prev; }
bool host_transfers_forbidden() { return g_no_host_transfers; }

const char* device_name(Device d) { return d == Device::CPU ? "cpu" : "cuda"; }
const char* dtype_name(DType t) {
  return t == DType::F32 ? "float32" : t == DType::F64 ? "float64" : "int32";
}
size_t dtype_size(DType t) { return t == DType::F64 ? 8 : 4; }

std::string shape_str(const Shape& s) {
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  if (s.size() == 1) os << ",";
  os << ")";
  return os.str();
}

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) {
    DG_CHECK(d >= 0, "negative dimension in shape " << shape_str(s));
    n *= d;
  }
  return n;
}

Storage::Storage(size_t n, Device dev) : nbytes(n), device(dev) {
  if (dev == Device::CPU)
    data = host_alloc(n);  // rounds up to 64 bytes itself
  else
    data = cuda::device_malloc(std::max<size_t>(64, (n + 63) / 64 * 64));
}

Storage::~Storage() {
  if (device == Device::CPU)
    host_free(data, nbytes);
  else
    cuda::device_free(data);
}

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  DG_CHECK(device == Device::CPU || dtype != DType::F64,
           "float64 tensors live on the CPU only (requested on " << device_name(device) << ")");
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->dtype = dtype;
  impl->storage = std::make_shared<Storage>(shape_numel(shape) * dtype_size(dtype), device);
  Tensor t(impl);
  if (g_poison) t.fill_(std::numeric_limits<double>::quiet_NaN());
  return t;
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
  return full(shape, 0.0, dtype, device);
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  t.fill_(value);
  return t;
}

Tensor Tensor::from_vector(const std::vector<double>& values, const Shape& shape, DType dtype) {
  check_transfer_allowed("Tensor::from_vector");
  DG_CHECK(static_cast<int64_t>(values.size()) == shape_numel(shape),
           "from_vector: " << values.size() << " values for shape " << shape_str(shape));
  Tensor t = empty(shape, dtype);
  DG_DISPATCH_FLOAT(dtype, "from_vector", [&] {
    T* p = t.data<T>();
    for (size_t i = 0; i < values.size(); ++i) p[i] = static_cast<T>(values[i]);
  });
  return t;
}

Tensor Tensor::scalar(double value, DType dtype) { return full({}, value, dtype); }

const Shape& Tensor::shape() const {
  DG_CHECK(impl_, "use of an undefined tensor");
  return impl_->shape;
}

int64_t Tensor::size(int64_t d) const {
  int64_t n = dim();
  if (d < 0) d += n;
  DG_CHECK(d >= 0 && d < n, "dimension " << d << " out of range for shape " << shape_str(shape()));
  return shape()[d];
}

int64_t Tensor::numel() const { return shape_numel(shape()); }
DType Tensor::dtype() const { return impl_->dtype; }
Device Tensor::device() const { return impl_->storage->device; }
void* Tensor::raw() { return impl_->storage->data; }
const void* Tensor::raw() const { return impl_->storage->data; }

template <class T>
T* Tensor::data() {
  DG_CHECK(impl_, "data() of an undefined tensor");
  DG_CHECK((std::is_same_v<T, float> && dtype() == DType::F32) ||
               (std::is_same_v<T, double> && dtype() == DType::F64) ||
               (std::is_same_v<T, int32_t> && dtype() == DType::I32),
           "data<T>() does not match dtype " << dtype_name(dtype()));
  return static_cast<T*>(impl_->storage->data);
}
template <class T>
const T* Tensor::data() const {
  return const_cast<Tensor*>(this)->data<T>();
}
template float* Tensor::data<float>();
template double* Tensor::data<double>();
template const float* Tensor::data<float>() const;
template const double* Tensor::data<double>() const;
template int32_t* Tensor::data<int32_t>();
template const int32_t* Tensor::data<int32_t>() const;

double Tensor::at(int64_t i) const {
  DG_CHECK(device() == Device::CPU, "at(): tensor is on " << device_name(device()));
  DG_CHECK(i >= 0 && i < numel(), "at(" << i << ") out of range for " << shape_str(shape()));
  switch (dtype()) {
    case DType::F32:
      return data<float>()[i];
    case DType::F64:
      return data<double>()[i];
    case DType::I32:
      return data<int32_t>()[i];
  }
  return 0;
}

double Tensor::item() const {
  check_transfer_allowed("Tensor::item()");
  DG_CHECK(numel() == 1, "item() on a tensor of shape " << shape_str(shape()));
  if (device() != Device::CPU) return to(Device::CPU).item();
  return at(0);
}

std::vector<double> Tensor::to_vector() const {
  check_transfer_allowed("Tensor::to_vector()");
  if (device() != Device::CPU) return to(Device::CPU).to_vector();
  std::vector<double> v(numel());
  for (int64_t i = 0; i < numel(); ++i) v[i] = at(i);
  return v;
}

Tensor Tensor::to(Device dev) const {
  check_transfer_allowed("Tensor::to(Device)");
  if (dev == device()) return *this;
  DG_CHECK(dtype() != DType::F64, "float64 tensors live on the CPU only");
  Tensor out = empty(shape(), dtype(), dev);
  if (dev == Device::CUDA)
    cuda::copy_host_to_device(out.raw(), raw(), nbytes());
  else
    cuda::copy_device_to_host(out.raw(), raw(), nbytes());
  out.impl_->requires_grad = requires_grad();
  return out;
}

Tensor Tensor::to(DType t) const {
  if (t == dtype()) return *this;
  Tensor out = empty(shape(), t, device());
  out.copy_(*this);
  return out;
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), dtype(), device());
  out.copy_(*this);
  return out;
}

void Tensor::copy_(const Tensor& src) {
  DG_CHECK(src.numel() == numel(),
           "copy_: " << shape_str(src.shape()) << " into " << shape_str(shape()));
  if (device() != src.device()) check_transfer_allowed("Tensor::copy_ across devices");
  if (device() == Device::CUDA || src.device() == Device::CUDA) {
    DG_CHECK(dtype() == src.dtype(), "copy_ across devices needs equal dtypes");
    if (device() == Device::CUDA && src.device() == Device::CUDA)
      cuda::copy_device_to_device(raw(), src.raw(), nbytes());
    else if (device() == Device::CUDA)
      cuda::copy_host_to_device(raw(), src.raw(), nbytes());
    else
      cuda::copy_device_to_host(raw(), src.raw(), nbytes());
    return;
  }
  if (dtype() == src.dtype()) {
    if (raw() != src.raw()) std::memcpy(raw(), src.raw(), nbytes());
    return;
  }
  DG_CHECK(dtype() != DType::I32 && src.dtype() != DType::I32,
           "copy_: no conversion between int32 and float (" << dtype_name(src.dtype()) << " into "
                                                            << dtype_name(dtype()) << ")");
  int64_t n = numel();
  if (dtype() == DType::F32) {
    const double* s = src.data<double>();
    float* d = data<float>();
    for (int64_t i = 0; i < n; ++i) d[i] = static_cast<float>(s[i]);
  } else {
    const float* s = src.data<float>();
    double* d = data<double>();
    for (int64_t i = 0; i < n; ++i) d[i] = s[i];
  }
}

void Tensor::copy_async_(const Tensor& src) {
  if (device() == Device::CUDA && src.device() == Device::CPU) {
    check_transfer_allowed("Tensor::copy_async_ across devices");
    DG_CHECK(src.numel() == numel() && src.dtype() == dtype(),
             "copy_async_: " << dtype_name(src.dtype()) << " " << shape_str(src.shape()) << " into "
                             << dtype_name(dtype()) << " " << shape_str(shape()));
    cuda::copy_host_to_device_async(raw(), src.raw(), nbytes());
    return;
  }
  copy_(src);
}

void Tensor::fill_(double value) {
  if (dtype() == DType::I32) {
    // Poisoning (NaN) gives INT32_MIN, an index no gather accepts (and, as float bits, -0.0: the
    // device fill below moves it unchanged).
    const int32_t v =
        std::isnan(value) ? std::numeric_limits<int32_t>::min() : static_cast<int32_t>(value);
    if (device() == Device::CUDA) {
      float bits;
      std::memcpy(&bits, &v, sizeof bits);
      cuda::fill_f32(static_cast<float*>(raw()), bits, static_cast<size_t>(numel()));
    } else {
      std::fill(data<int32_t>(), data<int32_t>() + numel(), v);
    }
    return;
  }
  if (device() == Device::CUDA) {
    cuda::fill_f32(data<float>(), static_cast<float>(value), numel());
    return;
  }
  DG_DISPATCH_FLOAT(dtype(), "fill_", [&] {
    T* p = data<T>();
    std::fill(p, p + numel(), static_cast<T>(value));
  });
}

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape();
  impl->dtype = dtype();
  impl->storage = impl_->storage;
  return Tensor(impl);
}

bool Tensor::requires_grad() const { return impl_ && impl_->requires_grad; }

Tensor& Tensor::set_requires_grad(bool on) {
  DG_CHECK(!impl_->grad_fn || on, "set_requires_grad(false) on a non-leaf tensor");
  impl_->requires_grad = on;
  return *this;
}

Tensor Tensor::grad() const { return Tensor(impl_->grad); }

void Tensor::set_grad(const Tensor& g) {
  DG_CHECK(!g.defined() || g.shape() == shape(),
           "set_grad: shape " << shape_str(g.shape()) << " != " << shape_str(shape()));
  impl_->grad = g.impl_ptr();
}

void Tensor::zero_grad() { impl_->grad.reset(); }

void Tensor::backward(const Tensor& grad_output) const {
  Tensor seed = grad_output;
  if (!seed.defined()) {
    DG_CHECK(numel() == 1,
             "backward() without a gradient needs a scalar, got shape " << shape_str(shape()));
    seed = full(shape(), 1.0, dtype(), device());
  }
  run_backward(*this, seed);
}

const std::shared_ptr<Node>& Tensor::grad_fn() const { return impl_->grad_fn; }

void check_same_device(const Tensor& a, const Tensor& b, const char* op) {
  DG_CHECK(a.device() == b.device(), op << ": tensors on different devices ("
                                        << device_name(a.device()) << " and "
                                        << device_name(b.device()) << ")");
}
void check_same_dtype(const Tensor& a, const Tensor& b, const char* op) {
  DG_CHECK(a.dtype() == b.dtype(), op << ": mixed dtypes (" << dtype_name(a.dtype()) << " and "
                                      << dtype_name(b.dtype()) << ")");
}
void check_defined(const Tensor& a, const char* op, const char* arg) {
  DG_CHECK(a.defined(), op << ": argument '" << arg << "' is undefined");
}

}  // namespace dg
