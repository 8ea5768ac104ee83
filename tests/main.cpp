// The one doctest binary: CPU tests always; GPU parity tests compiled with CUDA, skipped without a GPU.
// Run: build/dg_tests  (doctest flags apply, e.g. -tc="conv*")
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
