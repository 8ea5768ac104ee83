// Adam / AdamW: on the CPU one pass over each parameter's raw data, on the GPU one fused
// multi-tensor update (kernels/cuda/adam.h) over all CUDA parameters, both with the per-element
// update of kernels/common/adam_math.h; no tape.
#include "engine/optim.h"

#include <cmath>
#include <cstring>

#include "engine/graph.h"
#include "kernels/common/adam_math.h"
#include "kernels/cuda/adam.h"

namespace dg {

namespace {

// Per-step constants, computed once in double so float and double parameters see the same values.
struct AdamStep {
  double lr, beta1, beta2, eps;
  double l2;            // added to the gradient (torch.optim.Adam's weight_decay)
  double decay_factor;  // p *= decay_factor before the update (AdamW); 1 when not decoupled
  double step_size;     // lr / (1 - beta1^t)
  double sqrt_bc2;      // sqrt(1 - beta2^t)
};

// p, g, m, v: n elements each; m and v are updated in place. Same arithmetic order as PyTorch's
// single-tensor Adam so that results agree to rounding (kernels/common/adam_math.h, shared with the
// CUDA kernel).
template <class T>
void adam_update(T* p, const T* g, T* m, T* v, int64_t n, const AdamStep& s) {
  const cpu::AdamCoefficients<T> c = cpu::adam_coefficients<T>(s);
  for (int64_t i = 0; i < n; ++i) cpu::adam_update_element(p[i], g[i], m[i], v[i], c);
}

AdamStep step_constants(const AdamOptions& o, int64_t step) {
  AdamStep s;
  s.lr = o.lr;
  s.beta1 = o.beta1;
  s.beta2 = o.beta2;
  s.eps = o.eps;
  const bool decoupled = o.decoupled_weight_decay;
  s.l2 = decoupled ? 0.0 : o.weight_decay;
  s.decay_factor = decoupled ? 1.0 - o.lr * o.weight_decay : 1.0;
  const double t = static_cast<double>(step);
  s.step_size = o.lr / (1.0 - std::pow(o.beta1, t));
  s.sqrt_bc2 = std::sqrt(1.0 - std::pow(o.beta2, t));
  return s;
}

cuda::AdamStepConstants device_constants(const AdamStep& s) {
  return {s.beta1, s.beta2, s.eps, s.l2, s.decay_factor, s.step_size, s.sqrt_bc2};
}

// A captured step's Adam update reads its bias corrections from a slot: the step count advances
// with every replay, the rest of the constants are fixed.
class AdamStepSlot : public GraphSlotOwner {
 public:
  explicit AdamStepSlot(Adam& opt) : opt_(opt), start_(opt.steps()) {}
  void capture_ended() override { opt_.set_steps(start_); }
  void fill(unsigned char* slot) const override {
    const cuda::AdamStepFloats f =
        cuda::adam_step_floats(device_constants(step_constants(opt_.options(), opt_.steps() + 1)));
    static_assert(sizeof f <= StepGraph::kSlotBytes, "Adam's per-step floats exceed a slot");
    std::memcpy(slot, &f, sizeof f);
  }
  void replayed() override { opt_.set_steps(opt_.steps() + 1); }
  void aborted() override { opt_.set_steps(start_); }
  void requested_again() override {
    DG_FAIL(
        "Adam::step called twice in one captured step: a replay would apply both updates "
        "with the same bias correction (capture one optimizer step per graph)");
  }

 private:
  Adam& opt_;
  int64_t start_;
};

}  // namespace

Adam::Adam(nn::NamedTensors params, AdamOptions opt) : params_(std::move(params)), opt_(opt) {
  DG_CHECK(opt_.lr >= 0, "Adam: lr must be non-negative, got " << opt_.lr);
  DG_CHECK(opt_.beta1 >= 0 && opt_.beta1 < 1, "Adam: beta1 " << opt_.beta1 << " outside [0, 1)");
  DG_CHECK(opt_.beta2 >= 0 && opt_.beta2 < 1, "Adam: beta2 " << opt_.beta2 << " outside [0, 1)");
  DG_CHECK(opt_.eps >= 0, "Adam: eps must be non-negative, got " << opt_.eps);
  DG_CHECK(opt_.weight_decay >= 0, "Adam: weight_decay must be non-negative");
  // Moments exist from the start so that a checkpoint can be restored into them before step 1.
  for (auto& [name, p] : params_) {
    check_defined(p, "Adam", name.c_str());
    m_.push_back(Tensor::zeros(p.shape(), p.dtype(), p.device()));
    v_.push_back(Tensor::zeros(p.shape(), p.dtype(), p.device()));
  }
}

void Adam::step() {
  NoGradGuard no_grad;
  // Requested before the count moves, so that the slot remembers the step the capture began at.
  const float* slot = nullptr;
  if (StepGraph* g = StepGraph::active())
    slot = static_cast<const float*>(
        g->slot(this, [this] { return std::make_unique<AdamStepSlot>(*this); }));
  ++t_;
  const AdamStep s = step_constants(opt_, t_);
  std::vector<cuda::AdamTensor> on_gpu;
  for (size_t i = 0; i < params_.size(); ++i) {
    // Named references, not a structured binding: the lambda below uses p, and clang before 16
    // cannot capture a structured binding.
    const std::string& name = params_[i].first;
    Tensor& p = params_[i].second;
    Tensor g = p.grad();
    if (!g.defined()) continue;
    DG_CHECK(g.shape() == p.shape() && g.dtype() == p.dtype() && g.device() == p.device(),
             "Adam: gradient of '" << name << "' is " << shape_str(g.shape()) << " "
                                   << dtype_name(g.dtype()) << " on " << device_name(g.device())
                                   << ", parameter is " << shape_str(p.shape()) << " "
                                   << dtype_name(p.dtype()) << " on " << device_name(p.device()));
    DG_CHECK(m_[i].device() == p.device(),
             "Adam: parameter '" << name << "' moved device after the optimizer was built");
    if (p.device() == Device::CUDA) {
      on_gpu.push_back(
          {p.data<float>(), g.data<float>(), m_[i].data<float>(), v_[i].data<float>(), p.numel()});
      continue;
    }
    DG_DISPATCH_FLOAT(p.dtype(), "Adam::step", [&] {
      adam_update<T>(p.data<T>(), g.data<T>(), m_[i].data<T>(), v_[i].data<T>(), p.numel(), s);
    });
  }
  if (!on_gpu.empty())
    cuda::adam_update_multi(on_gpu.data(), on_gpu.size(), device_constants(s), slot);
}

void Adam::zero_grad() {
  for (auto& [name, p] : params_) p.zero_grad();
}

nn::NamedTensors Adam::named_state() const {
  nn::NamedTensors out;
  for (size_t i = 0; i < params_.size(); ++i)
    out.emplace_back("exp_avg." + params_[i].first, m_[i]);
  for (size_t i = 0; i < params_.size(); ++i)
    out.emplace_back("exp_avg_sq." + params_[i].first, v_[i]);
  return out;
}

}  // namespace dg
