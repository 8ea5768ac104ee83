#!/usr/bin/env bash
# Checks of `divgan export` (docs/design.md#onnx-export): for both ZDC generators and both input
# layouts, onnxruntime runs the exported model on the same latents and conditions as `divgan
# generate --latents` and must agree within 1e-5 in log1p space at batch 256 and batch 1; the scales
# file read by O2's rules is the checkpoint's standardizer; O2's channel sums match divgan's
# (tests/onnx/check_export.py). Bad input (a 2D checkpoint, a corrupt checkpoint, an unwritable
# output) fails in one line and writes nothing.
# onnxruntime and onnx come from PyPI into a virtual environment under the build folder; set
# DG_ONNX_PYTHON to a Python that has them to skip that step.
# Usage: bash tests/test_onnx.sh build/divgan
set -u

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
  echo "usage: $0 <path-to-divgan>" >&2
  exit 2
fi
DIVGAN="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
HERE="$(cd "$(dirname "$0")" && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/divgan_onnx.XXXXXX")"
trap 'chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT

# shellcheck source=tests/check_lib.sh
. "$HERE/check_lib.sh"

if ! "$DIVGAN" --version | grep -q "ONNX yes"; then
  # A build without libonnx (DG_ONNX=OFF, or AUTO where it is missing): export must say so.
  "$DIVGAN" train --data zdc --generator dcgan --sim-particles 20 --batch 4 --steps 1 --quiet \
    --out "$WORK/noonnx" >/dev/null 2>&1
  if "$DIVGAN" export --checkpoint "$WORK/noonnx/checkpoint.safetensors" --out "$WORK/m.onnx" \
    2>&1 | grep -q "built without ONNX support"; then
    ok "a build without ONNX refuses export in one line"
  else
    bad "a build without ONNX refuses export in one line"
  fi
  echo "skip the onnxruntime checks: divgan was built without ONNX (tools/setup.sh installs libonnx-dev)"
  finish
fi
ok "divgan was built with ONNX export"

# The versions the checks were written against (a new release must not change a result unseen).
ORT_VERSION=1.32.0
ONNX_VERSION=1.23.2
PY="${DG_ONNX_PYTHON:-}"
if [ -z "$PY" ]; then
  venv="$(dirname "$DIVGAN")/onnx-venv"
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import onnxruntime as r, onnx as o, sys
sys.exit(r.__version__ != '$ORT_VERSION' or o.__version__ != '$ONNX_VERSION')" 2>/dev/null; then
    python3 -m venv "$venv" >/dev/null &&
      "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "onnxruntime==$ORT_VERSION" "onnx==$ONNX_VERSION" "numpy<3" ||
      { bad "onnxruntime and onnx from PyPI into $venv" "pip failed (network?)"; finish; }
  fi
  PY="$venv/bin/python"
fi
echo "     onnxruntime $("$PY" -c 'import onnxruntime; print(onnxruntime.__version__)'), onnx $("$PY" -c 'import onnx; print(onnx.__version__)')"

# Two tiny ZDC checkpoints (one step on 20 simulated particles): the output is far from trained,
# but every layer is exercised with non-trivial weights and batch-norm statistics.
for arch in original dcgan; do
  if ! "$DIVGAN" train --data zdc --generator "$arch" --sim-particles 20 --batch 4 --steps 1 \
    --quiet --out "$WORK/$arch" >"$WORK/train.log" 2>&1; then
    bad "train a one-step $arch checkpoint" "$(tail -n 3 "$WORK/train.log")"
    finish
  fi
done

for arch in original dcgan; do
  for layout in two single; do
    flag=()
    what="$arch, inputs noise and conditions"
    [ "$layout" = single ] && flag=(--single-input) && what="$arch, single input"
    model="$WORK/$arch-$layout.onnx"
    if ! "$DIVGAN" export --checkpoint "$WORK/$arch/checkpoint.safetensors" --out "$model" \
      "${flag[@]}" >"$WORK/export.log" 2>&1; then
      bad "export $what" "$(cat "$WORK/export.log")"
      continue
    fi
    if "$PY" "$HERE/onnx/check_export.py" "$DIVGAN" "$WORK/$arch/checkpoint.safetensors" "$model" \
      "$WORK/$arch-${layout}_scales.txt" "$WORK/check-$arch-$layout" "${flag[@]}" >"$WORK/check.log" 2>&1; then
      ok "export $what: onnxruntime = divgan, O2 scales and channel sums"
      sed 's/^/     /' "$WORK/check.log"
    else
      bad "export $what against onnxruntime" "$(cat "$WORK/check.log")"
    fi
  done
done

# expect_refusal NAME OUTFILE -- ARGS: non-zero exit, one "divgan: error:" line, and neither OUTFILE
# nor its default scales file exists afterwards.
expect_refusal() {
  local name="$1" out="$2"
  shift 3
  "$DIVGAN" "$@" >"$WORK/stdout" 2>"$WORK/stderr"
  local rc=$? lines first
  lines=$(wc -l <"$WORK/stderr")
  first=$(head -n 1 "$WORK/stderr")
  if [ "$rc" -eq 0 ]; then
    bad "$name" "exit status 0, expected non-zero"
  elif [ "$lines" -ne 1 ] || [[ "$first" != "divgan: error:"* ]]; then
    bad "$name" "stderr is not one 'divgan: error:' line:" "$(head -c 400 "$WORK/stderr")"
  elif [ -e "$out" ] || [ -e "${out%.onnx}_scales.txt" ] ||
    [ -n "$(find "$(dirname "$out")" -name '*.tmp*' -print -quit 2>/dev/null)" ]; then
    bad "$name" "it left files behind: $(ls "$(dirname "$out")" 2>/dev/null | tr '\n' ' ')"
  else
    ok "$name: $first"
  fi
}

mkdir -p "$WORK/bad"
"$DIVGAN" train --data 2d --steps 1 --quiet --out "$WORK/2d" >/dev/null 2>&1
if [ -f "$WORK/2d/checkpoint.safetensors" ]; then
  expect_refusal "a 2D checkpoint" "$WORK/bad/m.onnx" -- \
    export --checkpoint "$WORK/2d/checkpoint.safetensors" --out "$WORK/bad/m.onnx"
  grep -q "expected a ZDC model" "$WORK/stderr" || bad "the 2D refusal names the cause" "$(cat "$WORK/stderr")"
else
  bad "train a one-step 2D checkpoint"
fi
head -c 5000 "$WORK/dcgan/checkpoint.safetensors" >"$WORK/truncated.safetensors"
expect_refusal "a truncated checkpoint" "$WORK/bad/m.onnx" -- \
  export --checkpoint "$WORK/truncated.safetensors" --out "$WORK/bad/m.onnx"
printf 'not a checkpoint' >"$WORK/garbage.safetensors"
expect_refusal "a checkpoint of garbage" "$WORK/bad/m.onnx" -- \
  export --checkpoint "$WORK/garbage.safetensors" --out "$WORK/bad/m.onnx"
expect_refusal "an output in a missing folder" "$WORK/missing/m.onnx" -- \
  export --checkpoint "$WORK/dcgan/checkpoint.safetensors" --out "$WORK/missing/m.onnx"
mkdir -p "$WORK/readonly"
chmod a-w "$WORK/readonly"
if touch "$WORK/readonly/probe" 2>/dev/null; then
  rm -f "$WORK/readonly/probe"
  echo "     (running as a user who can write a read-only folder: that check is skipped)"
else
  expect_refusal "an output in a read-only folder" "$WORK/readonly/m.onnx" -- \
    export --checkpoint "$WORK/dcgan/checkpoint.safetensors" --out "$WORK/readonly/m.onnx"
fi
# The scales file is writable but the model is not: the scales file written first is removed.
expect_refusal "a model path that cannot be written beside a writable scales path" \
  "$WORK/missing2/m.onnx" -- export --checkpoint "$WORK/dcgan/checkpoint.safetensors" \
  --out "$WORK/missing2/m.onnx" --scales "$WORK/bad/s.txt"
if [ -e "$WORK/bad/s.txt" ]; then
  bad "the scales file of a failed export is removed" "$WORK/bad/s.txt exists"
else
  ok "the scales file of a failed export is removed"
fi
# A scales file already there is put back as it was when the model cannot be written.
printf 'old scales\n' >"$WORK/bad/keep.txt"
expect_refusal "a failed export beside an existing scales file" "$WORK/missing3/m.onnx" -- \
  export --checkpoint "$WORK/dcgan/checkpoint.safetensors" --out "$WORK/missing3/m.onnx" \
  --scales "$WORK/bad/keep.txt"
if [ "$(cat "$WORK/bad/keep.txt")" = "old scales" ]; then
  ok "the existing scales file is left as it was"
else
  bad "the existing scales file is left as it was" "$(head -n 3 "$WORK/bad/keep.txt")"
fi
expect_refusal "generate --channels-out in a missing folder (checked before generating)" \
  "$WORK/bad/g.onnx" -- generate --checkpoint "$WORK/dcgan/checkpoint.safetensors" --test-split \
  --out "$WORK/bad/g.npy" --channels-out "$WORK/missing4/c.npy"
[ -e "$WORK/bad/g.npy" ] && bad "nothing generated when --channels-out is bad" "$WORK/bad/g.npy exists"
expect_refusal "an output not named .onnx" "$WORK/bad/m.bin" -- \
  export --checkpoint "$WORK/dcgan/checkpoint.safetensors" --out "$WORK/bad/m.bin"

finish
