#!/usr/bin/env bash
# Builds, on this (CPU) machine, what bench/gpu_check.sh runs on a bare GPU machine, and puts it in
# .gpu/ (ignored by git) to be carried there with the source tree:
#   .gpu/bin/   dg_tests, train_zdc, divgan and the kernel microbenchmarks, Release, CUDA code for
#               sm_90 (+ PTX), -march=native OFF (the GPU host's CPU is not this one), HDF5 OFF,
#               the CUDA runtime and libstdc++/libgcc static; cuBLAS and cuDNN stay shared
#               libraries, found on the GPU machine at run time (gpu_check.sh looks for them)
#   .gpu/deps/  the header-only dependencies and zlib (tools/pack_gpu_deps.sh), for the fallback
#               build on the GPU machine when the carried binaries do not start there
#   .gpu/commit the commit the binaries were built from (gpu_check.sh refuses stale ones)
# Usage: bench/gpu_prepare.sh          (then: bench/gpu_check.sh OUTDIR on the GPU machine)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=tools/apt_install.sh
. tools/apt_install.sh
APT_TAG=gpu_prepare ensure_packages cmake ninja-build g++ libeigen3-dev doctest-dev libcli11-dev \
  nlohmann-json3-dev zlib1g-dev
export PATH=/usr/local/cuda/bin:$PATH
build=build-sm90
# No MPI or NCCL in these binaries: the GPU machine has one GPU and no OpenMPI (and its loader may
# not find libnccl), so data-parallel training is checked where there are ranks (tests/test_mpi.sh).
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDG_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES="90-real;90-virtual" -DDG_NATIVE=OFF -DDG_HDF5=OFF -DDG_MPI=OFF -DDG_NCCL=OFF \
  -DCMAKE_EXE_LINKER_FLAGS="-static-libstdc++ -static-libgcc" >/dev/null
cmake --build "$build" --parallel "$(nproc)"
rm -rf .gpu/bin
mkdir -p .gpu/bin
cp "$build"/dg_tests "$build"/train_zdc "$build"/divgan .gpu/bin/
for b in "$build"/bench_*; do [ -x "$b" ] && cp "$b" .gpu/bin/; done
strip --strip-unneeded .gpu/bin/* 2>/dev/null || true
tools/pack_gpu_deps.sh .gpu/deps >/dev/null
git rev-parse HEAD >.gpu/commit
git diff --quiet HEAD -- . ':!bench/results' 2>/dev/null || echo "dirty" >>.gpu/commit
size=$(du -sm .gpu | cut -f1)
echo "gpu_prepare: .gpu/ holds ${size} MiB (binaries $(du -sm .gpu/bin | cut -f1) MiB) for commit $(head -1 .gpu/commit)"
[ "$size" -le 60 ] || { echo "gpu_prepare: .gpu/ is over 60 MiB: it will not travel" >&2; exit 1; }
