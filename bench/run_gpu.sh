#!/usr/bin/env bash
# On a machine with an NVIDIA GPU: build (Release, sm_90), run the whole test suite (CPU tests and
# the GPU parity tests), compute-sanitizer memcheck and racecheck over the GPU tests, then every
# kernel microbenchmark; collect the JSON under bench/results/ and the logs under bench/results/logs/
# (and under $OUT too when that is set, as on the lent device machine). One call does everything:
#
#   bench/run_gpu.sh                 # all of it
#   BENCH_ARGS="--reps 20" bench/run_gpu.sh      # passed to every benchmark
#   SKIP_SANITIZER=1 bench/run_gpu.sh            # skip memcheck/racecheck (slow)
#   STEPS="build tests" bench/run_gpu.sh; STEPS="sanitize" ...; STEPS="bench" ...; STEPS="train" ...
#                                    # the same in several calls (e.g. under a 10-minute limit per
#                                    # command on a lent machine that keeps build-gpu/ between calls)
#
# Dependencies: CMake, ninja, nvcc and the libraries CMakeLists.txt finds (Eigen3, nlohmann_json,
# CLI11, doctest, HDF5 (optional), ZLIB; cuBLAS and cuDNN from the CUDA toolkit). Where the GPU
# machine lacks some (the lent machines have no Eigen or doctest), pack them on a machine that has
# them with tools/pack_gpu_deps.sh, carry .deps/ along and name it:
# DG_DEPS_PREFIX=$PWD/.deps bench/run_gpu.sh (passed as CMAKE_PREFIX_PATH, added to the include
# path and to LD_LIBRARY_PATH). The script continues past a failing step and exits non-zero if any
# step failed; the summary is the last thing it prints.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${BUILD_DIR:-build-gpu}
results=$root/bench/results
logs=$results/logs
mkdir -p "$logs"
export PATH=/usr/local/cuda/bin:$PATH
stamp=$(date -u +%Y%m%dT%H%M%SZ)
steps=" ${STEPS:-build tests sanitize bench train} "
has() { [[ "$steps" == *" $1 "* ]]; }
declare -a summary
failed=0
step() {  # step NAME CMD...: runs CMD with its output teed to logs/NAME.log, records the outcome
  local name=$1; shift
  echo "=== $name: $*"
  local t0=$SECONDS
  "$@" 2>&1 | tee "$logs/${stamp}_${name}.log"
  local rc=${PIPESTATUS[0]}
  summary+=("$(printf '%-34s rc=%-3s %4ss' "$name" "$rc" "$((SECONDS - t0))")")
  [ "$rc" -eq 0 ] || failed=1
  return "$rc"
}

# Device facts for the record (the benchmarks' JSON has the CUDA-side ones).
{
  echo "date_utc: $stamp"
  echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)"
  nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,clocks.mem,power.draw,temperature.gpu \
    --format=csv 2>&1 || echo "nvidia-smi not available"
  nvcc --version 2>&1 | tail -2
} | tee "$logs/${stamp}_device.txt"
sm_clock=$(nvidia-smi --query-gpu=clocks.sm --format=csv,noheader,nounits 2>/dev/null | head -1 | tr -d ' ')
[ -n "$sm_clock" ] && export DG_BENCH_SM_CLOCK_MHZ=$sm_clock

cmake_args=(-S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDG_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="90-real;90-virtual"
            -DDG_NATIVE=ON)
if [ -n "${DG_DEPS_PREFIX:-}" ]; then
  cmake_args+=(-DCMAKE_PREFIX_PATH="$DG_DEPS_PREFIX" -DCMAKE_CXX_FLAGS="-I$DG_DEPS_PREFIX/include"
               -DCMAKE_CUDA_FLAGS="-I$DG_DEPS_PREFIX/include")
  export LD_LIBRARY_PATH="$DG_DEPS_PREFIX/lib:${LD_LIBRARY_PATH:-}"
fi
if has build; then
  if ! step configure cmake "${cmake_args[@]}"; then
    echo "configure failed: see the missing package above (DG_DEPS_PREFIX, header comment)"; exit 1
  fi
  step build cmake --build "$build" -j"$(nproc)" || { echo "build failed"; printf '%s\n' "${summary[@]}"; exit 1; }
fi
[ -x "$build/dg_tests" ] || { echo "no $build/dg_tests: run with the build step first"; exit 1; }

# Whole suite: CPU tests and GPU parity tests (these must not print "no GPU ... skipped" here).
if has tests; then
  step tests "$build/dg_tests"
  if grep -qi "no gpu" "$logs/${stamp}_tests.log"; then
    echo "WARNING: the test log says a GPU test was skipped: is the GPU visible?"; failed=1
  fi
  [ -f tests/test_cli.sh ] && step cli_tests bash tests/test_cli.sh "$build/divgan"
fi

if has sanitize && [ -z "${SKIP_SANITIZER:-}" ]; then
  if command -v compute-sanitizer >/dev/null; then
    step memcheck compute-sanitizer --tool memcheck --leak-check full --error-exitcode 1 "$build/dg_tests" -tc="gpu*"
    step racecheck compute-sanitizer --tool racecheck --error-exitcode 1 "$build/dg_tests" -tc="gpu*"
  else
    echo "compute-sanitizer not found: memcheck/racecheck NOT run"; summary+=("sanitizers                          NOT RUN"); failed=1
  fi
fi

# The whole training step, ours and PyTorch's side by side, plus generation throughput.
if has train; then
  step train_zdc env -u STEPS BUILD_DIR="$build" bash bench/run_train_zdc.sh
fi

# Every microbenchmark (each validates all its versions before timing; exit 1 on a failed check).
if has bench; then
  for b in "$build"/bench_*; do
    [ -x "$b" ] || continue
    step "$(basename "$b")" "$b" --out "$results" ${BENCH_ARGS:-}
  done
fi

# Collect: results stay in bench/results/ (commit them with the change they measure); copy to $OUT.
if [ -n "${OUT:-}" ]; then
  mkdir -p "$OUT/results"
  cp -r "$results"/. "$OUT/results/"
fi
echo
echo "=== summary ($stamp, $(git rev-parse --short HEAD 2>/dev/null))"
printf '%s\n' "${summary[@]}"
ls -1 "$results"/*.json 2>/dev/null | sed 's/^/  result: /'
exit $failed
