#!/usr/bin/env bash
# Builds the libFuzzer target for the numpy readers (tests/fuzz/fuzz_npy_npz.cpp with
# datasets/npy.cpp, datasets/npz.cpp and base/atomic_file.cpp only, clang++
# -fsanitize=fuzzer,address,undefined, zlib) into build-fuzz/ and fuzzes it for a bounded time,
# starting from a temporary copy of the committed fixtures (tests/fixtures/*.npy, *.npz; the
# target adds zip64 variants of the .npy ones there) with the dictionary tests/fuzz/npy_npz.dict.
# Nothing generated is kept in the source tree.
# Exits non-zero on any finding (crash, sanitizer report, unexpected exception, >10 s input, OOM);
# the input that triggered it is kept as build-fuzz/artifacts/<kind>-<sha1>.
# Usage: tests/fuzz/run.sh [seconds]        (default 60; from the repository root or anywhere)
# Reproduce: build-fuzz/fuzz_npy_npz build-fuzz/artifacts/crash-...
set -euo pipefail
cd "$(dirname "$0")/../.."

secs=${1:-60}
[[ "$secs" =~ ^[0-9]+$ ]] || { echo "usage: tests/fuzz/run.sh [seconds]" >&2; exit 2; }

# shellcheck source=tools/apt_install.sh
. tools/apt_install.sh
APT_TAG=fuzz ensure_packages clang-14 libclang-rt-14-dev zlib1g-dev
CXX=clang++-14
command -v "$CXX" >/dev/null || CXX=clang++

out=build-fuzz
bin=$out/fuzz_npy_npz
srcs=(tests/fuzz/fuzz_npy_npz.cpp datasets/npy.cpp datasets/npz.cpp base/atomic_file.cpp)
mkdir -p "$out/artifacts"
echo "fuzz: building $bin with $CXX"
# -fno-sanitize-recover makes every UBSan report fatal, so it counts as a finding.
"$CXX" -std=c++20 -g -O1 -fno-omit-frame-pointer -I. \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  "${srcs[@]}" -lz -o "$bin"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus"
cp tests/fixtures/*.npy tests/fixtures/*.npz "$work/corpus/"

# The target adds zip64 .npz variants of the .npy seeds to this temporary corpus at startup.
export FUZZ_NPY_NPZ_ZIP64_SEEDS="$work/corpus"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
echo "fuzz: running for ${secs}s from the fixtures in tests/fixtures"
rc=0
"$bin" "$work/corpus" -dict=tests/fuzz/npy_npz.dict -max_total_time="$secs" -timeout=10 \
  -rss_limit_mb=2048 -artifact_prefix="$out/artifacts/" -print_final_stats=1 || rc=$?
if [ "$rc" -ne 0 ]; then
  echo "fuzz: FAILED (exit $rc); reproduce with: $bin $out/artifacts/<file>" >&2
  exit "$rc"
fi
echo "fuzz: no findings in ${secs}s"
