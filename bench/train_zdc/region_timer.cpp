// Region timing (see region_timer.h).
#include "bench/train_zdc/region_timer.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "kernels/cuda/graph.h"

namespace dg::bench {

RegionTimer::RegionTimer(Device device, int regions) : device_(device) {
  if (device_ != Device::CUDA) return;
  for (int i = 0; i < regions; ++i)
    events_.emplace_back(cuda::event_create(), cuda::event_create());
}

RegionTimer::~RegionTimer() { release(); }

void RegionTimer::release() noexcept {
  for (auto& [a, b] : events_) {
    cuda::event_destroy(a);
    cuda::event_destroy(b);
  }
  events_.clear();
}

void RegionTimer::begin() {
  if (device_ != Device::CUDA) {
    t0_ = std::chrono::steady_clock::now();
    return;
  }
  if (used_ == events_.size())  // more regions than announced
    events_.emplace_back(cuda::event_create(), cuda::event_create());
  cuda::event_record(events_[used_++].first);
}

void RegionTimer::end() {
  if (device_ == Device::CUDA) {
    DG_CHECK(used_ > 0, "RegionTimer::end without begin");
    cuda::event_record(events_[used_ - 1].second);
  } else {
    cpu_ms_.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0_).count());
  }
}

std::vector<double> RegionTimer::take_ms() {
  std::vector<double> out;
  if (device_ == Device::CUDA) {
    for (size_t i = 0; i < used_; ++i)
      out.push_back(cuda::event_elapsed_ms(events_[i].first, events_[i].second));
    used_ = 0;
  } else {
    out.swap(cpu_ms_);
  }
  return out;
}

Summary summarize(std::vector<double> ms) {
  DG_CHECK(!ms.empty(), "summarize: no timings");
  std::sort(ms.begin(), ms.end());
  auto q = [&](double p) {
    const double pos = p * static_cast<double>(ms.size() - 1);
    const size_t lo = static_cast<size_t>(std::floor(pos));
    const size_t hi = std::min(lo + 1, ms.size() - 1);
    return ms[lo] + (pos - static_cast<double>(lo)) * (ms[hi] - ms[lo]);
  };
  return {q(0.5), q(0.1), q(0.9), ms.front()};
}

}  // namespace dg::bench
