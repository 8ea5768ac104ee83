#!/usr/bin/env bash
# The main job on built-in data: builds, trains the SDI-GAN on the 2D benchmark of the SDI-GAN
# paper and a DC-GAN baseline for comparison, and prints their evaluation tables (a few minutes
# on 2 cores). Outputs go to runs/quickstart/.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
steps="${STEPS:-4000}"
for reg in none sdi; do
  build/divgan train --data 2d --reg "$reg" --steps "$steps" --seed 1 --out "runs/quickstart/$reg"
done
