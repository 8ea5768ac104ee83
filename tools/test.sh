#!/usr/bin/env bash
# Builds everything and runs the whole test suite: the doctest binary (CPU tests; GPU parity tests
# are skipped with a message where no GPU is present), the CLI checks and the benchmark smoke
# checks (tests/test_bench.sh), the ONNX, install and MPI checks. The last line sums them.
set -uo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh || exit 1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
build/dg_tests 2>&1 | tee "$log"
unit_rc=${PIPESTATUS[0]}
bash tests/test_cli.sh build/divgan 2>&1 | tee -a "$log"
cli_rc=${PIPESTATUS[0]}
bash tests/test_bench.sh build 2>&1 | tee -a "$log"
bench_rc=${PIPESTATUS[0]}
bash tests/test_onnx.sh build/divgan 2>&1 | tee -a "$log"
onnx_rc=${PIPESTATUS[0]}
bash tests/test_install.sh build 2>&1 | tee -a "$log"
install_rc=${PIPESTATUS[0]}
bash tests/test_mpi.sh build/divgan 2>&1 | tee -a "$log"
mpi_rc=${PIPESTATUS[0]}
# doctest: "[doctest] test cases: 87 | 87 passed | 0 failed | 0 skipped" (skipped: the GPU test
# cases where no GPU is present); CLI: "N passed, M failed".
read -r up uf us < <(grep '^\[doctest\] test cases:' "$log" |
  sed -E 's/.*\| *([0-9]+) passed \| *([0-9]+) failed \| *([0-9]+) skipped.*/\1 \2 \3/')
# CLI, bench, ONNX, install and MPI scripts: one "N passed, M failed" line each, summed.
read -r cp cf < <(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | sed -E 's/([0-9]+) passed, ([0-9]+) failed/\1 \2/' |
  awk '{p += $1; f += $2; n++} END {if (n == 5) print p, f; else print 0, 1}')
up=${up:-0}; uf=${uf:-1}; us=${us:-0}; cp=${cp:-0}; cf=${cf:-1}
echo "tests: $((up + cp)) passed, $((uf + cf)) failed, $us skipped (GPU tests without a GPU)"
[ "$unit_rc" -eq 0 ] && [ "$cli_rc" -eq 0 ] && [ "$bench_rc" -eq 0 ] && [ "$onnx_rc" -eq 0 ] && [ "$install_rc" -eq 0 ] && [ "$mpi_rc" -eq 0 ]
