#!/usr/bin/env bash
# Packs the build dependencies a bare GPU machine lacks into .deps/ (ignored by git), so that they
# can travel with the source tree: the header-only libraries (Eigen, doctest, CLI11, nlohmann-json)
# with their CMake package files, and zlib's headers and library. Then, on the GPU machine:
#   DG_DEPS_PREFIX=$PWD/.deps bench/run_gpu.sh
# (run_gpu.sh passes the prefix as CMAKE_PREFIX_PATH, an include path and LD_LIBRARY_PATH.)
# HDF5 is left out: the build makes it optional (DG_HDF5=AUTO) and .h5 files then say so.
# Usage: tools/pack_gpu_deps.sh [DEST]     (default .deps; installs the Debian packages if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-.deps}
# shellcheck source=tools/apt_install.sh
. tools/apt_install.sh
APT_TAG=pack_gpu_deps ensure_packages libeigen3-dev doctest-dev libcli11-dev nlohmann-json3-dev zlib1g-dev

rm -rf "$dest"
mkdir -p "$dest/include" "$dest/lib" "$dest/share/cmake" "$dest/share/eigen3" "$dest/lib/cmake"
cp -r /usr/include/eigen3 "$dest/include/"
cp -r /usr/share/eigen3/cmake "$dest/share/eigen3/"
cp -r /usr/include/doctest /usr/include/CLI /usr/include/nlohmann "$dest/include/"
cp -r /usr/share/cmake/CLI11 /usr/share/cmake/nlohmann_json "$dest/share/cmake/"
cp -r /usr/lib/cmake/doctest "$dest/lib/cmake/"
# doctest's Debian package file names /usr as its prefix; make it relative like the others.
sed -i 's|^set(_IMPORT_PREFIX "/usr")|get_filename_component(_IMPORT_PREFIX "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)|' \
  "$dest/lib/cmake/doctest/doctestTargets.cmake"
cp /usr/include/zlib.h /usr/include/zconf.h "$dest/include/"
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
cp -P /usr/lib/"$multiarch"/libz.so* /usr/lib/"$multiarch"/libz.a "$dest/lib/"
abs=$(cd "$dest" && pwd)
echo "packed $(du -sh "$dest" | cut -f1) into $abs: carry it and pass DG_DEPS_PREFIX=$abs (or its path there) on the GPU machine"
