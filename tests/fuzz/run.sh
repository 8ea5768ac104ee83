#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ into build-fuzz/ and fuzzes each for a bounded time:
#   npy_npz            the numpy readers (datasets/npy.cpp, npz.cpp), from a temporary copy of the
#                      committed fixtures (tests/fixtures/*.npy, *.npz; the target adds zip64
#                      variants of the .npy ones there), dictionary tests/fuzz/npy_npz.dict
#   safetensors        the safetensors reader (engine/checkpoint.cpp)
#   checkpoint_config  checkpoint metadata: the training config (gan/trainer.cpp checkpoint_config,
#                      gan/config.cpp), integer entries, the ZDC standardizer
#   hdf5               the HDF5 reader (datasets/hdf5_io.cpp, with libhdf5)
# The last three start from a temporary copy of tests/fuzz/corpus/<target>/ (written by
# tests/fuzz/make_corpus.py; hdf5: by the target, see fuzz_hdf5.cpp) with the dictionary
# tests/fuzz/<target>.dict. The hdf5 target edits the shape and values of valid files rather than
# taking whole files (libhdf5 itself crashes on garbage; see fuzz_hdf5.cpp), looks for leaks at
# exit only, and suppresses libhdf5's own leaks (tests/fuzz/hdf5.lsan.supp), reporting them.
# The project's library sources are compiled once with clang++ -fsanitize=fuzzer-no-link,address,
# undefined into build-fuzz/obj/ (again only when a source or one of its headers changes) and
# archived as build-fuzz/libdg_fuzz.a; each target links what it needs from it. Nothing generated
# is kept in the source tree.
# Exits non-zero on any finding (crash, sanitizer report, unexpected exception, >10 s input,
# allocation or RSS over 2 GB) of any target; the input that triggered it is kept as
# build-fuzz/artifacts/<target>/<kind>-<sha1> and the fuzzer's output as build-fuzz/logs/<target>.log.
# Usage: tests/fuzz/run.sh [seconds [target...]]   (default 60 s per target, every target; from the
#        repository root or anywhere)
# Reproduce: build-fuzz/fuzz_<target> build-fuzz/artifacts/<target>/crash-...
set -euo pipefail
cd "$(dirname "$0")/../.."

all_targets=(npy_npz safetensors checkpoint_config hdf5)
usage() {
  echo "usage: tests/fuzz/run.sh [seconds [target...]]   (targets: ${all_targets[*]})" >&2
  exit 2
}
secs=${1:-60}
[[ "$secs" =~ ^[0-9]+$ ]] || usage
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")
for t in "${targets[@]}"; do [[ " ${all_targets[*]} " == *" $t "* ]] || usage; done

# shellcheck source=tools/apt_install.sh
. tools/apt_install.sh
APT_TAG=fuzz ensure_packages clang-14 libclang-rt-14-dev zlib1g-dev libhdf5-dev \
  libeigen3-dev nlohmann-json3-dev
CXX=clang++-14
command -v "$CXX" >/dev/null || CXX=clang++

out=build-fuzz
# -fno-sanitize-recover makes every UBSan report fatal, so it counts as a finding. The -Wno-*
# silence the GCC-only options some headers' pragmas name.
common=(-std=c++20 -g -O1 -fno-omit-frame-pointer -I. -I/usr/include/eigen3
  -I/usr/include/hdf5/serial -Wno-unknown-warning-option)
# shellcheck disable=SC2054  # the commas belong to -fsanitize=
lib_flags=("${common[@]}" -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all)
# shellcheck disable=SC2054
target_flags=("${common[@]}" -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)
libs=(-lhdf5_serial -lz -lpthread)
# compile SRC OBJ COMPILER FLAGS...: compiles when OBJ is missing or older than SRC or one of the
# project headers it included last time (from the depfile written beside it).
compile() {
  local src=$1 obj=$2 f
  shift 2
  local dep=${obj%.o}.d
  if [ -f "$obj" ] && [ -f "$dep" ]; then
    local stale=0
    # shellcheck disable=SC2013  # a depfile is words (paths), not lines
    for f in $(sed -e 's/\\$//' -e 's/^[^:]*://' "$dep"); do
      if [ ! -e "$f" ] || [ "$f" -nt "$obj" ]; then
        stale=1
        break
      fi
    done
    [ "$stale" -eq 0 ] && return 0
  fi
  mkdir -p "$(dirname "$obj")"
  echo "fuzz: compiling $src"
  "$@" -MMD -MP -MF "$dep" -c "$src" -o "$obj.tmp"
  mv "$obj.tmp" "$obj"
}

# Objects built with other flags are rebuilt.
stamp="$CXX ${lib_flags[*]}"
if [ "$(cat "$out/obj/flags" 2>/dev/null)" != "$stamp" ]; then
  rm -rf "$out/obj"
  mkdir -p "$out/obj"
  echo "$stamp" >"$out/obj/flags"
fi
# Without MPI or CUDA: the stubs stand in for the MPI world and NCCL (no loader reaches them).
mapfile -t sources < <(find base engine datasets gan -name '*.cpp' ! -name hdf5_stub.cpp \
  ! -name collective_mpi.cpp | sort)
sources+=(kernels/cuda/stub.cpp kernels/cuda/nccl_stub.cpp)
echo "fuzz: building the library (${#sources[@]} sources) with $CXX into $out/obj"
objects=()
for src in "${sources[@]}"; do
  obj=$out/obj/${src%.cpp}.o
  compile "$src" "$obj" "$CXX" "${lib_flags[@]}"
  objects+=("$obj")
done
rm -f "$out/libdg_fuzz.a"
ar rcs "$out/libdg_fuzz.a" "${objects[@]}"
for t in "${targets[@]}"; do
  echo "fuzz: building $out/fuzz_$t"
  compile "tests/fuzz/fuzz_$t.cpp" "$out/obj/tests/fuzz/fuzz_$t.o" "$CXX" "${target_flags[@]}"
  "$CXX" "${target_flags[@]}" "$out/obj/tests/fuzz/fuzz_$t.o" "$out/libdg_fuzz.a" "${libs[@]}" \
    -o "$out/fuzz_$t"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$out/logs"
failed=()
summary=()
for t in "${targets[@]}"; do
  corpus=$work/$t
  mkdir -p "$corpus" "$out/artifacts/$t"
  if [ "$t" = npy_npz ]; then
    cp tests/fixtures/*.npy tests/fixtures/*.npz "$corpus/"
    # The target adds zip64 .npz variants of the .npy seeds to this temporary corpus at startup.
    export FUZZ_NPY_NPZ_ZIP64_SEEDS=$corpus
  else
    cp tests/fuzz/corpus/"$t"/* "$corpus/"
  fi
  echo "fuzz: $t: running for ${secs}s (log: $out/logs/$t.log)"
  # hdf5: libhdf5's own leaks on its error paths are suppressed (see the file), and leaks are
  # looked for at exit only, not after each input (see fuzz_hdf5.cpp).
  lsan=${LSAN_OPTIONS:-}
  per_input_leaks=1
  if [ "$t" = hdf5 ]; then
    lsan="suppressions=tests/fuzz/hdf5.lsan.supp${lsan:+:$lsan}"
    per_input_leaks=0
  fi
  rc=0
  LSAN_OPTIONS=$lsan "$out/fuzz_$t" "$corpus" -dict="tests/fuzz/$t.dict" -max_total_time="$secs" \
    -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 -detect_leaks=$per_input_leaks \
    -artifact_prefix="$out/artifacts/$t/" -print_final_stats=1 >"$out/logs/$t.log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$out/logs/$t.log" |
    tail -n 1)
  execs=${execs:-?}
  if [ "$rc" -ne 0 ]; then
    # What was found (the first report lines), then how the log ends (stack, input, artifact).
    grep -m 8 -E 'FINDING|runtime error|ERROR:|SUMMARY:' "$out/logs/$t.log" >&2 || true
    tail -n 40 "$out/logs/$t.log" >&2
    echo "fuzz: $t: FINDING (exit $rc) after $execs executions; reproduce with:" \
      "$out/fuzz_$t $out/artifacts/$t/<file>" >&2
    failed+=("$t")
    summary+=("$t=$execs(FINDING)")
  else
    echo "fuzz: $t: $execs executions in ${secs}s, no findings"
    # LeakSanitizer's table of suppressed leaks: count, bytes, pattern.
    sup=$(awk '$3 == "libhdf5_serial.so" {print $1 " allocations, " $2 " bytes"}' \
      "$out/logs/$t.log" | tail -n 1)
    [ -n "$sup" ] && echo "fuzz: $t: libhdf5 leaked $sup on its own error paths" \
      "(suppressed by tests/fuzz/hdf5.lsan.supp)"
    summary+=("$t=$execs")
  fi
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: summary: FAILED: ${failed[*]}; executions: ${summary[*]}" >&2
  exit 1
fi
echo "fuzz: summary: no findings in ${#targets[@]} targets, ${secs}s each; executions: ${summary[*]}"
