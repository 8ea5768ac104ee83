#!/usr/bin/env bash
# Builds everything and runs the whole test suite: the doctest binary (CPU tests; GPU parity tests
# are skipped with a message where no GPU is present) and the CLI checks.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
build/dg_tests
bash tests/test_cli.sh build/divgan
