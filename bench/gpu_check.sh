#!/usr/bin/env bash
# The one device check: everything a first (or any) GPU session must learn, in one call of at most
# 8 minutes on a bare GPU machine, from binaries built elsewhere by bench/gpu_prepare.sh (.gpu/).
#
#   bench/gpu_check.sh OUTDIR        (OUTDIR: where the results land; default $OUT, else ./gpu_check)
#
# Stages, each under its own time cap (a stage that hangs costs only its cap) and inside one global
# budget (GPU_CHECK_BUDGET_S, default 450 s):
#   info      GPU, driver, nvcc, compute-sanitizer, torch; the folders holding libcublas.so.13 and
#             libcudnn*.so.9 on this machine (put on LD_LIBRARY_PATH); what the binaries miss
#   start     the carried binaries start; if not, a fallback build here from .gpu/deps (capped)
#   tests     every GPU test case of dg_tests
#   memcheck  compute-sanitizer memcheck over the riskiest GPU tests (gather, cuDNN, graph capture,
#             the ZDC step, the graph-replayed step), three capped runs
#   ours      bench/train_zdc at B = 128: none, divbal and paper 004's sparsity / all tips on the
#             plain step, eager and graph, FP32 and TF32, the
#             hand-written convolutions and cuDNN's; generation throughput FP32/TF32/BF16
#   torch     the PyTorch reference on the same data: eager and CUDA graph, then torch.compile
#   summary   one screen: tests passed/failed/skipped, sanitizer errors, the side-by-side table
# After every stage the work folder is packed into OUTDIR/gpu_check.tar.gz and OUTDIR/summary.txt
# is rewritten, so whatever stops the script, what it learned so far is in OUTDIR (three files:
# summary.txt, summary.json, gpu_check.tar.gz). Without a GPU it runs a dry run (the same
# plumbing on the CPU, tiny sizes) and says "no GPU" in the summary.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=${1:-${OUT:-$root/gpu_check}}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)     # logs and JSON: packed into OUTDIR after every stage
scratch=$(mktemp -d)  # the exported training data (tens of MB): not packed
trap 'rm -rf "$work" "$scratch"' EXIT
budget=${GPU_CHECK_BUDGET_S:-450}
t_start=$SECONDS
export PATH=/usr/local/cuda/bin:$PATH
export PYTHONUNBUFFERED=1
bin=$root/.gpu/bin
py=${PYTHON:-python3}  # the Python with torch (on the GPU image: python3)
stages=$work/stages.tsv  # name, rc, seconds, capped (1/0), note
: >"$stages"

left() { echo $((budget - (SECONDS - t_start))); }
pack() {
  tar czf "$out/gpu_check.tar.gz.tmp" -C "$work" . 2>/dev/null && mv "$out/gpu_check.tar.gz.tmp" "$out/gpu_check.tar.gz"
  "$py" "$root/bench/gpu_check_summary.py" "$work" "$out" >/dev/null 2>&1 || true
}
# stage NAME CAP CMD...: runs CMD with a time cap (never past the global budget), output to
# work/NAME.log; records rc, seconds and whether the cap stopped it; packs the results.
stage() {
  local name=$1 cap=$2; shift 2
  local rest; rest=$(left)
  [ "$cap" -gt $((rest - 10)) ] && cap=$((rest - 10))
  if [ "$cap" -le 5 ]; then
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" skip 0 0 "no time left in the budget" >>"$stages"
    echo "=== $name: skipped, no time left"
    return 1
  fi
  echo "=== $name (cap ${cap}s): $*"
  local t0=$SECONDS
  timeout -k 5 "$cap" "$@" >"$work/$name.log" 2>&1
  local rc=$?
  local capped=0
  [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && capped=1
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$rc" "$((SECONDS - t0))" "$capped" "" >>"$stages"
  tail -3 "$work/$name.log" | sed 's/^/    /'
  pack
  return "$rc"
}
note() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" 0 0 "$3" >>"$stages"; echo "=== $1: $3"; }

# ---- info: the machine, and where the shared CUDA libraries are.
gpu=0
if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then gpu=1; fi
find_lib_dirs() {  # folders holding libcublas.so.13 / libcublasLt.so.13 / libcudnn*.so.9
  local roots=(/usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/lib/x86_64-linux-gnu)
  local site
  for site in $("$py" -c 'import site, sys; print(" ".join(site.getsitepackages() + [site.getusersitepackages()]))' 2>/dev/null) \
    /opt/torch/.venv/lib/python3*/site-packages /usr/local/lib/python3*/dist-packages; do
    [ -d "$site/nvidia" ] && roots+=("$site/nvidia")
  done
  find "${roots[@]}" -maxdepth 3 \( -name 'libcublas.so.13*' -o -name 'libcublasLt.so.13*' -o -name 'libcudnn.so.9*' \
    -o -name 'libcudnn_*.so.9*' \) 2>/dev/null | xargs -r -n1 dirname | sort -u
}
info() {
  echo "date_utc: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown); binaries built from: $(tr '\n' ' ' <"$root/.gpu/commit" 2>/dev/null || echo 'no .gpu/commit')"
  echo "gpu_present: $gpu"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm,clocks.mem,power.draw,temperature.gpu \
    --format=csv 2>&1 || echo "nvidia-smi: not available"
  echo "nvcc: $(nvcc --version 2>/dev/null | tail -1 || echo 'not found')"
  echo "compute-sanitizer: $(compute-sanitizer --version 2>/dev/null | tail -1 || echo 'not found')"
  echo "python: $("$py" --version 2>&1); torch: $("$py" -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' 2>&1 | tail -1)"
  echo "library folders (libcublas.so.13, libcudnn*.so.9):"
  cat "$work/libdirs.txt" | sed 's/^/  /'
  for b in "$bin"/dg_tests "$bin"/train_zdc; do
    [ -x "$b" ] || { echo "missing binary: $b (run bench/gpu_prepare.sh where the build tools are)"; continue; }
    echo "ldd $(basename "$b"):"
    ldd "$b" 2>&1 | grep -E 'not found|cublas|cudnn|libz|libstdc' | sed 's/^/  /'
  done
}
find_lib_dirs >"$work/libdirs.txt"
while read -r d; do [ -n "$d" ] && LD_LIBRARY_PATH=$d:${LD_LIBRARY_PATH:-}; done <"$work/libdirs.txt"
export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}
info >"$work/info.log" 2>&1
printf '%s\t%s\t%s\t%s\t%s\n' info 0 0 0 "" >>"$stages"
cat "$work/info.log"
pack

# ---- start: the carried binaries run here, or a fallback build does.
starts() { "$bin/dg_tests" -ltc >/dev/null 2>&1 && "$bin/train_zdc" --help >/dev/null 2>&1; }
if starts; then
  note start 0 "carried binaries start"
else
  echo "=== start: the carried binaries do not start here; fallback build from .gpu/deps"
  ("$bin/dg_tests" -ltc 2>&1 | head -5) >"$work/start_error.log"
  cudnn_args=()
  cudnn_so=$(find $(cat "$work/libdirs.txt") -maxdepth 1 -name 'libcudnn.so.9*' 2>/dev/null | head -1)
  cudnn_inc=$(find "$(dirname "${cudnn_so:-/nonexistent}")/.." -maxdepth 2 -name cudnn.h 2>/dev/null | head -1)
  [ -n "$cudnn_so" ] && [ -n "$cudnn_inc" ] &&
    cudnn_args=(-DDG_CUDNN_LIBRARY="$cudnn_so" -DDG_CUDNN_INCLUDE_DIR="$(dirname "$cudnn_inc")")
  export LD_LIBRARY_PATH=$root/.gpu/deps/lib:$LD_LIBRARY_PATH
  stage configure 60 cmake -S "$root" -B "$root/build-gpu" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DDG_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90-real -DDG_NATIVE=OFF -DDG_HDF5=OFF -DDG_MPI=OFF -DDG_NCCL=OFF \
    -DCMAKE_PREFIX_PATH="$root/.gpu/deps" -DCMAKE_CXX_FLAGS="-I$root/.gpu/deps/include" \
    -DCMAKE_CUDA_FLAGS="-I$root/.gpu/deps/include" "${cudnn_args[@]}" &&
    stage build 240 cmake --build "$root/build-gpu" --parallel "$(nproc)" --target dg_tests train_zdc &&
    bin=$root/build-gpu
  starts || { note start 1 "no runnable binaries (see start_error.log and build.log)"; pack; }
fi

# ---- tests: every GPU test case.
gpu_tests_filter="gpu:*"
stage tests 110 "$bin/dg_tests" -tc="$gpu_tests_filter" -tc="device discovery*"

# ---- memcheck over the riskiest GPU tests.
if [ "$gpu" = 1 ] && command -v compute-sanitizer >/dev/null; then
  san=(compute-sanitizer --tool memcheck --error-exitcode 1 --print-limit 20 "$bin/dg_tests")
  stage memcheck_small 35 "${san[@]}" -tc="gpu: gather*,gpu: cudnn conv2d and conv_transpose2d on small*,gpu: cudnn batch_norm*,gpu: graph capture refuses*,gpu: dropout*"
  stage memcheck_zdc_step 35 "${san[@]}" -tc="gpu: zdc*"
  stage memcheck_graph 35 "${san[@]}" -tc="gpu: graph-replayed*"
else
  note memcheck skip "not run: $([ "$gpu" = 1 ] && echo 'compute-sanitizer not found' || echo 'no GPU')"
fi

# ---- ours: the training step and generation (on the CPU, tiny, when there is no GPU).
data=$scratch/zdc_train.npz
if [ "$gpu" = 1 ]; then
  dev=cuda; size=(--batches 128 --steps 30 --warmup 5); modes=eager,graph; torch_size=(--batches 128 --steps 30 --warmup 5)
else
  dev=cpu; size=(--batches 4 --steps 2 --warmup 1 --gen-batch 8 --gen-reps 1 --ws-showers 16); modes=eager
  torch_size=(--batches 4 --steps 2 --warmup 1)
fi
common=(--regs none,divbal --tips sparsity,all "${size[@]}" --modes "$modes" --precisions fp32,tf32 --sim-particles 2000)
stage export_data 30 "$bin/train_zdc" --export-data "$data" --sim-particles 2000
stage ours 60 "$bin/train_zdc" --device "$dev" "${common[@]}" --out "$work/train_zdc_ours.json"
if [ "$dev" = cuda ]; then
  stage ours_cudnn 40 env DG_CUDNN=1 "$bin/train_zdc" --device cuda "${common[@]}" --no-generation \
    --out "$work/train_zdc_ours_cudnn.json"
fi

# ---- torch: the same step in PyTorch, eager and CUDA graph first (quick), then torch.compile.
if [ -f "$data" ] && "$py" -c "import torch, sys; sys.exit(0 if ('$dev' == 'cpu' or torch.cuda.is_available()) else 1)" 2>/dev/null; then
  torch=("$py" "$root/bench/reference/train_zdc_torch.py" --data "$data" --device "$dev" --regs none,divbal "${torch_size[@]}")
  torch_modes=eager,graph; [ "$dev" = cpu ] && torch_modes=eager
  stage torch_fp32 45 "${torch[@]}" --modes "$torch_modes" --precision fp32 --out "$work/train_zdc_torch_fp32.json"
  stage torch_tf32 35 "${torch[@]}" --modes "$torch_modes" --precision tf32 --out "$work/train_zdc_torch_tf32.json"
  if [ "$dev" = cuda ]; then
    stage torch_compile_fp32 80 "${torch[@]}" --modes compile --precision fp32 --out "$work/train_zdc_torch_fp32_compile.json"
    stage torch_compile_tf32 60 "${torch[@]}" --modes compile --precision tf32 --out "$work/train_zdc_torch_tf32_compile.json"
  fi
else
  note torch skip "not run: $([ -f "$data" ] && echo "$py has no torch$([ "$dev" = cuda ] && echo ' with CUDA')" || echo 'no exported data (stage ours failed)')"
fi

# ---- summary.
pack
"$py" "$root/bench/gpu_check_summary.py" "$work" "$out"
echo "(results: $out/summary.txt, $out/summary.json, $out/gpu_check.tar.gz; $((SECONDS - t_start)) s)"
