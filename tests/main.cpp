// The one doctest binary: CPU tests always; GPU parity tests compiled with CUDA. Where no GPU is
// present every GPU test case (named "gpu: ...") is filtered out before the run, so doctest's
// summary counts it as skipped, never as passed: a CPU run is not read as GPU truth.
// Run: build/dg_tests  (doctest flags apply, e.g. -tc="conv*")
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

#include "kernels/cuda/runtime.h"

int main(int argc, char** argv) {
  doctest::Context ctx;
  ctx.applyCommandLine(argc, argv);
  if (dg::cuda::built_with_cuda() && dg::cuda::device_count() == 0) {
    ctx.addFilter("test-case-exclude", "gpu:*");
    std::printf(
        "[dg_tests] no GPU present: the GPU test cases (\"gpu: ...\") are not run and are counted "
        "as skipped\n");
  }
  const int rc = ctx.run();
  return rc;
}
