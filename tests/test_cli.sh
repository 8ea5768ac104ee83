#!/usr/bin/env bash
# Checks of the divgan command line: bad input fails with a non-zero exit and a one-line
# "divgan: error:" message and leaves no checkpoint behind; a short train / eval / resume round
# trip writes its files; --help works everywhere.
# Usage: bash tests/test_cli.sh build/divgan
set -u

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
  echo "usage: $0 <path-to-divgan>" >&2
  exit 2
fi
DIVGAN="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
FIX="$(cd "$(dirname "$0")" && pwd)/fixtures"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/divgan_cli.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 2

# shellcheck source=tests/check_lib.sh
. "$FIX/../check_lib.sh"

# The output directory of a failed command holds no checkpoint, complete or partial.
no_checkpoint_in() {
  [ ! -d "$1" ] && return 0
  [ -z "$(find "$1" -name 'checkpoint.safetensors*' -print -quit)" ]
}

# expect_error NAME OUTDIR -- ARGS...: non-zero exit, stderr is exactly one line starting with
# "divgan: error:", and OUTDIR (if not "-") has no checkpoint.
expect_error() {
  local name="$1" outdir="$2"
  shift 3
  "$DIVGAN" "$@" >"$WORK/stdout" 2>"$WORK/stderr"
  local rc=$?
  local lines first
  lines=$(wc -l <"$WORK/stderr")
  first=$(head -n 1 "$WORK/stderr")
  if [ "$rc" -eq 0 ]; then
    bad "$name" "exit status 0, expected non-zero"
  elif [ "$lines" -ne 1 ] || [[ "$first" != "divgan: error:"* ]]; then
    bad "$name" "exit $rc but stderr is not one 'divgan: error:' line ($lines lines):" "$(head -c 400 "$WORK/stderr")"
  elif [ "$outdir" != "-" ] && ! no_checkpoint_in "$outdir"; then
    bad "$name" "a checkpoint was left in $outdir"
  else
    ok "$name (exit $rc: ${first:0:100})"
  fi
}

# ---- bad input ---------------------------------------------------------------------------------
expect_error "no subcommand" - --
expect_error "unknown subcommand" - -- frobnicate
expect_error "unknown flag" out_flag -- train --steps 5 --bogus-flag --out out_flag
expect_error "--lambda -1" out_lambda -- train --reg sdi --lambda -1 --steps 5 --out out_lambda
expect_error "--lambda without a regularizer" out_lambda0 -- train --lambda 0.5 --steps 5 --out out_lambda0
expect_error "--batch 0" out_batch -- train --batch 0 --steps 5 --out out_batch
expect_error "--steps 0" out_steps -- train --steps 0 --out out_steps
expect_error "--steps not a number" out_steps2 -- train --steps many --out out_steps2
expect_error "unknown regularizer" out_reg -- train --reg bogus --steps 5 --out out_reg
expect_error "train without --out" - -- train --steps 5
expect_error "--out under /proc" - -- train --steps 5 --quiet --out /proc/divgan_cli_test
echo "plain file" >afile
expect_error "--out under a regular file" - -- train --steps 5 --quiet --out afile/sub
expect_error "--out is a regular file" - -- train --steps 5 --quiet --out afile
# Permission bits do not stop root, so this one only means something for other users.
if [ "$(id -u)" -ne 0 ]; then
  mkdir -p readonly && chmod 555 readonly
  expect_error "--out in a read-only folder" - -- train --steps 5 --quiet --out readonly/sub
  expect_error "--out is a read-only folder" readonly -- train --steps 5 --quiet --out readonly
  chmod 755 readonly
fi
expect_error "eval of a missing file" - -- eval --checkpoint "$WORK/does_not_exist.safetensors"
head -c 4096 /dev/urandom >garbage.safetensors
expect_error "eval of random bytes" - -- eval --checkpoint garbage.safetensors
printf 'not a checkpoint\n' >text.safetensors
expect_error "eval of a text file" - -- eval --checkpoint text.safetensors
: >empty.safetensors
expect_error "eval of an empty file" - -- eval --checkpoint empty.safetensors
expect_error "eval without --checkpoint" - -- eval
expect_error "study2d with a bad lambda list" out_study -- study2d --lambdas 0.1,abc --steps 5 --out out_study
expect_error "study2d with an unknown regularizer" out_study2 -- study2d --regs sdi,bogus --steps 5 --out out_study2
expect_error "study2d with a reversed lambda grid" out_study3 -- study2d --lambdas 1e-3:1e-6:4 --steps 5 --out out_study3
expect_error "study2d --lambdas-for an unknown regularizer" out_study4 -- study2d --lambdas-for bogus=0.1 --steps 5 --out out_study4
expect_error "study2d --lambdas-for a regularizer not in --regs" out_study5 -- study2d --regs none,ms --lambdas-for sdi=0.1 --steps 5 --out out_study5
expect_error "study2d --lambdas-for without a grid" out_study6 -- study2d --lambdas-for sdi --steps 5 --out out_study6
expect_error "study2d with a lambda twice" out_study7 -- study2d --lambdas 0.1,0.1 --steps 5 --out out_study7
expect_error "study2d with a grid finer than its rounding" out_study8 -- study2d --lambdas 1:2:100 --steps 5 --out out_study8
# A small study: a per-regularizer log grid, the paired table against DC-GAN (at the end and
# stopped early on the validation draw), the grids recorded.
if "$DIVGAN" study2d --steps 3 --batch 16 --seeds 2 --regs none,sdi,ms --lambdas 0.5 --lambdas-for sdi=1e-4:1e-2:3 \
     --eval-every 1 --report none --out "$WORK/s2" >"$WORK/s2.out" 2>"$WORK/s2.err" \
   && grep -q "^Stopped early" "$WORK/s2.out" \
   && grep -q "| SDI-GAN | 0.001 |" "$WORK/s2.out" && grep -q "| MS-GAN | 0.5 |" "$WORK/s2.out" \
   && grep -q "Δ Wasserstein spread 0" "$WORK/s2.out" && [ -f "$WORK/s2/sdi/lambda_0.01/seed_2/eval.json" ] \
   && /usr/bin/env python3 -c "import json,sys; s=json.load(open(sys.argv[1])); assert s['lambdas']=={'ms':[0.5],'sdi':[1e-4,1e-3,1e-2]}, s['lambdas']; assert 'against_dcgan' in s['best']['sdi']; assert len(s['best']['sdi']['early_stopped']['steps'])==2" "$WORK/s2/study.json"; then
  ok "study2d takes a per-regularizer grid and compares with DC-GAN by seed"
else
  bad "study2d takes a per-regularizer grid and compares with DC-GAN by seed" "$(tail -n 3 "$WORK/s2.err")" "$(tail -n 5 "$WORK/s2.out")"
fi

# A study spread over shards (a job array; MPI ranks through the launcher's environment), then
# merged: the same table as one process; --merge refuses while a shard has not run.
s3=(study2d --steps 3 --batch 16 --seeds 2 --regs none,sdi,ms --lambdas 0.5 --lambdas-for sdi=1e-4:1e-2:3 --eval-every 1 --report none)
"$DIVGAN" "${s3[@]}" --shard 0/3 --out "$WORK/s3" >"$WORK/s3.out" 2>&1
expect_error "study2d --merge with a shard missing" - -- "${s3[@]}" --merge --out "$WORK/s3"
if "$DIVGAN" "${s3[@]}" --shard 1/3 --out "$WORK/s3" >>"$WORK/s3.out" 2>&1 \
   && OMPI_COMM_WORLD_RANK=2 OMPI_COMM_WORLD_SIZE=3 "$DIVGAN" "${s3[@]}" --out "$WORK/s3" >>"$WORK/s3.out" 2>&1 \
   && grep -q "shard 2/3: 3 of its 3 runs finished" "$WORK/s3.out" && [ ! -e "$WORK/s3/table.md" ] \
   && "$DIVGAN" "${s3[@]}" --merge --out "$WORK/s3" >>"$WORK/s3.out" 2>&1 \
   && [ "$(grep -c "^\[[0-9]*/10\] reused" "$WORK/s3.out")" = 10 ] \
   && cmp -s "$WORK/s3/table.md" "$WORK/s2/table.md"; then
  ok "study2d in 3 shards (one through MPI's environment) merges to the one-process table"
else
  bad "study2d in 3 shards (one through MPI's environment) merges to the one-process table" "$(tail -n 5 "$WORK/s3.out")"
fi

# ---- a short run, its evaluation and a resume ----------------------------------------------------
run="$WORK/run"
if "$DIVGAN" train --steps 50 --quiet --out "$run" >"$WORK/train.out" 2>"$WORK/train.err"; then
  ok "train --steps 50"
else
  bad "train --steps 50" "$(tail -n 3 "$WORK/train.err")"
fi
for f in run.json metrics.jsonl checkpoint.safetensors eval.json; do
  if [ -s "$run/$f" ]; then ok "train wrote $f"; else bad "train wrote $f" "missing or empty"; fi
done
if [ -z "$(find "$run" -name '*.tmp.*' -print -quit)" ]; then
  ok "no temporary files left"
else
  bad "no temporary files left" "$(find "$run" -name '*.tmp.*')"
fi
if tail -n 1 "$run/metrics.jsonl" 2>/dev/null | grep -q '"step":50[,}]'; then
  ok "metrics.jsonl ends at step 50"
else
  bad "metrics.jsonl ends at step 50" "$(tail -n 1 "$run/metrics.jsonl" 2>&1)"
fi

if "$DIVGAN" eval --checkpoint "$run/checkpoint.safetensors" --json "$WORK/x.json" >"$WORK/eval.out" 2>"$WORK/eval.err"; then
  ok "eval --checkpoint --json"
else
  bad "eval --checkpoint --json" "$(tail -n 3 "$WORK/eval.err")"
fi
if [ -s "$WORK/x.json" ] && grep -Eq '^  "steps": 50,?$' "$WORK/x.json" && grep -q '"wasserstein_spread0"' "$WORK/x.json"; then
  ok "eval JSON has the step count and the figures"
else
  bad "eval JSON has the step count and the figures" "$(head -c 400 "$WORK/x.json" 2>&1)"
fi
if grep -q 'Wasserstein spread 0' "$WORK/eval.out"; then ok "eval prints the table"; else bad "eval prints the table"; fi
expect_error "eval --json into a missing folder" - -- eval --checkpoint "$run/checkpoint.safetensors" --json "$WORK/nodir/x.json"

if "$DIVGAN" train --resume --steps 80 --quiet --out "$run" >"$WORK/resume.out" 2>"$WORK/resume.err"; then
  ok "train --resume --steps 80"
else
  bad "train --resume --steps 80" "$(tail -n 3 "$WORK/resume.err")"
fi
if grep -Eq '^  "steps": 80,?$' "$run/eval.json"; then
  ok "resume reached 80 steps (eval.json)"
else
  bad "resume reached 80 steps (eval.json)" "$(grep '"steps"' "$run/eval.json" 2>&1)"
fi
if [ "$(grep -c '"step":50[,}]' "$run/metrics.jsonl")" -eq 1 ] && tail -n 1 "$run/metrics.jsonl" | grep -q '"step":80[,}]'; then
  ok "metrics.jsonl was appended to, not restarted"
else
  bad "metrics.jsonl was appended to, not restarted" "$(cat "$run/metrics.jsonl")"
fi

# A run killed at a random moment while checkpointing every step leaves either no checkpoint or a
# complete one (writes go to a temporary file renamed into place).
killed="$WORK/killed"
# The subshell keeps the shell's "Killed" notice out of the report.
(timeout -s KILL 2 "$DIVGAN" train --steps 1000000 --checkpoint-every 1 --quiet --out "$killed" >/dev/null 2>&1; :) 2>/dev/null
if [ ! -e "$killed/checkpoint.safetensors" ]; then
  ok "killed run left no checkpoint (it had not written one yet)"
elif "$DIVGAN" eval --checkpoint "$killed/checkpoint.safetensors" >/dev/null 2>"$WORK/killed.err"; then
  ok "killed run left a complete checkpoint"
else
  bad "killed run left a complete checkpoint" "$(cat "$WORK/killed.err")"
fi

# ---- ZDC: train, resume, eval, generate, bad input ----------------------------------------------
zrun="$WORK/zdc"
zargs=(--data zdc --generator dcgan --sim-particles 40 --batch 8 --checkpoint-every 2 --quiet --out "$zrun")
if "$DIVGAN" train "${zargs[@]}" --reg divbal --steps 4 --eval-every 2 >"$WORK/z.out" 2>"$WORK/z.err" \
   && [ -f "$zrun/checkpoint.safetensors" ] && grep -q '"ws_mean"' "$zrun/eval.json" \
   && grep -q '"eval"' "$zrun/metrics.jsonl" && grep -q "| DivBal-GAN |" "$WORK/z.out"; then
  ok "zdc train writes checkpoint, eval.json, periodic evaluation and the channel table"
else
  bad "zdc train writes checkpoint, eval.json, periodic evaluation and the channel table" "$(tail -n 3 "$WORK/z.err")"
fi
if "$DIVGAN" train "${zargs[@]}" --reg divbal --steps 6 --resume >/dev/null 2>"$WORK/z.err" \
   && grep -q '"steps": 6' "$zrun/eval.json"; then
  ok "zdc --resume extends the run to 6 steps"
else
  bad "zdc --resume extends the run to 6 steps" "$(tail -n 3 "$WORK/z.err")"
fi
if "$DIVGAN" eval --checkpoint "$zrun/checkpoint.safetensors" --regenerations 2 --json "$WORK/ze.json" >"$WORK/ze.out" 2>&1 \
   && grep -q "Mean WS" "$WORK/ze.out" && grep -q '"ws_mean"' "$WORK/ze.json"; then
  ok "zdc eval of a checkpoint prints the table and writes JSON"
else
  bad "zdc eval of a checkpoint prints the table and writes JSON" "$(tail -n 3 "$WORK/ze.out")"
fi
for ext in npz h5 npy; do
  if "$DIVGAN" generate --checkpoint "$zrun/checkpoint.safetensors" --test-split --regenerations 2 \
       --out "$WORK/gen.$ext" --real-out "$WORK/real.$ext" >"$WORK/zg.out" 2>&1 \
     && "$DIVGAN" eval --showers "$WORK/gen.$ext" --real "$WORK/real.$ext" >"$WORK/zs.out" 2>&1 \
     && grep -q "Mean WS" "$WORK/zs.out"; then
    ok "zdc generate --test-split to .$ext, then eval --showers"
  elif grep -q "built without HDF5" "$WORK/zg.out"; then
    ok "zdc generate to .$ext: this build has no HDF5 and says so"
  else
    bad "zdc generate --test-split to .$ext, then eval --showers" "$(tail -n 3 "$WORK/zg.out")" "$(tail -n 3 "$WORK/zs.out")"
  fi
done
# ---- support size (birthday paradox) ----
if "$DIVGAN" support --real "$WORK/real.npz" --showers "$WORK/gen.npz" --trials 100 --quiet \
     --json "$WORK/sup.json" >"$WORK/sup.out" 2>&1 \
   && grep -q "| generated | 88 |" "$WORK/sup.out" && grep -q '"thresholds"' "$WORK/sup.json" \
   && grep -q '"p_duplicate"' "$WORK/sup.json"; then
  ok "support of real vs generated files prints the table and writes JSON"
else
  bad "support of real vs generated files prints the table and writes JSON" "$(tail -n 5 "$WORK/sup.out")"
fi
if "$DIVGAN" support --checkpoint "$zrun/checkpoint.safetensors" --criteria js_x,js_y,total,ssim \
     --trials 50 --sizes 2:20 --quiet >"$WORK/sup2.out" 2>&1 \
   && grep -q "SSIM >= " "$WORK/sup2.out" && grep -q "test split of simulator" "$WORK/sup2.out"; then
  ok "support of a checkpoint (test split against generated) with SSIM"
else
  bad "support of a checkpoint (test split against generated) with SSIM" "$(tail -n 5 "$WORK/sup2.out")"
fi
expect_error "support without real showers" - -- support --showers "$WORK/gen.npz"
expect_error "support of showers of the wrong shape" - -- support --real "$WORK/real.npz" --showers "$FIX/particles9_f8.npy" --json "$WORK/bad_sup.json"
grep -q "particles9_f8.npy: showers have shape (3, 9)" "$WORK/stderr" || bad "support names the file and shape" "$(cat "$WORK/stderr")"
expect_error "support with alpha outside (0, 1)" - -- support --real "$WORK/real.npz" --showers "$WORK/gen.npz" --alpha 1.5 --json "$WORK/bad_sup.json"
grep -q "alpha is 1.5; expected 0 < alpha < 1" "$WORK/stderr" || bad "support names alpha" "$(cat "$WORK/stderr")"
expect_error "support with a size grid beyond the data" - -- support --real "$WORK/real.npz" --showers "$WORK/gen.npz" --sizes 2:100000:1000 --json "$WORK/bad_sup.json"
grep -q "goes up to 99002 but the real pool holds only" "$WORK/stderr" || bad "support names the grid and the pool" "$(cat "$WORK/stderr")"
expect_error "support with an unknown criterion" - -- support --real "$WORK/real.npz" --showers "$WORK/gen.npz" --criteria js_x,energy
expect_error "support with a malformed size grid" - -- support --real "$WORK/real.npz" --showers "$WORK/gen.npz" --sizes 10:2
if [ ! -e "$WORK/bad_sup.json" ] && [ -z "$(find "$WORK" -maxdepth 1 -name 'bad_sup.json*' -print -quit)" ]; then
  ok "a failed support writes no JSON, complete or partial"
else
  bad "a failed support writes no JSON, complete or partial"
fi

# BF16 generation (CPU emulation of the tensor-core arithmetic): same shape, close to FP32.
NUMPY_PY=""
for py in python3 /usr/bin/python3; do
  if "$py" -c "import numpy" 2>/dev/null; then NUMPY_PY=$py; break; fi
done
bf16_check() {  # compares the two .npy files with numpy, or (without numpy) by size and bytes
  if [ -z "$NUMPY_PY" ]; then
    [ "$(stat -c %s "$1")" = "$(stat -c %s "$2")" ] && ! cmp -s "$1" "$2"
    return
  fi
  "$NUMPY_PY" - "$1" "$2" <<'PY'
import sys
import numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
assert a.shape == b.shape and np.isfinite(a).all()
assert not np.array_equal(a, b), "bf16 generation identical to fp32"
rel = abs(a.sum() - b.sum()) / max(abs(b.sum()), 1.0)
assert rel < 0.05, rel
PY
}
if "$DIVGAN" generate --checkpoint "$zrun/checkpoint.safetensors" --test-split --precision bf16 \
     --out "$WORK/gen_bf16.npy" >"$WORK/zb.out" 2>&1 \
   && "$DIVGAN" generate --checkpoint "$zrun/checkpoint.safetensors" --test-split --no-fold \
     --out "$WORK/gen_fp32.npy" >>"$WORK/zb.out" 2>&1 \
   && bf16_check "$WORK/gen_bf16.npy" "$WORK/gen_fp32.npy" >>"$WORK/zb.out" 2>&1; then
  ok "zdc generate --precision bf16 (BN folded) is finite, differs from fp32 --no-fold and stays close"
else
  bad "zdc generate --precision bf16" "$(tail -n 3 "$WORK/zb.out")"
fi
# generate --latents: the given rows are the generator's latents (same file, same showers; the two
# regenerations' latents swapped, the two halves swapped, whatever the batch), a wrong shape is
# refused naming the file and the expected shape, and --seed with it is refused.
if [ -n "$NUMPY_PY" ]; then
  if "$NUMPY_PY" - "$DIVGAN" "$zrun/checkpoint.safetensors" "$WORK" >"$WORK/zl.out" 2>&1 <<'PY'
import subprocess, sys
import numpy as np
divgan, ckpt, work = sys.argv[1:]
def gen(out, *extra):
    subprocess.run([divgan, "generate", "--checkpoint", ckpt, "--test-split", "--out", out, *extra],
                   check=True, capture_output=True)
    return np.load(out)
n = gen(f"{work}/zl_seed.npy").shape[0]
z = np.random.default_rng(3).standard_normal((2 * n, 10)).astype(np.float32)
np.save(f"{work}/zl.npy", z)
np.save(f"{work}/zl_swapped.npy", np.concatenate([z[n:], z[:n]]))
np.save(f"{work}/zl_bad.npy", z[:4])
a = gen(f"{work}/zl_a.npy", "--regenerations", "2", "--latents", f"{work}/zl.npy", "--batch", "3")
b = gen(f"{work}/zl_b.npy", "--regenerations", "2", "--latents", f"{work}/zl.npy", "--batch", "7")
c = gen(f"{work}/zl_c.npy", "--regenerations", "2", "--latents", f"{work}/zl_swapped.npy")
assert np.array_equal(a, b)
assert np.array_equal(c[:n], a[n:]) and np.array_equal(c[n:], a[:n])
assert not np.array_equal(a[:n], a[n:]), "the latents change nothing"
PY
  then
    ok "generate --latents uses the given rows as the latents, row by row"
  else
    bad "generate --latents uses the given rows as the latents, row by row" "$(tail -n 3 "$WORK/zl.out")"
  fi
  expect_error "generate --latents of the wrong shape" - -- generate --checkpoint "$zrun/checkpoint.safetensors" --test-split --latents "$WORK/zl_bad.npy" --out "$WORK/x.npy"
  grep -q "zl_bad.npy: latents of shape (4, 10); expected ([0-9]*, 10) for" "$WORK/stderr" \
    || bad "generate --latents of the wrong shape: the message names the file and the shape" "$(cat "$WORK/stderr")"
  expect_error "generate --latents with --seed" - -- generate --checkpoint "$zrun/checkpoint.safetensors" --test-split --latents "$WORK/zl.npy" --seed 2 --out "$WORK/x.npy"
fi
# generate --shard i/n: three shards in order are the one-process output bit for bit (showers,
# conditions and channel sums), whatever batch boundaries they fall on; under an MPI launcher's
# environment each rank writes <stem>.shard-<i>-of-<n>; bad shards are refused.
if [ -n "$NUMPY_PY" ]; then
  if "$NUMPY_PY" - "$DIVGAN" "$zrun/checkpoint.safetensors" "$WORK" >"$WORK/zs.out" 2>&1 <<'PY'
import os, subprocess, sys
import numpy as np
divgan, ckpt, work = sys.argv[1:]
common = ["generate", "--checkpoint", ckpt, "--test-split", "--regenerations", "3", "--batch", "7"]
def gen(out, *extra, env=None):
    subprocess.run([divgan, *common, "--out", out, "--channels-out", out[:-4] + "_ch.npy", *extra],
                   check=True, capture_output=True, env=env)
whole = f"{work}/zs_whole.npy"
gen(whole)
for i in range(3):
    gen(f"{work}/zs_{i}.npy", "--shard", f"{i}/3")
for i in range(3):
    env = dict(os.environ, OMPI_COMM_WORLD_RANK=str(i), OMPI_COMM_WORLD_SIZE="3")
    gen(f"{work}/zm.npy", env=env)
def same(files, ref):
    a = np.concatenate([np.load(f) for f in files])
    b = np.load(ref)
    assert a.dtype == b.dtype and np.array_equal(a.view(np.uint8), b.view(np.uint8)), ref
shards = [f"{work}/zs_{i}" for i in range(3)]
ranks = [f"{work}/zm.shard-{i}-of-3" for i in range(3)]
for parts in (shards, ranks):
    same([p + ".npy" for p in parts], whole)
    same([p + ".particles.npy" for p in parts], f"{work}/zs_whole.particles.npy")
same([p + "_ch.npy" for p in shards], f"{work}/zs_whole_ch.npy")
same([f"{work}/zm_ch.shard-{i}-of-3.npy" for i in range(3)], f"{work}/zs_whole_ch.npy")
assert not os.path.exists(f"{work}/zm.npy"), "a rank wrote the unsharded name"
PY
  then
    ok "generate --shard and MPI ranks: the shards in order are the one-process output, bit for bit"
  else
    bad "generate --shard and MPI ranks: the shards in order are the one-process output, bit for bit" "$(tail -n 3 "$WORK/zs.out")"
  fi
fi
PMIX_RANK=1 expect_error "generate under a PMIx rank without a size" - -- generate --checkpoint "$zrun/checkpoint.safetensors" --test-split --out "$WORK/x.npy"
grep -q "sets PMIX_RANK but not PMIX_SIZE" "$WORK/stderr" \
  || bad "generate under a PMIx rank without a size: the message asks for --shard" "$(cat "$WORK/stderr")"
expect_error "generate --shard 3/3" - -- generate --checkpoint "$zrun/checkpoint.safetensors" --test-split --shard 3/3 --out "$WORK/x.npy"
expect_error "generate --shard with more shards than batches" - -- generate --checkpoint "$zrun/checkpoint.safetensors" --test-split --shard 0/2 --batch 100000 --out "$WORK/x.npy"
expect_error "generate --shard with --real-out" - -- generate --checkpoint "$zrun/checkpoint.safetensors" --test-split --shard 0/2 --real-out "$WORK/r.npy" --out "$WORK/x.npy"
expect_error "generate --precision fp16" - -- generate --checkpoint "$zrun/checkpoint.safetensors" --test-split --precision fp16 --out "$WORK/x.npy"
for cond in particles9_f8.npy particles10_f4.npy particles_deflated.npz; do
  if "$DIVGAN" generate --checkpoint "$zrun/checkpoint.safetensors" --conditions "$FIX/$cond" --out "$WORK/c.npz" \
       >"$WORK/zc.out" 2>&1 && grep -q "wrote .*c.npz: 3 showers" "$WORK/zc.out"; then
    ok "zdc generate --conditions $cond"
  else
    bad "zdc generate --conditions $cond" "$(tail -n 3 "$WORK/zc.out")"
  fi
done
if "$DIVGAN" eval --showers "$FIX/showers_nonfinite.npy" --real "$FIX/real3_f4.npy" >"$WORK/zn.out" 2>&1 \
   && grep -qE "\| 2 \|$" "$WORK/zn.out"; then
  ok "eval --showers with inf/NaN images counts them and evaluates the rest"
else
  bad "eval --showers with inf/NaN images counts them and evaluates the rest" "$(cat "$WORK/zn.out")"
fi
expect_error "eval --showers where every shower is non-finite" - -- eval --showers "$FIX/showers_all_nonfinite.npz" --real "$FIX/real3_f4.npy"
expect_error "zdc conditions with 8 columns" - -- generate --checkpoint "$zrun/checkpoint.safetensors" --conditions "$FIX/particles8_f8.npy" --out "$WORK/x.npz"
expect_error "zdc --responses without --particles" out_zr -- train --data zdc --responses "$FIX/responses_f8.npy" --out out_zr
expect_error "zdc responses with the wrong shape" out_zs -- train --data zdc --responses "$FIX/particles9_f8.npy" --particles "$FIX/particles9_f8.npy" --out out_zs
head -c 300 "$FIX/zdc_deflated.npz" >"$WORK/trunc.npz"
expect_error "zdc truncated npz" out_zt -- train --data zdc --responses "$WORK/trunc.npz" --particles "$FIX/particles9_f8.npy" --out out_zt
: >"$WORK/empty.npy"
expect_error "zdc empty conditions file" - -- generate --checkpoint "$zrun/checkpoint.safetensors" --conditions "$WORK/empty.npy" --out "$WORK/x.npz"
expect_error "zdc generate from a 2D checkpoint" - -- generate --checkpoint "$run/checkpoint.safetensors" --test-split --out "$WORK/x.npz"
expect_error "zdc generate to an unknown extension" - -- generate --checkpoint "$zrun/checkpoint.safetensors" --test-split --out "$WORK/x.txt"
expect_error "zdc eval --showers of the wrong shape" - -- eval --showers "$FIX/particles9_f8.npy" --real "$FIX/responses_f8.npy"
if "$DIVGAN" studyzdc --steps 2 --seeds 2 --lambdas 1 --regs none,divbal --tips aux --eval-every 1 --sim-particles 20 --out "$WORK/sz" \
     >"$WORK/sz.out" 2>"$WORK/sz.err" && grep -q "| DivBal-GAN | 1 |" "$WORK/sz.out" && [ -f "$WORK/sz/study.json" ] \
   && [ -f "$WORK/sz/divbal/lambda_1/seed_2/eval.json" ]; then
  ok "studyzdc trains every configuration and prints the table"
else
  bad "studyzdc trains every configuration and prints the table" "$(tail -n 3 "$WORK/sz.err")"
fi
# The tip arm: its own folder and row, the preset in its config, the periodic evaluation logged;
# the plain baseline gets no tip arm.
if grep -q "| DivBal-GAN + aux | 1 |" "$WORK/sz.out" && [ -f "$WORK/sz/divbal+aux/lambda_1/seed_2/eval.json" ] \
   && [ ! -e "$WORK/sz/none+aux" ] && grep -q '"eval"' "$WORK/sz/divbal+aux/lambda_1/seed_1/metrics.jsonl" \
   && grep -q '"aux_regression"' "$WORK/sz/divbal+aux/lambda_1/seed_1/eval.json"; then
  ok "studyzdc --tips adds an arm per tip on top of the regularizers"
else
  bad "studyzdc --tips adds an arm per tip on top of the regularizers" "$(tail -n 3 "$WORK/sz.err")" "$(ls "$WORK/sz")"
fi
if [ -f "$WORK/sz/report/report.html" ] && grep -q "DivBal-GAN" "$WORK/sz/report/report.md" \
   && grep -q "<table>" "$WORK/sz/report/report.html"; then
  ok "studyzdc writes the study's report"
else
  bad "studyzdc writes the study's report" "$(tail -n 3 "$WORK/sz.err")" "$(tail -n 3 "$WORK/sz.out")"
fi

# ---- report: one page for a ZDC and a 2D run ----
# report_complete DIR: report.html and report.md exist; every picture the HTML references exists
# and decodes as a PNG (with Python's matplotlib where there is one; else its signature and end
# chunk); at least one picture unless the page says why there is none.
report_complete() {
  local dir=$1 src n=0
  [ -f "$dir/report.html" ] && [ -f "$dir/report.md" ] || return 1
  for src in $(grep -o 'src="[^"]*"' "$dir/report.html" | sed 's/^src="//; s/"$//'); do
    [ -f "$dir/$src" ] || { echo "missing $src"; return 1; }
    n=$((n + 1))
    if [ -n "$PLOT_PY" ]; then
      "$PLOT_PY" -c "import sys, matplotlib.image as m; a = m.imread(sys.argv[1]); assert a.ndim == 3 and a.shape[0] > 100" "$dir/$src" \
        || { echo "$src does not decode"; return 1; }
    else
      [ "$(head -c 8 "$dir/$src" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] \
        && tail -c 8 "$dir/$src" | grep -q "IEND" || { echo "$src is not a PNG"; return 1; }
    fi
  done
  [ "$n" -gt 0 ] || grep -q "Pictures missing:" "$dir/report.md"
}
PLOT_PY=""
for py in python3 /usr/bin/python3; do
  if "$py" -c "import numpy, matplotlib" 2>/dev/null; then PLOT_PY=$py; break; fi
done
# Learning curves of the small study above over its seeds (every arm, one JSON entry per arm).
if [ -n "$PLOT_PY" ]; then
  if "$PLOT_PY" "$FIX/../../tools/plots/study_curves.py" "$WORK/sz" "$WORK/sz_curves.png" --json "$WORK/sz_curves.json" >"$WORK/sc.out" 2>&1 \
     && "$PLOT_PY" -c '
import json, sys, matplotlib.image as m
assert m.imread(sys.argv[1]).shape[0] > 100
j = json.load(open(sys.argv[2]))
assert set(j) == {"none", "divbal λ=1", "divbal+aux λ=1"}, sorted(j)
assert j["divbal+aux λ=1"]["test mean channel WS"]["steps"] == [1]
' "$WORK/sz_curves.png" "$WORK/sz_curves.json" >>"$WORK/sc.out" 2>&1; then
    ok "study_curves.py draws the study's learning curves over seeds"
  else
    bad "study_curves.py draws the study's learning curves over seeds" "$(tail -n 3 "$WORK/sc.out")"
  fi
  if ! "$PLOT_PY" "$FIX/../../tools/plots/study_curves.py" "$WORK/nothing" "$WORK/x.png" 2>"$WORK/sc.err" \
     && grep -q "^study_curves: error: .*nothing/study.json: cannot read" "$WORK/sc.err" && [ ! -e "$WORK/x.png" ]; then
    ok "study_curves.py refuses a folder without study.json in one line"
  else
    bad "study_curves.py refuses a folder without study.json in one line" "$(cat "$WORK/sc.err")"
  fi
fi
if "$DIVGAN" report "$zrun" "$run" --out "$WORK/rep" --quiet >"$WORK/rep.out" 2>&1 \
   && report_complete "$WORK/rep" >>"$WORK/rep.out" \
   && grep -q "ZDC: support size" "$WORK/rep/report.md" && grep -q "2D benchmark: variance" "$WORK/rep/report.md" \
   && { [ -z "$PLOT_PY" ] || { [ -f "$WORK/rep/img/zdc/channels.png" ] && [ -f "$WORK/rep/img/run/points.png" ]; }; }; then
  ok "report of a ZDC and a 2D run: tables, and every picture it references decodes${PLOT_PY:+ (with pictures)}"
else
  bad "report of a ZDC and a 2D run: tables, and every picture it references decodes" "$(tail -n 5 "$WORK/rep.out")"
fi
if "$DIVGAN" report "$zrun" --out "$WORK/rep/" --no-pictures --quiet >/dev/null 2>&1 \
   && [ ! -d "$WORK/rep/img" ] && grep -q "Pictures missing: not asked for" "$WORK/rep/report.md" \
   && [ -z "$(find "$WORK" -maxdepth 1 \( -name 'rep.tmp-*' -o -name 'rep.old-*' \) -print -quit)" ]; then
  ok "a second report (--out with a trailing slash) replaces the first as a whole, leaving nothing aside"
else
  bad "a second report (--out with a trailing slash) replaces the first as a whole, leaving nothing aside" "$(ls "$WORK")"
fi
expect_error "report of a folder without a checkpoint" - -- report "$WORK/nothing_here" --out "$WORK/rep_bad"
mkdir -p "$WORK/not_a_report" && echo keep >"$WORK/not_a_report/notes.txt"
expect_error "report into a folder that holds something else" - -- report "$zrun" --out "$WORK/not_a_report"
if [ ! -e "$WORK/rep_bad" ] && [ "$(cat "$WORK/not_a_report/notes.txt")" = keep ]; then
  ok "a failed report writes nothing and touches nothing"
else
  bad "a failed report writes nothing and touches nothing"
fi

# Without a GPU (CI, this kind of machine) --device cuda says why; --device auto falls back with a notice.
if "$DIVGAN" train --data zdc --generator dcgan --sim-particles 20 --batch 4 --steps 1 --quiet --device auto \
     --out "$WORK/zauto" >/dev/null 2>"$WORK/zauto.err"; then
  if grep -q "running on the CPU" "$WORK/zauto.err" || [ ! -s "$WORK/zauto.err" ]; then
    ok "train --device auto runs (on the CPU when no GPU is usable, with a notice)"
  else
    bad "train --device auto runs" "$(cat "$WORK/zauto.err")"
  fi
else
  bad "train --device auto runs" "$(cat "$WORK/zauto.err")"
fi
if ! grep -q "running on the CPU" "$WORK/zauto.err"; then
  ok "--device cuda not checked for its error: a GPU is present"
else
  expect_error "train --device cuda without a GPU" out_zcuda -- train --data zdc --steps 1 --device cuda --out out_zcuda
fi
expect_error "zdc --latent 8" out_zl -- train --data zdc --latent 8 --out out_zl
expect_error "train --graph on the CPU" out_zg -- train --data zdc --graph --device cpu --steps 1 --out out_zg
expect_error "train --precision bf16" out_zp -- train --data zdc --precision bf16 --steps 1 --out out_zp

# ---- a physicist's first day: nothing misleads, nothing is lost ------------------------------------
# ZDC-only flags without --data train the ZDC model (the 2D toy used to run silently); flags of the
# other data set are refused, naming them.
if "$DIVGAN" train --sim-particles 20 --batch 4 --steps 1 --quiet --out "$WORK/infer" >"$WORK/infer.out" 2>&1 \
   && grep -q '"dataset": "zdc"' "$WORK/infer/run.json" && grep -q "Mean WS" "$WORK/infer.out"; then
  ok "ZDC flags without --data train the ZDC model"
else
  bad "ZDC flags without --data train the ZDC model" "$(tail -n 3 "$WORK/infer.out")"
fi
if ! grep -q '"hidden"' "$WORK/infer/run.json" && grep -q '"generator": "dcgan"' "$WORK/infer/run.json"; then
  ok "run.json holds only the ZDC fields, and the generator defaults to dcgan"
else
  bad "run.json holds only the ZDC fields, and the generator defaults to dcgan" "$(grep -E 'hidden|generator' "$WORK/infer/run.json")"
fi
expect_error "ZDC files with a 2D flag" out_mix -- train --responses "$FIX/responses_f8.npy" --particles "$FIX/particles9_f8.npy" --hidden 64 --out out_mix
expect_error "a ZDC flag on the 2D benchmark" out_zon2d -- train --data 2d --generator dcgan --steps 1 --out out_zon2d
expect_error "--latent on ZDC" out_zlat -- train --data zdc --latent 32 --steps 1 --out out_zlat
expect_error "--data contradicting the checkpoint on --resume" - -- train --data 2d --resume --steps 2 --out "$WORK/infer"
expect_error "mistyped flag" - -- train --lamda 0.1 --out out_typo
if grep -q "did you mean '--lambda'" "$WORK/stderr"; then ok "mistyped flag: did you mean --lambda"; else bad "mistyped flag: did you mean --lambda" "$(cat "$WORK/stderr")"; fi
expect_error "mistyped subcommand" - -- trian --steps 1
if grep -q "did you mean 'train'" "$WORK/stderr"; then ok "mistyped subcommand: did you mean train"; else bad "mistyped subcommand: did you mean train" "$(cat "$WORK/stderr")"; fi

# An existing run is never replaced by accident.
expect_error "train on an existing run without --resume or --overwrite" - -- train --steps 5 --quiet --out "$run"
if grep -Eq '^  "steps": 80,?$' "$run/eval.json" && [ -s "$run/checkpoint.safetensors" ]; then
  ok "the refused run left the existing run untouched"
else
  bad "the refused run left the existing run untouched" "$(grep '"steps"' "$run/eval.json" 2>&1)"
fi
if "$DIVGAN" train --steps 5 --quiet --overwrite --out "$run" >/dev/null 2>"$WORK/ow.err" \
   && grep -Eq '^  "steps": 5,?$' "$run/eval.json" && [ "$(wc -l <"$run/metrics.jsonl")" -eq 1 ]; then
  ok "--overwrite replaces the run"
else
  bad "--overwrite replaces the run" "$(cat "$WORK/ow.err")"
fi
expect_error "--resume with --overwrite" - -- train --steps 5 --resume --overwrite --out "$run"

# SIGINT mid-run: a checkpoint, a message, exit 130; --resume then ends bitwise where an
# uninterrupted run ends (checkpoint and eval.json figures).
sigargs=(--data zdc --sim-particles 30 --batch 4 --steps 400 --checkpoint-every 1000 --quiet)
"$DIVGAN" train "${sigargs[@]}" --out "$WORK/whole" >/dev/null 2>&1
"$DIVGAN" train "${sigargs[@]}" --out "$WORK/sig" >/dev/null 2>"$WORK/sig.err" &
sigpid=$!
for _ in $(seq 1 100); do  # interrupt once training is under way
  [ -s "$WORK/sig/metrics.jsonl" ] && break
  sleep 0.1
done
kill -INT "$sigpid"
wait "$sigpid"
sigrc=$?
sigstep=$(sed -n 's/.* at step \([0-9]*\).*/\1/p' "$WORK/sig.err")
if [ "$sigrc" -eq 130 ] && grep -q "interrupted by SIGINT at step" "$WORK/sig.err" \
   && [ -n "$sigstep" ] && [ "$sigstep" -lt 400 ] && [ -s "$WORK/sig/checkpoint.safetensors" ] && [ ! -e "$WORK/sig/eval.json" ]; then
  ok "SIGINT mid-run saves a checkpoint (step $sigstep) and exits 130 with a message"
else
  bad "SIGINT mid-run saves a checkpoint and exits 130 with a message" "rc $sigrc" "$(cat "$WORK/sig.err")"
fi
if "$DIVGAN" train "${sigargs[@]}" --resume --out "$WORK/sig" >/dev/null 2>"$WORK/sigr.err" \
   && cmp -s "$WORK/whole/checkpoint.safetensors" "$WORK/sig/checkpoint.safetensors" \
   && [ "$(grep -v train_seconds "$WORK/whole/eval.json")" = "$(grep -v train_seconds "$WORK/sig/eval.json")" ]; then
  ok "--resume after SIGINT ends bitwise equal to the uninterrupted run"
else
  bad "--resume after SIGINT ends bitwise equal to the uninterrupted run" "$(tail -n 3 "$WORK/sigr.err")"
fi

# --keep-best: the best periodic validation state beside the last one, named in eval.json.
if "$DIVGAN" train --data zdc --sim-particles 30 --batch 4 --steps 6 --eval-every 2 --keep-best --quiet \
     --out "$WORK/best" >/dev/null 2>"$WORK/best.err" \
   && [ -s "$WORK/best/checkpoint_best.safetensors" ] && grep -q '"checkpoint": ".*checkpoint_best.safetensors"' "$WORK/best/eval.json" \
   && grep -q '"validation"' "$WORK/best/metrics.jsonl" && grep '"step":6[,}]' "$WORK/best/metrics.jsonl" | grep -q '"validation"' \
   && "$DIVGAN" eval --checkpoint "$WORK/best/checkpoint_best.safetensors" >/dev/null 2>&1; then
  ok "--keep-best keeps checkpoint_best.safetensors, names it in eval.json, and it evaluates"
else
  bad "--keep-best keeps checkpoint_best.safetensors" "$(tail -n 3 "$WORK/best.err")"
fi
expect_error "--keep-best without --eval-every" out_kb -- train --steps 2 --keep-best --out out_kb

# Outputs carry their conditions: generate stores them beside the showers, eval --showers uses them
# for the diversity error and the breakdown by species and energy, and such a file is itself valid
# training data (ZDC inferred from the files, without --data).
if "$DIVGAN" generate --checkpoint "$WORK/infer/checkpoint.safetensors" --test-split --regenerations 3 \
     --out "$WORK/gp.npz" --real-out "$WORK/rp.npz" >"$WORK/gp.out" 2>&1 \
   && grep -q "with their conditions; [0-9]* showers/s" "$WORK/gp.out"; then
  ok "generate stores the conditions with the showers and reports showers/s"
else
  bad "generate stores the conditions with the showers and reports showers/s" "$(cat "$WORK/gp.out")"
fi
if "$DIVGAN" eval --showers "$WORK/gp.npz" --real "$WORK/rp.npz" --json "$WORK/gp.json" >"$WORK/ge.out" 2>&1 \
   && grep -q "^| neutral |" "$WORK/ge.out" && grep -q "^| charged |" "$WORK/ge.out" \
   && grep -q "^| E \[" "$WORK/ge.out" && grep -q '"breakdown"' "$WORK/gp.json" \
   && grep -Eq '^\| all \|( [0-9.]+ \|){6} [0-9.]+ \|' "$WORK/ge.out"; then
  ok "eval --showers with conditions: diversity error and breakdown by species and energy"
else
  bad "eval --showers with conditions: diversity error and breakdown by species and energy" "$(cat "$WORK/ge.out")"
fi
if "$DIVGAN" generate --checkpoint "$WORK/infer/checkpoint.safetensors" --test-split --out "$WORK/gp.npy" >/dev/null 2>&1 \
   && [ -s "$WORK/gp.particles.npy" ]; then
  ok "generate to .npy writes the conditions to <stem>.particles.npy"
else
  bad "generate to .npy writes the conditions to <stem>.particles.npy"
fi
expect_error "eval --showers with conditions of other rows" - -- eval --showers "$WORK/gp.npz" --real "$WORK/rp.npz" --particles "$FIX/particles9_f8.npy"
if "$DIVGAN" train --responses "$WORK/gp.npz" --particles "$WORK/gp.npz" --batch 4 --steps 1 --quiet \
     --out "$WORK/fromfiles" >"$WORK/ff.out" 2>&1 && grep -q '"dataset": "zdc"' "$WORK/fromfiles/run.json"; then
  ok "ZDC files without --data train the ZDC model (generate's output is valid training data)"
else
  bad "ZDC files without --data train the ZDC model" "$(tail -n 3 "$WORK/ff.out")"
fi
if "$DIVGAN" generate --checkpoint "$WORK/infer/checkpoint.safetensors" --conditions "$FIX/particles9_f8.npy" \
     --out "$WORK/far.npz" >/dev/null 2>"$WORK/far.err" && grep -q "warning: 3 of 3 conditions .* outside the training range" "$WORK/far.err"; then
  ok "conditions outside the training range are counted in a warning"
else
  bad "conditions outside the training range are counted in a warning" "$(cat "$WORK/far.err")"
fi

# --split particle: recorded, and no test particle has repeats in training (the eval's diversity
# groups then hold only test rows); the 2D benchmark's periodic evaluation.
if "$DIVGAN" train --sim-particles 30 --batch 4 --steps 2 --split particle --quiet --out "$WORK/bypart" >/dev/null 2>"$WORK/bp.err" \
   && grep -q '"split": "particle"' "$WORK/bypart/run.json" \
   && "$DIVGAN" generate --checkpoint "$WORK/bypart/checkpoint.safetensors" --test-split --out "$WORK/bp.npz" >/dev/null 2>&1; then
  ok "train --split particle records the split and generates for its test split"
else
  bad "train --split particle records the split" "$(cat "$WORK/bp.err")"
fi
if "$DIVGAN" train --data 2d --steps 20 --eval-every 10 --quiet --out "$WORK/p2d" >/dev/null 2>&1 \
   && [ "$(grep -c '"eval"' "$WORK/p2d/metrics.jsonl")" -eq 1 ] && grep -q '"wasserstein_spread0"' "$WORK/p2d/metrics.jsonl"; then
  ok "2D --eval-every writes the periodic test figures"
else
  bad "2D --eval-every writes the periodic test figures" "$(cat "$WORK/p2d/metrics.jsonl" 2>&1 | head -3)"
fi
if "$DIVGAN" studyzdc --responses "$WORK/gp.npz" --particles "$WORK/gp.npz" --split particle --regs none --seeds 1 \
     --steps 1 --batch 4 --out "$WORK/szf" >"$WORK/szf.out" 2>&1 && grep -q "| DC-GAN |" "$WORK/szf.out" \
   && grep -rq --include=run.json '"split": "particle"' "$WORK/szf" && grep -rq --include=run.json "gp.npz" "$WORK/szf"; then
  ok "studyzdc takes --responses/--particles and --split"
else
  bad "studyzdc takes --responses/--particles and --split" "$(tail -n 3 "$WORK/szf.out")"
fi
# The README's numpy example writes a pair of files train accepts (where numpy is installed).
README="$(cd "$FIX/../.." && pwd)/README.md"
if [ -n "$NUMPY_PY" ]; then
  mkdir -p "$WORK/readme" && sed -n '/^```python/,/^```/p' "$README" | sed '1d;$d' >"$WORK/readme/example.py"
  if (cd "$WORK/readme" && "$NUMPY_PY" example.py) >"$WORK/readme.out" 2>&1 \
     && "$DIVGAN" train --responses "$WORK/readme/responses.npz" --particles "$WORK/readme/particles.npz" --split particle \
          --batch 8 --steps 2 --quiet --out "$WORK/readme/run" >>"$WORK/readme.out" 2>&1; then
    ok "the README's numpy example writes files train accepts"
  else
    bad "the README's numpy example writes files train accepts" "$(tail -n 3 "$WORK/readme.out")"
  fi
else
  ok "the README's numpy example not run: no numpy"
fi

# ---- faults of a long run -------------------------------------------------------------------------
# A file-size limit (as a full disk) while writing a checkpoint or an output: one error line naming
# the file, the previous checkpoint intact, no temporary file left.
fault="$WORK/fault"
"$DIVGAN" train --steps 10 --checkpoint-every 10 --quiet --out "$fault" >/dev/null 2>&1
cp "$fault/checkpoint.safetensors" "$WORK/fault_before.safetensors"
(ulimit -f 64; trap '' XFSZ; "$DIVGAN" train --resume --steps 40 --checkpoint-every 10 --quiet --out "$fault") >/dev/null 2>"$WORK/fault.err"
frc=$?
if [ "$frc" -ne 0 ] && [ "$(wc -l <"$WORK/fault.err")" -eq 1 ] && grep -q "checkpoint.safetensors: write failed" "$WORK/fault.err" \
   && cmp -s "$fault/checkpoint.safetensors" "$WORK/fault_before.safetensors" \
   && [ -z "$(find "$fault" -name '*.tmp.*' -print -quit)" ]; then
  ok "a file-size limit while checkpointing: one error naming the file, previous checkpoint intact, no temporary file"
else
  bad "a file-size limit while checkpointing" "exit $frc" "$(cat "$WORK/fault.err")" "$(ls -a "$fault")"
fi
(ulimit -f 64; trap '' XFSZ; "$DIVGAN" generate --checkpoint "$zrun/checkpoint.safetensors" --test-split --regenerations 4 --out "$WORK/fault/gen.npz") >/dev/null 2>"$WORK/fault2.err"
if [ $? -ne 0 ] && grep -q "gen.npz: write failed" "$WORK/fault2.err" && [ ! -e "$WORK/fault/gen.npz" ] \
   && [ -z "$(find "$fault" -name '*.tmp.*' -print -quit)" ]; then
  ok "a file-size limit while writing generated showers: an error naming the file and nothing left behind"
else
  bad "a file-size limit while writing generated showers" "$(cat "$WORK/fault2.err")" "$(ls -a "$fault")"
fi

# Two runs on one folder: the second refuses while the first holds it; a run killed with -9 does
# not leave the folder stuck.
"$DIVGAN" train --steps 1000000 --checkpoint-every 1000 --quiet --out "$WORK/locked" >/dev/null 2>&1 &
lockpid=$!
for _ in $(seq 1 100); do [ -s "$WORK/locked/.divgan.lock" ] && break; sleep 0.05; done
expect_error "a second run on a folder in use" - -- train --resume --steps 5 --quiet --out "$WORK/locked"
if grep -q "in use by another divgan run (pid $lockpid" "$WORK/stderr"; then ok "the refusal names the running process"; else bad "the refusal names the running process" "$(cat "$WORK/stderr")"; fi
kill -9 "$lockpid" 2>/dev/null
wait "$lockpid" 2>/dev/null
if "$DIVGAN" train --resume --steps 5 --quiet --out "$WORK/locked" >/dev/null 2>"$WORK/lock.err"; then
  ok "a folder whose run was killed with -9 is free again"
else
  bad "a folder whose run was killed with -9 is free again" "$(cat "$WORK/lock.err")"
fi

# --resume with flags that contradict the checkpoint: refused naming the field, unless --override
# (training settings only; the model and data never change on resume).
# Each refusal is checked for its text (the field, both values, why), not only for failing: a model
# mismatch would also fail later, when the tensors do not fit, for the wrong reason.
# expect_refusal NAME PATTERN -- ARGS...: expect_error, and stderr matches PATTERN (grep -E).
expect_refusal() {
  local name=$1 pattern=$2
  shift 3
  expect_error "$name" - -- "$@"
  grep -Eq -e "$pattern" "$WORK/stderr" || bad "$name: the message says why" "$(cat "$WORK/stderr")"
}
expect_refusal "--resume with another regularizer" "--reg sdi contradicts the checkpoint .*\(reg [a-z]+\); resume without it, or add --override" -- train --resume --reg sdi --steps 60 --quiet --out "$run"
expect_refusal "--resume with another batch" "--batch 7 contradicts the checkpoint .*\(batch [0-9]+\)" -- train --resume --batch 7 --steps 60 --quiet --out "$run"
expect_refusal "--resume with another model (--override cannot change it)" "--hidden 64 contradicts the checkpoint .*\(hidden [0-9]+\): a resumed run keeps its model and data" -- train --resume --hidden 64 --override --steps 60 --quiet --out "$run"
expect_refusal "--resume with other ZDC data" "--sim-particles 31 contradicts the checkpoint .*\(sim_particles 40\)" -- train --resume --sim-particles 31 --steps 8 --quiet --out "$zrun"
expect_refusal "--resume --override with other ZDC data (--override cannot change it)" "--sim-particles 31 contradicts the checkpoint .*: a resumed run keeps its model and data" -- train --resume --sim-particles 31 --override --steps 8 --quiet --out "$zrun"
expect_refusal "--resume --override with another data seed" "--data-seed 5 contradicts the checkpoint .*: a resumed run keeps its model and data" -- train --resume --data-seed 5 --override --steps 8 --quiet --out "$zrun"
expect_refusal "--resume --override with another split" "--split particle contradicts the checkpoint .*: a resumed run keeps its model and data" -- train --resume --split particle --override --steps 8 --quiet --out "$zrun"
if "$DIVGAN" train --resume --reg sdi --override --steps 8 --quiet --out "$run" >/dev/null 2>"$WORK/ovr.err" \
   && grep -q "reg changes from none to sdi" "$WORK/ovr.err" && grep -q '"reg": "sdi"' "$run/eval.json"; then
  ok "--resume --override takes the command's regularizer, saying so"
else
  bad "--resume --override takes the command's regularizer" "$(cat "$WORK/ovr.err")"
fi

# Paper 004's label tips: recorded in the run, refused outside [0, 1), and, on resume, training
# settings that --override may change.
if "$DIVGAN" train --steps 4 --label-flip 0.1 --label-smoothing 0.1 --quiet --out "$WORK/tips" >/dev/null 2>"$WORK/tips.err" \
   && grep -q '"label_flip": 0.1' "$WORK/tips/run.json" && grep -q '"label_smoothing": 0.1' "$WORK/tips/run.json"; then
  ok "train --label-flip/--label-smoothing records them in the run"
else
  bad "train --label-flip/--label-smoothing records them in the run" "$(cat "$WORK/tips.err")"
fi
expect_refusal "--label-flip outside [0, 1)" "label_flip \(--label-flip\) must lie in \[0, 1\), got 1.5" -- train --steps 2 --label-flip 1.5 --out "$WORK/tips_bad"
expect_refusal "--label-smoothing outside [0, 1)" "label_smoothing \(--label-smoothing\) must lie in \[0, 1\), got -0.1" -- train --steps 2 --label-smoothing -0.1 --out "$WORK/tips_bad"
expect_refusal "--resume with another --label-flip" "--label-flip 0.2 contradicts the checkpoint .*\(label_flip 0.1\)" -- train --resume --label-flip 0.2 --steps 6 --quiet --out "$WORK/tips"

# Paper 004's discriminator tips (ZDC): recorded in the run, the head evaluated in eval.json, bad
# weights and exponents refused by name, and a resume cannot add or drop them (they are D's layers).
dtips=(--sim-particles 20 --batch 4 --quiet --aux-regression "0.5,energy=1" --soft-sparsity --sparsity-alpha 3)
if "$DIVGAN" train "${dtips[@]}" --steps 2 --out "$WORK/dtips" >/dev/null 2>"$WORK/dtips.err" \
   && grep -q '"soft_sparsity": true' "$WORK/dtips/run.json" && grep -q '"sparsity_alpha": 3' "$WORK/dtips/run.json" \
   && /usr/bin/env python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))
w = e["config"]["aux_regression"]
assert w[0] == 1 and all(v == 0.5 for v in w[1:]), w
a = e["aux_regression"]
assert a["n_test"] > 0 and set(a["rmse_real"]) == {"Energy", "Vx", "Vy", "Vz", "Px", "Py", "Pz", "mass", "charge"}
' "$WORK/dtips/eval.json" 2>>"$WORK/dtips.err"; then
  ok "train --aux-regression/--soft-sparsity records them and evaluates the head"
else
  bad "train --aux-regression/--soft-sparsity records them and evaluates the head" "$(cat "$WORK/dtips.err")"
fi
if "$DIVGAN" train "${dtips[@]}" --steps 4 --resume --out "$WORK/dtips" >/dev/null 2>"$WORK/dtips2.err" \
   && grep -q '"steps": 4' "$WORK/dtips/eval.json"; then
  ok "a run with the discriminator tips resumes"
else
  bad "a run with the discriminator tips resumes" "$(cat "$WORK/dtips2.err")"
fi
expect_refusal "--aux-regression with an unknown attribute" "--aux-regression: unknown attribute 'spin' \(expected energy, vx" -- train --sim-particles 20 --steps 2 --aux-regression spin=1 --out "$WORK/dtips_bad"
expect_refusal "--aux-regression with a negative weight" "--aux-regression: 'px=-1': the weight must be a finite number >= 0, got '-1'" -- train --sim-particles 20 --steps 2 --aux-regression px=-1 --out "$WORK/dtips_bad"
expect_refusal "--sparsity-alpha 0" "sparsity_alpha \(--sparsity-alpha\) must be a finite number > 0, got 0" -- train --sim-particles 20 --steps 2 --soft-sparsity --sparsity-alpha 0 --out "$WORK/dtips_bad"
expect_refusal "--sparsity-beta without --soft-sparsity" "--sparsity-alpha, --sparsity-beta and --minibatch-kernels set up --soft-sparsity: add --soft-sparsity" -- train --sim-particles 20 --steps 2 --sparsity-beta 2 --out "$WORK/dtips_bad"
expect_refusal "--soft-sparsity on the 2D benchmark" "--soft-sparsity is an option of the ZDC model, but this run trains the 2D benchmark" -- train --data 2d --steps 2 --soft-sparsity --out "$WORK/dtips_bad"
expect_refusal "studyzdc with a tip given twice" "--tips: 'aux' given twice" -- studyzdc --tips aux,aux --out "$WORK/sz_bad"
expect_refusal "studyzdc --tips with only the baseline" "--tips adds arms on top of the regularizers other than none; --regs has none" -- studyzdc --regs none --tips aux --out "$WORK/sz_bad"
expect_refusal "studyzdc with a regularizer given twice" "regularizer 'divbal' given twice" -- studyzdc --regs none,divbal,divbal --out "$WORK/sz_bad"
expect_refusal "studyzdc with an unknown tip" "unknown tip 'dropout' \(expected aux, sparsity, labels or all\)" -- studyzdc --tips dropout --out "$WORK/sz_bad"
expect_refusal "--resume with other auxiliary weights" "--aux-regression .* contradicts the checkpoint .*: a resumed run keeps its model and data" -- train --resume --sim-particles 20 --batch 4 --aux-regression 1 --soft-sparsity --steps 6 --quiet --out "$WORK/dtips"

# kill -9 at 5 random moments, resuming each time: the run ends bitwise where an uninterrupted one
# ends (checkpoint and evaluation).
soak=(--steps 6000 --batch 64 --checkpoint-every 50 --quiet)
"$DIVGAN" train "${soak[@]}" --out "$WORK/soak_whole" >/dev/null 2>&1
kills=0
for k in 1 2 3 4 5; do
  if [ "$k" -eq 1 ]; then mode=(); else mode=(--resume); fi
  "$DIVGAN" train "${soak[@]}" "${mode[@]}" --out "$WORK/soak" >/dev/null 2>&1 &
  spid=$!
  sleep "0.$((RANDOM % 8 + 2))"
  if kill -9 "$spid" 2>/dev/null; then kills=$((kills + 1)); fi
  wait "$spid" 2>/dev/null
done
"$DIVGAN" train "${soak[@]}" --resume --out "$WORK/soak" >/dev/null 2>"$WORK/soak.err"
if cmp -s "$WORK/soak_whole/checkpoint.safetensors" "$WORK/soak/checkpoint.safetensors" \
   && [ "$(grep -v train_seconds "$WORK/soak_whole/eval.json")" = "$(grep -v train_seconds "$WORK/soak/eval.json")" ]; then
  ok "killed with -9 $kills times at random moments and resumed: bitwise the uninterrupted run"
else
  bad "kill -9 soak ends bitwise equal to the uninterrupted run" "$(cat "$WORK/soak.err")"
fi

# Provenance.
if "$DIVGAN" --version >"$WORK/ver.out" 2>&1 && grep -Eq "^divgan [0-9.]+ \(commit [0-9a-f]{7,}|unknown" "$WORK/ver.out"; then
  ok "divgan --version: $(cat "$WORK/ver.out")"
else
  bad "divgan --version" "$(cat "$WORK/ver.out")"
fi
if grep -q '"history"' "$WORK/sig/run.json" && [ "$(grep -c '"command_line"' "$WORK/sig/run.json")" -eq 2 ]; then
  ok "a resumed run's run.json keeps the interrupted session's provenance in its history"
else
  bad "a resumed run's run.json keeps the interrupted session's provenance" "$(head -c 400 "$WORK/sig/run.json")"
fi
if grep -q '"command_line"' "$WORK/infer/run.json" && grep -q '"commit"' "$WORK/infer/run.json" \
   && grep -q '"end"' "$WORK/infer/run.json" && grep -q '"host"' "$WORK/infer/run.json"; then
  ok "run.json records the command line, commit, host and end time"
else
  bad "run.json records the command line, commit, host and end time" "$(head -c 300 "$WORK/infer/run.json")"
fi

# ---- help ----------------------------------------------------------------------------------------
for sub in "" train eval generate study2d studyzdc; do
  # shellcheck disable=SC2086
  if "$DIVGAN" $sub --help >"$WORK/help.out" 2>&1 && grep -qi "usage" "$WORK/help.out"; then
    ok "divgan${sub:+ $sub} --help"
  else
    bad "divgan${sub:+ $sub} --help" "$(head -n 3 "$WORK/help.out")"
  fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
