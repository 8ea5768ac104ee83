// Times regions of work on one device: CUDA events on the GPU (the GPU's own timeline, no host
// wait between regions), steady_clock on the CPU (where every op has finished when it returns).
#pragma once
#include <chrono>
#include <utility>
#include <vector>

#include "engine/tensor.h"

namespace dg::cuda {
struct StreamEvent;
}

namespace dg::bench {

class RegionTimer {
 public:
  // `regions`: how many begin/end pairs to expect before take_ms(); on the GPU their events are
  // created here, so that no event is created between the launches being timed.
  RegionTimer(Device device, int regions);
  ~RegionTimer();
  RegionTimer(const RegionTimer&) = delete;
  RegionTimer& operator=(const RegionTimer&) = delete;

  void begin();
  void end();
  // Milliseconds of every region so far (waits for the device); clears them.
  std::vector<double> take_ms();

 private:
  Device device_;
  std::vector<std::pair<cuda::StreamEvent*, cuda::StreamEvent*>> events_;  // reused pool
  size_t used_ = 0;  // pairs begun since the last take_ms()
  std::vector<double> cpu_ms_;
  std::chrono::steady_clock::time_point t0_;
  void release() noexcept;
};

struct Summary {
  double median = 0, p10 = 0, p90 = 0, min = 0;
};
Summary summarize(std::vector<double> ms);

}  // namespace dg::bench
