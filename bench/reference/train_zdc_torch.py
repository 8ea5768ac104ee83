#!/usr/bin/env python3
"""PyTorch side of the side-by-side ZDC training-step benchmark: the same networks, data, step and
regularizers as the C++ engine (see zdc_torch_step.py), timed per step, written as JSON with the
fields of the engine's `bench/train_zdc` output (implementation "pytorch").

Run (the npz comes from `train_zdc --export-data FILE.npz`):
    /usr/bin/python3 bench/reference/train_zdc_torch.py --data FILE.npz --device cpu|cuda \
        --modes eager,graph,compile --regs none,ms,ds,divco,sdi,divbal --batches 64,128,256 \
        --precision fp32 --warmup 10 --steps 50 --seed 1 --out bench/results/train_zdc_torch_cuda.json
Modes: eager, graph (whole step in one CUDA graph), compile (torch.compile default mode),
compile-max-autotune ("max-autotune-no-cudagraphs"), compile-reduce-overhead. A mode this torch or
device cannot run goes to the JSON's "unavailable" list with the reason. Exit status 1 when a case
failed or gave non-finite losses/gradients (the JSON is still written).
"""
import argparse
import gc
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zdc_torch_step as zs  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
MODES = ("eager", "graph", "compile", "compile-max-autotune", "compile-reduce-overhead")
COMPILE_MODE = {"compile": "default", "compile-max-autotune": "max-autotune-no-cudagraphs",
                "compile-reduce-overhead": "reduce-overhead"}
GRAPH_WARMUP = 3  # eager steps on a side stream before capture, as torch's CUDA-graph notes ask


def csv(kind, allowed=None):
    def parse(s):
        items = [kind(v) for v in s.split(",") if v.strip()]
        bad = [v for v in items if allowed is not None and v not in allowed]
        if bad or not items:
            raise argparse.ArgumentTypeError(f"{s!r}: expected a list from {allowed}")
        return items
    return parse


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="npz with x, c, fdiv, group")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cuda")
    p.add_argument("--modes", type=csv(str, MODES), default=["eager", "graph", "compile"])
    p.add_argument("--regs", type=csv(str, zs.REGS), default=list(zs.REGS))
    p.add_argument("--batches", type=csv(int), default=[64, 128, 256])
    p.add_argument("--precision", choices=("fp32", "tf32"), default="fp32")
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", default=None,
                   help="JSON path (default bench/results/train_zdc_torch_<device>.json)")
    a = p.parse_args()
    if a.steps < 1 or a.warmup < 0 or min(a.batches) < 2:
        p.error("--steps >= 1, --warmup >= 0 and batches >= 2 (BatchNorm needs 2 rows)")
    if a.out is None:
        a.out = os.path.join(REPO, "bench", "results", f"train_zdc_torch_{a.device}.json")
    return a


def mode_unavailable(mode, device):
    """None when `mode` can run here, else the reason it cannot."""
    if mode == "graph":
        if device.type != "cuda":
            return f"CUDA graphs need a CUDA device (this run is on {device.type})"
        if not hasattr(torch.cuda, "graph"):
            return f"torch {torch.__version__} has no torch.cuda.graph"
        if not zs.adam_supports_capturable():
            return f"torch {torch.__version__}: Adam has no capturable=True, its step cannot be captured"
    if mode.startswith("compile"):
        if not hasattr(torch, "compile"):
            return f"torch {torch.__version__} has no torch.compile (added in torch 2.0)"
        if mode == "compile-reduce-overhead" and device.type != "cuda":
            return "reduce-overhead is torch.compile's CUDA-graph mode: needs a CUDA device"
        try:
            import torch._inductor as ind
            opts = ind.list_mode_options() if hasattr(ind, "list_mode_options") else None
        except Exception:  # noqa: BLE001 - an inductor that will not import cannot compile either
            opts = None
        if opts is not None and COMPILE_MODE[mode] != "default" and COMPILE_MODE[mode] not in opts:
            return f"torch {torch.__version__}: torch.compile has no mode {COMPILE_MODE[mode]!r}"
    return None


def capture_graph(tr):
    """The whole step (sampling, RNG, both passes, both Adam steps) as one CUDA graph."""
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(GRAPH_WARMUP):
            tr.step()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        static_losses = tr.step()

    def replay():
        graph.replay()
        return static_losses
    return replay, graph


def count_kernels(step):
    """Kernels one step runs on the device, from torch.profiler's CUDA-side events (copies and
    memsets not counted). In graph mode these are the kernels the replay runs, not host calls."""
    from torch.autograd import DeviceType
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        step()
        torch.cuda.synchronize()
    events = list(prof.events())
    n = sum(1 for e in events if getattr(e, "device_type", None) == DeviceType.CUDA
            and not e.name.lower().startswith(("memcpy", "memset")))
    if n == 0:  # no device-side trace (CUPTI off): count host launch calls instead
        n = sum(1 for e in events if e.name in ("cudaLaunchKernel", "cuLaunchKernel",
                                                 "cudaLaunchKernelExC", "cudaGraphLaunch"))
    return n if n > 0 else None


def finite_or_none(t):
    if t is None:
        return None
    v = float(t)
    return v if math.isfinite(v) else None


def run_case(data, reg, batch, mode, args, device):
    cuda = device.type == "cuda"
    gc.collect()
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    torch.manual_seed(args.seed)
    tr = zs.Trainer(data, reg, batch, device, capturable=(mode == "graph"))
    step, graph, warmup = tr.step, None, args.warmup
    if mode.startswith("compile"):
        torch._dynamo.reset()
        tr.g_net = torch.compile(tr.g, mode=COMPILE_MODE[mode])
        tr.d_net = torch.compile(tr.d, mode=COMPILE_MODE[mode])
        # D sees B, 2B (and 12B) rows: every shape, and so every recompilation, lands in warm-up.
        warmup = max(warmup, 3)
        if mode == "compile-reduce-overhead" and hasattr(torch, "compiler") \
                and hasattr(torch.compiler, "cudagraph_mark_step_begin"):
            def marked_step(step_fn=tr.step):
                torch.compiler.cudagraph_mark_step_begin()
                return step_fn()
            step = marked_step
    if mode == "graph":
        step, graph = capture_graph(tr)
    # Eager on CUDA: torch warns about any op in the step that waits for the device, which
    # would make the timings measure host round trips rather than the work.
    sync_debug = cuda and mode == "eager" and hasattr(torch.cuda, "set_sync_debug_mode")
    if sync_debug:
        torch.cuda.set_sync_debug_mode("warn")
    try:
        for _ in range(warmup):
            step()
    finally:
        if sync_debug:
            torch.cuda.set_sync_debug_mode(0)
    if cuda:
        torch.cuda.synchronize()
        events = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True))
                  for _ in range(args.steps)]
        for start, end in events:
            start.record()
            losses = step()
            end.record()
        torch.cuda.synchronize()
        times = [start.elapsed_time(end) for start, end in events]
    else:
        times = []
        for _ in range(args.steps):
            t0 = time.perf_counter()
            losses = step()
            times.append((time.perf_counter() - t0) * 1e3)
    # Host reads only now, after timing.
    loss_d, loss_adv, loss_div = (finite_or_none(t) for t in losses)
    finite = loss_d is not None and loss_adv is not None and \
        (loss_div is not None or losses[2] is None) and tr.grads_finite()
    peak = int(torch.cuda.max_memory_allocated()) if cuda else None
    launches = None
    if cuda:
        try:
            launches = count_kernels(step)
        except Exception as e:  # noqa: BLE001 - a profiler problem must not lose the timings
            print(f"warning: kernel count failed for {reg}/{batch}/{mode}: {e}", file=sys.stderr)
    med = float(np.median(times))
    res = {"regularizer": reg, "batch": batch, "mode": mode, "precision": args.precision,
           "step_ms_median": med, "step_ms_p10": float(np.percentile(times, 10)),
           "step_ms_p90": float(np.percentile(times, 90)), "samples_per_s": batch / (med / 1e3),
           "peak_device_bytes": peak, "kernel_launches_per_step": launches,
           "reg_extra_ms": None, "reg_share": None,
           "losses_last": {"d": loss_d, "g_adv": loss_adv, "div": loss_div}}
    return res, finite  # the trainer and any graph are freed with this frame


def add_reg_share(results):
    base = {(r["mode"], r["batch"], r["precision"]): r["step_ms_median"]
            for r in results if r["regularizer"] == "none"}
    for r in results:
        key = (r["mode"], r["batch"], r["precision"])
        if r["regularizer"] != "none" and key in base:
            r["reg_extra_ms"] = r["step_ms_median"] - base[key]
            r["reg_share"] = r["reg_extra_ms"] / r["step_ms_median"]


def device_info(device):
    info = {"kind": device.type, "name": None, "torch": torch.__version__,
            "cuda": torch.version.cuda if device.type == "cuda" else None,
            "cudnn": (torch.backends.cudnn.version() if device.type == "cuda"
                      and torch.backends.cudnn.is_available() else None),
            "cpu_threads": torch.get_num_threads()}
    if device.type == "cuda":
        info["name"] = torch.cuda.get_device_name(device)
    else:
        try:
            with open("/proc/cpuinfo") as f:
                info["name"] = next(l.split(":", 1)[1].strip() for l in f
                                    if l.startswith("model name"))
        except (OSError, StopIteration):
            info["name"] = platform.processor() or platform.machine()
    return info


def git_commit():
    try:
        return subprocess.run(["git", "-C", REPO, "rev-parse", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip() or "unknown"
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def write_json_atomic(path, obj):
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp_", suffix=".json", dir=folder)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, indent=2, allow_nan=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def print_table(results):
    print("| regularizer | batch | mode | median ms | samples/s | peak MiB | launches | reg share |")
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    for r in results:
        peak = None if r["peak_device_bytes"] is None else r["peak_device_bytes"] / 2**20
        share = None if r["reg_share"] is None else 100 * r["reg_share"]
        print(f"| {r['regularizer']} | {r['batch']} | {r['mode']} | {r['step_ms_median']:.3f} | "
              f"{r['samples_per_s']:.1f} | {fmt(peak, '.1f')} | "
              f"{fmt(r['kernel_launches_per_step'], 'd')} | "
              f"{'-' if share is None else f'{share:.1f}%'} |")


def main():
    args = parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("--device cuda: torch sees no CUDA device (torch.cuda.is_available() is False)")
    device = torch.device(args.device)
    if args.device == "cpu":
        # Every core, as our engine's CPU path uses (some builds default to one thread).
        torch.set_num_threads(os.cpu_count() or 1)
    tf32 = args.precision == "tf32"
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    torch.backends.cudnn.benchmark = True

    ng, nd = zs.sanity_check(device)
    data = zs.DeviceData(args.data, device)
    print(f"# G {ng:,} / D {nd:,} parameters; data {data.n} rows, {data.n_groups} groups, "
          f"{data.nbytes / 2**20:.1f} MiB on {args.device}; torch {torch.__version__}",
          file=sys.stderr)

    unavailable, modes = [], []
    for m in args.modes:
        why = mode_unavailable(m, device)
        if why:
            print(f"# mode {m} skipped: {why}", file=sys.stderr)
            unavailable.append({"mode": m, "reason": why})
        else:
            modes.append(m)

    results, ok = [], True
    for reg in args.regs:
        for b in args.batches:
            for m in modes:
                try:
                    res, finite = run_case(data, reg, b, m, args, device)
                except Exception as e:  # noqa: BLE001 - record the failure, go on to the next case
                    ok = False
                    why = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
                    print(f"# FAILED {reg} batch {b} {m}: {why}", file=sys.stderr)
                    unavailable.append({"mode": m, "regularizer": reg, "batch": b, "reason": why})
                    continue
                if not finite:
                    ok = False
                    print(f"# NON-FINITE losses or gradients: {reg} batch {b} {m}: "
                          f"{res['losses_last']}", file=sys.stderr)
                print(f"# {reg} batch {b} {m}: {res['step_ms_median']:.3f} ms "
                      f"(p10 {res['step_ms_p10']:.3f}, p90 {res['step_ms_p90']:.3f}) "
                      f"losses {res['losses_last']}", file=sys.stderr)
                results.append(res)
    add_reg_share(results)

    doc = {"benchmark": "train_zdc", "implementation": "pytorch", "device": device_info(device),
           "commit": git_commit(),
           "config": {"generator": "original", "precision": args.precision,
                      "warmup": args.warmup, "steps": args.steps, "seed": args.seed,
                      "data": args.data, "data_rows": data.n, "cudnn_benchmark": True,
                      "lambda": {r: zs.LAMBDA[r] for r in zs.REGS if r != "none"},
                      "allow_tf32_matmul": torch.backends.cuda.matmul.allow_tf32,
                      "allow_tf32_cudnn": torch.backends.cudnn.allow_tf32,
                      "data_groups": data.n_groups, "data_device_bytes": data.nbytes,
                      "graph_side_stream_warmup": GRAPH_WARMUP,
                      "adam": "torch default implementation; capturable=True in graph mode",
                      "compile_modes": {m: COMPILE_MODE[m] for m in modes if m in COMPILE_MODE}},
           "results": results, "unavailable": unavailable}
    write_json_atomic(args.out, doc)
    print_table(results)
    print(f"# wrote {args.out}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
