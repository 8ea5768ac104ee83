#!/usr/bin/env bash
# Installs what the build needs (Debian packages) when missing, then configures and builds into
# build/. CUDA is compiled when nvcc is found (DG_CUDA=AUTO); override with DG_CUDA=ON|OFF.
# DG_WERROR=ON makes compiler warnings errors (CI sets it).
# Usage: tools/setup.sh            (from the repository root or anywhere)
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=tools/apt_install.sh
. tools/apt_install.sh
# python3-matplotlib (with numpy) draws the pictures of `divgan report` (tools/plots/); OpenMPI runs
# data-parallel training and its tests (mpirun).
APT_TAG=setup ensure_packages cmake ninja-build g++ libeigen3-dev doctest-dev libcli11-dev nlohmann-json3-dev \
  zlib1g-dev libhdf5-dev libonnx-dev libprotobuf-dev python3-numpy python3-matplotlib \
  openmpi-bin libopenmpi-dev \
  python3-venv

# nvcc is usually installed outside PATH.
if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH=/usr/local/cuda/bin:$PATH
fi

cmake -S . -B build -G Ninja -DDG_CUDA="${DG_CUDA:-AUTO}" -DDG_WERROR="${DG_WERROR:-OFF}" >/dev/null
cmake --build build --parallel "$(nproc)"
