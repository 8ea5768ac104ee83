#!/usr/bin/env bash
# The collapse side study of the 2D benchmark (README, "The paper's collapse"): DC-GAN and every
# regularizer at the lambda the main study selected, in settings that let a conditional generator
# ignore its noise: a 1- or 2-d latent, twice the training, and the condition at every layer of the
# generator. One study2d per setting under OUT (the main study's budget otherwise; 5 seeds for the
# 1-d latent, 3 for the others, to fit the whole side study in about an hour on 2 cores).
#
# Usage: tools/study2d_collapse.sh MAIN_STUDY_DIR OUT_DIR [JOBS]
#   MAIN_STUDY_DIR: a finished `divgan study2d` folder (its study.json gives the lambdas)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
divgan="${DIVGAN:-$here/build/divgan}"
[ $# -ge 2 ] || { sed -n '2,9p' "$0" >&2; exit 2; }
main="$1" out="$2" jobs="${3:-2}"
[ -f "$main/study.json" ] || { echo "study2d_collapse: error: $main/study.json: not found (run divgan study2d first)" >&2; exit 1; }
# The regularizers, then --lambdas-for reg=<selected lambda> for each the main study selected one for.
mapfile -t args < <(python3 - "$main/study.json" <<'PY'
import json, sys
best = json.load(open(sys.argv[1]))["best"]
regs = ["none"] + [r for r in best if r != "none"]
print(",".join(regs))
for reg in regs[1:]:
    print(f"--lambdas-for={reg}={best[reg]['lambda']:.3g}")
PY
)
regs="${args[0]}"
grids=("${args[@]:1}")
mkdir -p "$out"
common=(study2d --regs "$regs" "${grids[@]}" --eval-every 1000 --jobs "$jobs" --report tables)
for setting in latent1 latent1_every_layer latent2 long; do
  case $setting in
    latent1) extra=(--latent 1 --seeds 5) ;;
    latent1_every_layer) extra=(--latent 1 --condition-every-layer --seeds 3) ;;
    latent2) extra=(--latent 2 --seeds 3) ;;
    long) extra=(--steps 12000 --seeds 3) ;;
  esac
  echo "== $setting: ${extra[*]}" >&2
  "$divgan" "${common[@]}" "${extra[@]}" --out "$out/$setting" >"$out/$setting.log" 2>&1 \
    || { echo "study2d_collapse: error: the $setting study failed (see $out/$setting.log)" >&2; exit 1; }
done
echo "wrote $out/{latent1,latent1_every_layer,latent2,long}/table.md" >&2
