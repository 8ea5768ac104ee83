#!/usr/bin/env bash
# Smoke checks of the benchmarks on the CPU (the GPU figures come from bench/run_gpu.sh): a tiny
# bench/train_zdc run writes JSON with every field bench/README.md lists, bad options fail with a
# one-line message, the training split exports for the PyTorch side, and (where the Python has
# torch) the PyTorch reference runs every regularizer on it and compare.py pairs the two files.
# Usage: bash tests/test_bench.sh build
set -u
if [ $# -ne 1 ] || [ ! -x "$1/train_zdc" ]; then
  echo "usage: $0 <build-dir with train_zdc>" >&2
  exit 2
fi
TZ_BIN="$(cd "$1" && pwd)/train_zdc"
SRC="$(cd "$(dirname "$0")/.." && pwd)"
PY=${PYTHON:-/usr/bin/python3}
WORK="$(mktemp -d "${TMPDIR:-/tmp}/divgan_bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; shift; for l in "$@"; do echo "     $l"; done; }

small=(--device cpu --steps 1 --warmup 1 --sim-particles 30)
if "$TZ_BIN" "${small[@]}" --batches 4 --regs none,ds,divbal --tips sparsity,all --precisions fp32,tf32 --gen-batch 8 \
  --gen-reps 1 --ws-showers 16 --out "$WORK/ours.json" >"$WORK/out" 2>&1; then
  if python3 - "$WORK/ours.json" <<'PY'
import json, math, sys
j = json.load(open(sys.argv[1]))
assert j["benchmark"] == "train_zdc" and j["implementation"] == "divgan"
for k in ("device", "commit", "config", "results", "generation"):
    assert k in j, k
rs = j["results"]
assert len(rs) == 10, len(rs)  # (3 regularizers + 2 tips) x 2 precisions
assert [r["tip"] for r in rs[:5]] == [None, None, None, "sparsity", "all"], [r["tip"] for r in rs]
need = ("regularizer", "batch", "mode", "precision", "step_ms_median", "step_ms_p10", "step_ms_p90",
        "samples_per_s", "peak_device_bytes", "kernel_launches_per_step", "reg_extra_ms", "reg_share",
        "fused_kernel_ms", "fused_kernel_share", "losses_last")
for r in rs:
    for k in need:
        assert k in r, k
    assert r["step_ms_median"] > 0 and math.isfinite(r["losses_last"]["d"])
    assert (r["fused_kernel_ms"] is None) == (r["regularizer"] in ("none", "ms", "divco"))
    assert (r["reg_share"] is None) == (r["regularizer"] == "none" and r["tip"] is None)
gen = j["generation"]["results"]
assert [g["precision"] for g in gen] == ["fp32", "tf32", "bf16"]
assert all(g["showers_per_s"] > 0 for g in gen)
assert "mean_channel_ws_vs_fp32" in gen[2] and gen[2]["emulated"] is True
PY
  then ok "train_zdc on the CPU writes the documented JSON"; else bad "train_zdc JSON fields" "$(tail -3 "$WORK/out")"; fi
else
  bad "train_zdc on the CPU" "$(tail -5 "$WORK/out")"
fi

expect_fail() {  # NAME PATTERN ARGS...: exit 2 and a message containing PATTERN
  local name=$1 pat=$2
  shift 2
  "$TZ_BIN" "$@" >"$WORK/o" 2>"$WORK/e"
  local rc=$?
  if [ $rc -ne 0 ] && grep -q "$pat" "$WORK/e"; then ok "$name"; else bad "$name" "rc=$rc" "$(head -2 "$WORK/e")"; fi
}
expect_fail "graph mode refused on the CPU" "needs the GPU" "${small[@]}" --batches 4 --modes graph --no-generation
expect_fail "unknown tip" "unknown tip 'dropout'" "${small[@]}" --batches 4 --tips dropout --no-generation
expect_fail "bad batch list" "not a positive integer" "${small[@]}" --batches 4,x --no-generation
expect_fail "unknown regularizer" "unknown regularizer" "${small[@]}" --batches 4 --regs none,foo --no-generation
expect_fail "bf16 training refused" "not supported for training" "${small[@]}" --batches 4 --regs none --precisions bf16 --no-generation

if "$TZ_BIN" --export-data "$WORK/train.npz" --sim-particles 30 >"$WORK/o" 2>&1 && [ -s "$WORK/train.npz" ]; then
  ok "train_zdc --export-data"
else
  bad "train_zdc --export-data" "$(tail -2 "$WORK/o")"
fi

if "$PY" -c "import torch, numpy" 2>/dev/null; then
  if "$PY" "$SRC/bench/reference/zdc_torch_step.py" >"$WORK/ref_self" 2>&1; then
    ok "PyTorch reference self-check (parameter counts, shapes, regularizer values)"
  else
    bad "PyTorch reference self-check" "$(tail -3 "$WORK/ref_self")"
  fi
  if "$PY" "$SRC/bench/reference/train_zdc_torch.py" --data "$WORK/train.npz" --device cpu \
    --modes eager,graph,compile --regs none,ms,ds,divco,sdi,divbal --batches 4 --warmup 1 --steps 1 \
    --out "$WORK/torch.json" >"$WORK/ref" 2>&1 &&
    "$PY" "$SRC/bench/reference/compare.py" "$WORK/ours.json" "$WORK/torch.json" >"$WORK/cmp" 2>&1 &&
    grep -q "eager / ours" "$WORK/cmp"; then
    ok "PyTorch reference: every regularizer on the exported data, compared side by side"
  else
    bad "PyTorch reference run" "$(tail -4 "$WORK/ref")" "$(tail -2 "$WORK/cmp" 2>/dev/null)"
  fi
else
  echo "skip PyTorch reference: $PY has no torch (Debian: apt-get install python3-torch)"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
