#!/usr/bin/env bash
# The side-by-side training-step benchmark in one go: exports the simulator's training split,
# runs bench/train_zdc (our engine) and bench/reference/train_zdc_torch.py (PyTorch: eager, CUDA
# graph, torch.compile) on the same data, batches and precisions, then prints the side-by-side
# table with ratios (bench/reference/compare.py) and saves it beside the JSON in bench/results/.
#
#   bench/run_train_zdc.sh                      # on a GPU machine: B = 64,128,256, FP32 and TF32
#   DEVICE=cpu BATCHES=16 BENCH_STEPS=3 BENCH_WARMUP=1 bench/run_train_zdc.sh     # the CPU record
#   BUILD_DIR=build-gpu PYTHON=python3 ...      # which build and which Python (with torch)
#
# The PyTorch side is skipped with a message when the Python has no torch (or, on a GPU run, no
# CUDA torch); our side still runs and writes its JSON.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
device=${DEVICE:-cuda}
batches=${BATCHES:-64,128,256}
precisions=${PRECISIONS:-fp32,tf32}
regs=${REGS:-none,ms,ds,divco,sdi,divbal}
# Not STEPS: bench/run_gpu.sh uses that name for its own list of steps.
steps=${BENCH_STEPS:-50}
warmup=${BENCH_WARMUP:-10}
particles=${SIM_PARTICLES:-2000}
python=${PYTHON:-python3}
results=bench/results
stamp=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)_$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$results"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
data=$tmp/zdc_train.npz
ours=$results/train_zdc_${device}_${stamp}.json
rc=0

"$build/train_zdc" --export-data "$data" --sim-particles "$particles" || exit 1
modes=eager
[ "$device" = cuda ] && modes=eager,graph
"$build/train_zdc" --device "$device" --regs "$regs" --batches "$batches" --modes "$modes" \
  --precisions "$precisions" --steps "$steps" --warmup "$warmup" --sim-particles "$particles" \
  --out "$ours" || rc=1

# Before/after of the dropout + leaky-ReLU fusion: the plain and DivBal steps at B = 128 (the first
# batch size on the CPU), eager, unfused; compare with the fused eager rows above.
fusion_batch=128
[ "$device" = cpu ] && fusion_batch=${batches%%,*}
"$build/train_zdc" --device "$device" --regs none,divbal --batches "$fusion_batch" --modes eager \
  --precisions fp32 --steps "$steps" --warmup "$warmup" --sim-particles "$particles" --no-fusion \
  --no-generation --out "$results/train_zdc_${device}_nofusion_${stamp}.json" || rc=1

# The same step with cuDNN's convolutions and batch norm (the engine's baseline backend) at
# B = 128: the hand-written im2col path against implicit-GEMM cuDNN, eager and graph, FP32 and TF32.
if [ "$device" = cuda ]; then
  DG_CUDNN=1 "$build/train_zdc" --device cuda --regs "$regs" --batches 128 --modes eager,graph \
    --precisions "$precisions" --steps "$steps" --warmup "$warmup" --sim-particles "$particles" \
    --no-generation --out "$results/train_zdc_cuda_cudnn_${stamp}.json" || rc=1
fi

torch_jsons=()
if "$python" -c "import torch, sys; sys.exit(0 if ('$device' == 'cpu' or torch.cuda.is_available()) else 1)" 2>/dev/null; then
  IFS=, read -r -a plist <<< "$precisions"
  for p in "${plist[@]}"; do
    out=$results/train_zdc_torch_${device}_${p}_${stamp}.json
    "$python" bench/reference/train_zdc_torch.py --data "$data" --device "$device" \
      --modes eager,graph,compile --regs "$regs" --batches "$batches" --precision "$p" \
      --steps "$steps" --warmup "$warmup" --out "$out" && torch_jsons+=("$out") || rc=1
  done
else
  echo "PyTorch side skipped: '$python' has no torch$([ "$device" = cuda ] && echo ' with CUDA')"
fi

if [ -f "$ours" ] && [ ${#torch_jsons[@]} -gt 0 ]; then
  "$python" bench/reference/compare.py "$ours" "${torch_jsons[@]}" | tee "$results/train_zdc_side_by_side_${device}_${stamp}.md"
fi
exit $rc
