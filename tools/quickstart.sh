#!/usr/bin/env bash
# The main job on built-in data: builds, then trains a small conditional GAN of the ALICE ZDC on the
# built-in ZDC-like simulator, once as a plain DC-GAN and once with the DivBal-GAN regularizer, and
# prints their channel-Wasserstein tables (a few minutes on 2 cores after the build), then writes
# the report of both (runs/quickstart/report/report.html: tables, support sizes, pictures).
# Outputs go to runs/quickstart/<regularizer>/ (checkpoint, metrics.jsonl, eval.json), replacing
# those of an earlier quick start (--overwrite); STEPS overrides the budget.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
steps="${STEPS:-300}"
common=(--data zdc --generator dcgan --sim-particles 400 --batch 32 --steps "$steps" --eval-every 100 --seed 1 --overwrite)
build/divgan train "${common[@]}" --reg none --out runs/quickstart/none
build/divgan train "${common[@]}" --reg divbal --lambda 0.1 --out runs/quickstart/divbal
# Both runs side by side: tables, support sizes and pictures in one page.
build/divgan report runs/quickstart/none runs/quickstart/divbal --out runs/quickstart/report \
  --title "Quick start: DC-GAN and DivBal-GAN on the built-in simulator"
echo
echo "Generate showers from the trained model:"
echo "  build/divgan generate --checkpoint runs/quickstart/divbal/checkpoint.safetensors --test-split --out showers.npz"
