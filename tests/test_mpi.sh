#!/usr/bin/env bash
# Checks of the scale-out paths through a real launcher (OpenMPI's mpirun, ranks as processes of
# this machine): data-parallel training (replicas compared after every step, two ranks against one
# process, resume bit for bit, another rank count refused, a killed or stuck rank), sharded
# generation and a distributed 2D study. The GPU (NCCL) checks need two GPUs and say so when
# skipped. Ends with "N passed, M failed" like the other scripts.
# Usage: bash tests/test_mpi.sh build/divgan
set -u

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
  echo "usage: $0 <path-to-divgan>" >&2
  exit 2
fi
DIVGAN="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
FIX="$(cd "$(dirname "$0")" && pwd)/fixtures"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/divgan_mpi.XXXXXX")"
# Background launches and their ranks (a stopped one included) never outlive the script.
cleanup() {
  pkill -9 -f "divgan train .*--out $WORK/" 2>/dev/null
  [ -n "${launcher:-}" ] && kill -9 "$launcher" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK" || exit 2
# shellcheck source=tests/check_lib.sh
. "$FIX/../check_lib.sh"

PY=""
for p in /usr/bin/python3 python3; do
  if command -v "$p" >/dev/null && "$p" -c "import numpy" 2>/dev/null; then PY="$p"; break; fi
done

if ! command -v mpirun >/dev/null; then
  echo "mpirun not found: the MPI checks are skipped (tools/setup.sh installs openmpi-bin)"
  finish
fi
# Root in containers, more ranks than cores on small machines; every launch bounded in time (and
# killed if it ignores the first signal). Containers may forbid the cross-memory attach of Open
# MPI's shared-memory transport: plain copies instead.
MPIRUN=(timeout -k 10 300 mpirun --allow-run-as-root --oversubscribe)
export OMPI_MCA_btl_vader_single_copy_mechanism=none
ZDC=(--data zdc --sim-particles 40 --batch 16 --quiet --eval-regenerations 1)

# The losses of metrics.jsonl line `line` (1-based) of two runs agree within `tol`.
same_losses() {
  "$PY" - "$1" "$2" "$3" "$4" <<'PY'
import json, sys
a, b, line, tol = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
la = json.loads(open(a).read().splitlines()[line - 1])
lb = json.loads(open(b).read().splitlines()[line - 1])
for k in ("loss_d", "loss_g_adv", "loss_div"):
    assert abs(la[k] - lb[k]) <= tol, (k, la[k], lb[k])
PY
}

# The tensors of two safetensors files are byte for byte the same (metadata aside).
same_tensors() {
  "$PY" - "$1" "$2" <<'PY'
import json, struct, sys
def tensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    body = data[8 + n:]
    return {k: body[v["data_offsets"][0]:v["data_offsets"][1]] for k, v in header.items()}
a, b = tensors(sys.argv[1]), tensors(sys.argv[2])
assert a.keys() == b.keys()
bad = [k for k in a if a[k] != b[k]]
assert not bad, bad[:5]
PY
}

# ---- data-parallel training ----------------------------------------------------------------------
if "${MPIRUN[@]}" -np 2 "$DIVGAN" train --steps 30 --batch 64 --log-every 10 --check-replicas \
  --quiet --out dp2d >dp2d.out 2>&1 && grep -q '"ranks": 2' dp2d/run.json; then
  ok "2 ranks, 2D benchmark: replicas bitwise equal after every step, rank 0 wrote the run"
else
  bad "2 ranks, 2D benchmark: replicas bitwise equal after every step" "$(tail -n 5 dp2d.out)"
fi
for reg in none sdi divbal; do
  if "${MPIRUN[@]}" -np 2 "$DIVGAN" train "${ZDC[@]}" --reg "$reg" --sync-batch-norm --steps 4 \
    --log-every 1 --check-replicas --out "dpz_$reg" >"dpz_$reg.out" 2>&1 \
    && "$DIVGAN" train "${ZDC[@]}" --reg "$reg" --sync-batch-norm --steps 4 --log-every 1 \
      --out "one_$reg" >"one_$reg.out" 2>&1 \
    && same_losses "dpz_$reg/metrics.jsonl" "one_$reg/metrics.jsonl" 1 1e-5; then
    ok "2 ranks, ZDC $reg, synchronized batch norm: replicas equal every step; step 1 = one process"
  else
    bad "2 ranks, ZDC $reg, synchronized batch norm" "$(tail -n 5 "dpz_$reg.out")"
  fi
done

# Resume with the same rank count continues bit for bit; another count is refused.
"${MPIRUN[@]}" -np 2 "$DIVGAN" train "${ZDC[@]}" --reg divbal --steps 6 --checkpoint-every 3 \
  --out straight >straight.out 2>&1
"${MPIRUN[@]}" -np 2 "$DIVGAN" train "${ZDC[@]}" --reg divbal --steps 3 --out halves \
  >halves.out 2>&1
if "${MPIRUN[@]}" -np 2 "$DIVGAN" train "${ZDC[@]}" --reg divbal --steps 6 --resume \
  --out halves >>halves.out 2>&1 \
  && same_tensors straight/checkpoint.safetensors halves/checkpoint.safetensors; then
  ok "2 ranks: resumed at step 3 with 2 ranks, the checkpoint at step 6 is the uninterrupted one"
else
  bad "2 ranks: resume bit for bit" "$(tail -n 5 halves.out)"
fi
if "$DIVGAN" train "${ZDC[@]}" --reg divbal --steps 9 --resume --out halves >one.out 2>&1; then
  bad "resume of a 2-rank checkpoint by one process is refused" "it ran"
elif grep -q "written by a run of 2 rank(s), resumed with 1" one.out; then
  ok "resume of a 2-rank checkpoint by one process is refused, naming both counts"
else
  bad "resume of a 2-rank checkpoint by one process: the message" "$(cat one.out)"
fi

# A checkpoint of two ranks is a model like any other: eval reads it in one process. Under mpirun,
# the commands that do not split their work refuse to run N copies.
if "$DIVGAN" eval --checkpoint dp2d/checkpoint.safetensors >eval.out 2>&1; then
  ok "eval of a 2-rank checkpoint in one process"
else
  bad "eval of a 2-rank checkpoint in one process" "$(tail -n 3 eval.out)"
fi
if "${MPIRUN[@]}" -np 2 "$DIVGAN" eval --checkpoint dp2d/checkpoint.safetensors >evalmpi.out 2>&1; then
  bad "eval under mpirun is refused" "it ran"
elif grep -q "runs in one process; under mpirun only train, generate" evalmpi.out; then
  ok "eval under mpirun is refused with a message"
else
  bad "eval under mpirun: the message" "$(tail -n 3 evalmpi.out)"
fi

# The step a checkpoint holds (its metadata).
checkpoint_step() {
  "$PY" -c "
import json, struct, sys
d = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', d[:8])[0]
print(json.loads(d[8:8 + n])['__metadata__']['step'])" "$1" 2>/dev/null || echo 0
}

# SIGTERM to the launcher: every rank stops after the same step and rank 0 checkpoints it.
"${MPIRUN[@]}" -np 2 "$DIVGAN" train "${ZDC[@]}" --steps 100000 --checkpoint-every 100000 \
  --out "$WORK/term" >term.out 2>&1 &
launcher=$!
for _ in $(seq 2400); do [ -f term/run.json ] && [ -s term/metrics.jsonl ] && break; sleep 0.1; done
# One signal, to mpirun itself, which forwards it to the ranks (a second one would end them at
# once, as it ends one process).
pkill -TERM -f "^mpirun .*--out $WORK/term( |$)" 2>/dev/null
wait "$launcher"
steps=$(grep -o "interrupted by SIGTERM at step [0-9]*" term.out | grep -o "[0-9]*$" | sort -u)
if [ "$(echo "$steps" | wc -l)" -eq 1 ] && [ -n "$steps" ] \
  && [ "$(checkpoint_step term/checkpoint.safetensors)" = "$steps" ]; then
  ok "SIGTERM to mpirun: both ranks stopped after step $steps, the checkpoint holds it"
else
  bad "SIGTERM to mpirun: one step for all ranks, checkpointed" "steps: $steps" "$(tail -n 4 term.out)"
fi

# pid of rank $2 of the run writing into folder $1 (0 while it has not started).
rank_pid() {
  local p
  for p in $(pgrep -f "divgan train .*--out $WORK/$1( |$)" 2>/dev/null); do
    if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2"; then
      echo "$p"
      return
    fi
  done
  echo 0
}

# disrupt NAME SIGNAL TIMEOUT: starts a long 2-rank run into NAME with --dist-timeout TIMEOUT,
# sends SIGNAL to rank 1 once the first checkpoint exists, and waits for the launch to end; sets
# victim (0: rank 1 not found), rc and took (seconds from the signal to the end).
disrupt() {
  "${MPIRUN[@]}" -np 2 "$DIVGAN" train "${ZDC[@]}" --steps 100000 --checkpoint-every 2 \
    --dist-timeout "$3" --out "$WORK/$1" >"$1.out" 2>&1 &
  launcher=$!
  for _ in $(seq 2400); do [ -f "$1/checkpoint.safetensors" ] && break; sleep 0.1; done
  victim=$(rank_pid "$1" 1)
  local start
  start=$(date +%s)
  [ "$victim" != 0 ] && kill "-$2" "$victim"
  wait "$launcher"
  rc=$?
  took=$(($(date +%s) - start))
  [ "$victim" != 0 ] && kill -9 "$victim" 2>/dev/null
}

# A rank killed mid-run ends the launch within the timeout; the last checkpoint loads and resumes.
disrupt killed KILL 20
at=$(checkpoint_step killed/checkpoint.safetensors)
if [ "$victim" != 0 ] && [ "$rc" -ne 0 ] && [ "$took" -le 60 ] && [ "$at" -gt 0 ] \
  && "${MPIRUN[@]}" -np 2 "$DIVGAN" train "${ZDC[@]}" --resume --out "$WORK/killed" --steps $((at + 2)) \
    >resumed.out 2>&1; then
  ok "a rank killed mid-run: the launch ended in ${took} s (exit $rc), the checkpoint resumed"
else
  bad "a rank killed mid-run" "victim $victim, exit $rc after ${took} s" "$(tail -n 4 killed.out resumed.out 2>/dev/null)"
fi

# A stuck rank (stopped, not dead: the launcher sees nothing) is caught by the others' timeout.
disrupt stuck STOP 10
if [ "$victim" != 0 ] && [ "$rc" -ne 0 ] && [ "$took" -le 60 ] \
  && grep -q "rank 0): error: .*no answer from the other ranks within 10 s" stuck.out; then
  ok "a stuck rank: rank 0 stopped after its 10 s timeout with a message (${took} s, exit $rc)"
else
  bad "a stuck rank" "victim $victim, exit $rc after ${took} s" "$(tail -n 4 stuck.out)"
fi

# ---- sharded generation and distributed studies --------------------------------------------------
if [ -n "$PY" ] && [ -f straight/checkpoint.safetensors ]; then
  gen=(generate --checkpoint straight/checkpoint.safetensors --test-split --regenerations 2 --batch 5)
  if "$DIVGAN" "${gen[@]}" --out whole.npy >gen.out 2>&1 \
    && "${MPIRUN[@]}" -np 3 "$DIVGAN" "${gen[@]}" --out ranks.npy >>gen.out 2>&1 \
    && "$PY" - <<'PY' >>gen.out 2>&1
import numpy as np
a = np.concatenate([np.load(f"ranks.shard-{i}-of-3.npy") for i in range(3)])
b = np.load("whole.npy")
assert a.dtype == b.dtype and np.array_equal(a.view(np.uint8), b.view(np.uint8))
PY
  then
    ok "generate under mpirun -np 3: the shards in order are the one-process output, bit for bit"
  else
    bad "generate under mpirun -np 3" "$(tail -n 4 gen.out)"
  fi
fi
study=(study2d --steps 40 --batch 32 --seeds 2 --regs none,sdi --lambdas 0.001 --eval-every 20
  --jobs 1 --report tables)
if "$DIVGAN" "${study[@]}" --out study_one >study.out 2>&1 \
  && "${MPIRUN[@]}" -np 2 "$DIVGAN" "${study[@]}" --out study_ranks >>study.out 2>&1 \
  && cmp -s study_one/table.md study_ranks/table.md; then
  ok "study2d under mpirun -np 2: each rank trained whole runs; the table is the one-process one"
else
  bad "study2d under mpirun -np 2: the same table" "$(tail -n 4 study.out; diff study_one/table.md study_ranks/table.md 2>&1 | head -5)"
fi

# ---- NCCL (GPU) ------------------------------------------------------------------------------------
gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU')
if [ "${gpus:-0}" -ge 2 ]; then
  if "${MPIRUN[@]}" -np 2 "$DIVGAN" train "${ZDC[@]}" --device cuda --sync-batch-norm --steps 4 \
    --check-replicas --out nccl >nccl.out 2>&1 && grep -q '"collectives": "mpi+nccl"' nccl/run.json; then
    ok "2 ranks on 2 GPUs over NCCL: replicas equal after every step"
  else
    bad "2 ranks on 2 GPUs over NCCL" "$(tail -n 5 nccl.out)"
  fi
else
  echo "skipped: the NCCL data-parallel check needs 2 GPUs (found ${gpus:-0})"
fi
finish
