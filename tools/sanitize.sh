#!/usr/bin/env bash
# The whole doctest suite and the CLI checks under AddressSanitizer + UndefinedBehaviorSanitizer
# (leak checking on): a CPU-only build (no CUDA: nothing of it runs without a GPU, and the CUDA
# runtime does not work under ASan) in build-asan/, without the benchmarks. Any sanitizer report
# fails: every UBSan finding is fatal (-fno-sanitize-recover=all) and ASan aborts at the first.
# Usage: tools/sanitize.sh          (from the repository root or anywhere; CI runs it)
set -uo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=tools/apt_install.sh
. tools/apt_install.sh
APT_TAG=sanitize ensure_packages cmake ninja-build g++ libeigen3-dev doctest-dev libcli11-dev \
  nlohmann-json3-dev zlib1g-dev libhdf5-dev || exit 1

flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDG_CUDA=OFF -DDG_BENCH=OFF \
  -DDG_NATIVE=OFF -DDG_WERROR="${DG_WERROR:-OFF}" -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null || exit 1
cmake --build build-asan --parallel "$(nproc)" || exit 1

# Reports go to files (one per process) as well as failing the process, so a report in a command
# whose output a check discards, or one that was expected to fail, is still counted.
reports_dir=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$log" "$reports_dir"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1:log_path=$reports_dir/asan}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:log_path=$reports_dir/ubsan}
build-asan/dg_tests 2>&1 | tee "$log"
unit_rc=${PIPESTATUS[0]}
bash tests/test_cli.sh build-asan/divgan 2>&1 | tee -a "$log"
cli_rc=${PIPESTATUS[0]}
reports=$(find "$reports_dir" -type f | wc -l)
for f in "$reports_dir"/*; do [ -f "$f" ] && { echo "---- $f"; head -n 40 "$f"; }; done
read -r up uf us < <(grep '^\[doctest\] test cases:' "$log" |
  sed -E 's/.*\| *([0-9]+) passed \| *([0-9]+) failed \| *([0-9]+) skipped.*/\1 \2 \3/')
read -r cp cf < <(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1 | sed -E 's/([0-9]+) passed, ([0-9]+) failed/\1 \2/')
echo "sanitize: doctest ${up:-0} passed, ${uf:-?} failed, ${us:-0} skipped; CLI ${cp:-0} passed, ${cf:-?} failed; ${reports} sanitizer report(s)"
[ "$unit_rc" -eq 0 ] && [ "$cli_rc" -eq 0 ] && [ "$reports" -eq 0 ]
