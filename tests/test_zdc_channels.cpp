// ZDC channel sums against a hand-built image.
#include <doctest/doctest.h>

#include <vector>

#include "base/error.h"
#include "gan/zdc_channels.h"

using dg::gan::zdc_channels;
using dg::gan::zdc_channels_batch;

TEST_CASE("zdc channels: hand-computed image") {
  std::vector<double> im(44 * 44, 0.0);
  auto at = [&](int a, int b) -> double& { return im[a * 44 + b]; };
  at(0, 0) = 1;       // even, quadrant a<22,b<22 -> ch1
  at(21, 21) = 2;     // even, ch1
  at(0, 22) = 10;     // even, a<22,b>=22 -> ch2
  at(22, 0) = 100;    // even, a>=22,b<22 -> ch3
  at(43, 43) = 1000;  // even, a>=22,b>=22 -> ch4
  at(0, 1) = 7;       // odd -> ch5
  at(43, 42) = 5;     // odd -> ch5
  at(22, 21) = 3;     // odd, on the quadrant border -> ch5
  auto ch = zdc_channels(im.data());
  CHECK(ch[0] == 3);
  CHECK(ch[1] == 10);
  CHECK(ch[2] == 100);
  CHECK(ch[3] == 1000);
  CHECK(ch[4] == 15);
}

TEST_CASE("zdc channels: a uniform image splits evenly, and the batch form agrees") {
  std::vector<double> im(2 * 44 * 44, 1.0);
  auto all = zdc_channels_batch(im);
  REQUIRE(all.size() == 2);
  // 968 even pixels in 4 quadrants of 242; 968 odd pixels.
  for (auto& ch : all) {
    CHECK(ch[0] == 242);
    CHECK(ch[1] == 242);
    CHECK(ch[2] == 242);
    CHECK(ch[3] == 242);
    CHECK(ch[4] == 968);
  }
  CHECK_THROWS_AS(zdc_channels_batch(std::vector<double>(100, 0.0)), dg::Error);
}
