#!/usr/bin/env bash
# Data-parallel scaling on this machine's CPU, side by side in one run: the ZDC training step of one
# process with 1 thread, one process with 2 threads, and 2 ranks (mpirun) of 1 thread each, at the
# same global batch. The step time is the marginal one, (t(long) - t(short)) / (long - short) steps
# from train_seconds, so start-up, data and the final checkpoint cancel; medians of REPEATS runs.
# Writes bench/results/scaling_cpu_<commit>.json (device, commit, config, figures, and the bytes
# each step all-reduces, read from the run's parameter counts).
#
#   bench/scaling_cpu.sh                 # BATCH=64 REG=sdi SHORT=10 LONG=30 REPEATS=3
set -euo pipefail
cd "$(dirname "$0")/.."
divgan=${DIVGAN:-build/divgan}
batch=${BATCH:-64}
reg=${REG:-sdi}
short=${SHORT:-10}
long=${LONG:-30}
repeats=${REPEATS:-3}
python=${PYTHON:-/usr/bin/python3}
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
common=(train --data zdc --sim-particles 400 --batch "$batch" --reg "$reg" --quiet
  --checkpoint-every 100000 --log-every 100000 --eval-regenerations 1)

# seconds CONFIG STEPS REP: train_seconds of one run.
seconds() {
  local cfg=$1 steps=$2 rep=$3 out="$tmp/$1_$2_$3"
  case $cfg in
    p1t1) "$divgan" "${common[@]}" --threads 1 --steps "$steps" --out "$out" >/dev/null ;;
    p1t2) "$divgan" "${common[@]}" --threads 2 --steps "$steps" --out "$out" >/dev/null ;;
    r2t1) mpirun --allow-run-as-root --oversubscribe -np 2 "$divgan" "${common[@]}" --threads 1 \
      --steps "$steps" --out "$out" >/dev/null ;;
  esac
  "$python" -c "import json; print(json.load(open('$out/eval.json'))['train_seconds'])"
}

times=$tmp/times.txt
for rep in $(seq "$repeats"); do
  for cfg in p1t1 p1t2 r2t1; do
    for steps in "$short" "$long"; do
      t=$(seconds "$cfg" "$steps" "$rep")
      echo "$cfg,$steps,$rep $t" >>"$times"
      echo "$cfg steps $steps run $rep: $t s" >&2
    done
  done
done
params_json=$tmp/p1t1_${short}_1/run.json

mkdir -p bench/results
out=bench/results/scaling_cpu_${commit}.json
"$python" - "$out" "$commit" "$batch" "$reg" "$short" "$long" "$repeats" "$params_json" \
  "$times" <<'PY'
import json, platform, statistics, subprocess, sys
out, commit, batch, reg, short, long_, repeats, params_json, times = sys.argv[1:]
batch, short, long_, repeats = int(batch), int(short), int(long_), int(repeats)
t = {}
for line in open(times):
    key, value = line.split()
    cfg, steps, rep = key.split(",")
    t[(cfg, int(steps), int(rep))] = float(value)
def step(cfg):
    per_run = [(t[(cfg, long_, r)] - t[(cfg, short, r)]) / (long_ - short) for r in range(1, repeats + 1)]
    return statistics.median(per_run), per_run
cpu = "unknown"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
except OSError:
    pass
p = json.load(open(params_json))["parameters"]
trainable = p["generator_trainable"] + p["discriminator_trainable"]
bn = p["generator_bn_statistics"] + p["discriminator_bn_statistics"]
figures = {}
base, _ = step("p1t1")
for cfg, desc in (("p1t1", "1 process, 1 thread"), ("p1t2", "1 process, 2 threads"),
                  ("r2t1", "2 ranks (mpirun), 1 thread each")):
    med, runs = step(cfg)
    figures[cfg] = {"what": desc, "step_seconds_median": med, "step_seconds_runs": runs,
                    "samples_per_second": batch / med, "speedup_vs_1_thread": base / med}
figures["r2t1"]["efficiency"] = figures["r2t1"]["speedup_vs_1_thread"] / 2
figures["p1t2"]["efficiency"] = figures["p1t2"]["speedup_vs_1_thread"] / 2
result = {
    "benchmark": "data-parallel scaling, ZDC training step, CPU",
    "device": {"cpu": cpu, "host": platform.node(),
               "hardware_threads": int(subprocess.run(["nproc"], capture_output=True,
                                                      text=True).stdout.strip())},
    "commit": commit,
    "config": {"data": "zdc (simulator, 400 particles)", "generator": "dcgan", "reg": reg,
               "global_batch": batch, "steps_short": short, "steps_long": long_,
               "repeats": repeats, "sync_batch_norm": False},
    "allreduce_per_step": {
        "gradient_floats": trainable,
        "running_statistic_floats": bn,
        "bytes": 4 * (trainable + bn + 7),
        "note": "float32 gradients of G and D, BN running statistics (per-rank batch norm), "
                "7 step statistics; each in one reduce-scatter + all-gather",
    },
    "figures": figures,
}
json.dump(result, open(out, "w"), indent=2)
print(json.dumps(result, indent=2))
PY
echo "wrote $out" >&2
