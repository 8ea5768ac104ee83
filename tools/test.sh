#!/usr/bin/env bash
# Builds everything and runs the whole test suite: the doctest binary (CPU tests; GPU parity tests
# are skipped with a message where no GPU is present) and the CLI checks. The last line sums both.
set -uo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh || exit 1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
build/dg_tests 2>&1 | tee "$log"
unit_rc=${PIPESTATUS[0]}
bash tests/test_cli.sh build/divgan 2>&1 | tee -a "$log"
cli_rc=${PIPESTATUS[0]}
# doctest: "[doctest] test cases: 87 | 87 passed | 0 failed | 0 skipped"; CLI: "N passed, M failed".
read -r up uf < <(grep '^\[doctest\] test cases:' "$log" | sed -E 's/.*\| *([0-9]+) passed \| *([0-9]+) failed.*/\1 \2/')
read -r cp cf < <(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1 | sed -E 's/([0-9]+) passed, ([0-9]+) failed/\1 \2/')
up=${up:-0}; uf=${uf:-1}; cp=${cp:-0}; cf=${cf:-1}
echo "tests: $((up + cp)) passed, $((uf + cf)) failed"
[ "$unit_rc" -eq 0 ] && [ "$cli_rc" -eq 0 ]
