#!/usr/bin/env bash
# The main job on built-in data: builds, then trains a DC-GAN baseline and the two selective
# regularizers (DivBal-GAN, SDI-GAN) on the 2D benchmark of the SDI-GAN paper, each at the lambda
# the README's study selected, and prints their evaluation tables (about a minute on 2 cores).
# Outputs go to runs/quickstart/<regularizer>/.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
steps="${STEPS:-3000}"
build/divgan train --data 2d --reg none --steps "$steps" --seed 1 --out runs/quickstart/none
build/divgan train --data 2d --reg divbal --lambda 0.0001 --steps "$steps" --seed 1 --out runs/quickstart/divbal
build/divgan train --data 2d --reg sdi --lambda 0.00001 --steps "$steps" --seed 1 --out runs/quickstart/sdi
