#!/usr/bin/env python3
"""Generation speed, side by side in one run: divgan's inference library (bench/generate_zdc)
against onnxruntime on the model `divgan export` wrote from the same checkpoint, with the same
thread count, batch size, latents-given work and log1p output.

For each generator (original, DCGAN), thread count and batch size the two are timed in alternating
rounds (ours, onnxruntime, ours, ...), each round a median over --repeats calls after warm-up; the
figure per side is the median of its round medians. onnxruntime runs with intra_op_num_threads =
threads, one inter-op thread, sequential execution, all graph optimizations. The JSON records both
sides' medians, the ratio onnxruntime / divgan (> 1: divgan is faster), onnxruntime's own per-node
profile and ours per layer type (generate_zdc --layers) for the smallest and largest case (where
the time goes), the commit and the CPU.

Usage: onnx_vs_divgan.py --build build [--threads 1,2] [--batches 1,256] [--out FILE]
Needs onnxruntime (tests/test_onnx.sh's virtual environment has it: build/onnx-venv/bin/python).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

ROOT = Path(__file__).resolve().parents[2]


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def ours(build, ckpt, batch, threads, repeats, warmup, layers=False):
    out = run([str(build / "generate_zdc"), "--checkpoint", str(ckpt), "--batch", str(batch),
               "--threads", str(threads), "--repeats", str(repeats), "--warmup", str(warmup)]
              + (["--layers"] if layers else []))
    return json.loads(out)


def our_layers(build, ckpt, threads, batch):
    """Our per-layer-type time (ms per call, summed over layers of a type) for one case."""
    per_type = {}
    for layer in ours(build, ckpt, batch, threads, 5, 2, layers=True)["layers"]:
        per_type[layer["type"]] = per_type.get(layer["type"], 0.0) + layer["median_ms"]
    return {t: round(v, 4) for t, v in sorted(per_type.items(), key=lambda kv: -kv[1])}


def session(model, threads, profile_prefix=None):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if profile_prefix:
        so.enable_profiling = True
        so.profile_file_prefix = profile_prefix
    return ort.InferenceSession(str(model), so, providers=["CPUExecutionProvider"])


def theirs(sess, batch, repeats, warmup):
    rng = np.random.default_rng(1)
    feed = {"noise": rng.standard_normal((batch, 10)).astype(np.float32),
            "conditions": rng.standard_normal((batch, 9)).astype(np.float32) * 0.1}
    for _ in range(warmup):
        sess.run(None, feed)
    ms = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        sess.run(None, feed)
        ms.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ms)


def profile(model, threads, batch, work):
    """onnxruntime's per-node-type time (ms per call) for one case."""
    prefix = str(work / "ort_profile")
    sess = session(model, threads, prefix)
    theirs(sess, batch, 20, 3)
    path = sess.end_profiling()
    per_op = {}
    calls = 0
    for ev in json.load(open(path)):
        if ev.get("cat") == "Session" and ev.get("name") == "model_run":
            calls += 1
        if ev.get("cat") == "Node" and ev.get("name", "").endswith("_kernel_time"):
            op = ev.get("args", {}).get("op_name", "?")
            per_op[op] = per_op.get(op, 0.0) + ev["dur"] / 1e3
    calls = max(calls, 1)
    return {op: round(v / calls, 4) for op, v in sorted(per_op.items(), key=lambda kv: -kv[1])}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--batches", default="1,256")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    build = Path(args.build).resolve()
    threads = [int(t) for t in args.threads.split(",")]
    batches = [int(b) for b in args.batches.split(",")]
    divgan = build / "divgan"

    work = Path(tempfile.mkdtemp(prefix="onnx_vs_divgan."))
    results = []
    profiles = {}
    info = None
    for arch in ["original", "dcgan"]:
        ckpt_dir = work / arch
        run([str(divgan), "train", "--data", "zdc", "--generator", arch, "--sim-particles", "20",
             "--batch", "4", "--steps", "1", "--quiet", "--out", str(ckpt_dir)])
        ckpt = ckpt_dir / "checkpoint.safetensors"
        model = work / f"{arch}.onnx"
        run([str(divgan), "export", "--checkpoint", str(ckpt), "--out", str(model), "--no-scales"])
        for t in threads:
            sess = session(model, t)
            for b in batches:
                repeats = 30 if b == 1 else 6
                warmup = 5 if b == 1 else 2
                mine, other = [], []
                for _ in range(args.rounds):
                    j = ours(build, ckpt, b, t, repeats, warmup)
                    info = info or j
                    mine.append(j["median_ms"])
                    other.append(theirs(sess, b, repeats, warmup))
                m, o = statistics.median(mine), statistics.median(other)
                row = {"generator": arch, "threads": t, "batch": b,
                       "divgan_ms": round(m, 4), "onnxruntime_ms": round(o, 4),
                       "divgan_showers_per_s": round(1e3 * b / m, 1),
                       "onnxruntime_showers_per_s": round(1e3 * b / o, 1),
                       "ratio_onnxruntime_over_divgan": round(o / m, 3),
                       "divgan_round_medians_ms": [round(x, 4) for x in mine],
                       "onnxruntime_round_medians_ms": [round(x, 4) for x in other]}
                results.append(row)
                print(f"{arch:8s} threads {t} batch {b:4d}: divgan {m:9.3f} ms, onnxruntime "
                      f"{o:9.3f} ms, ratio {o / m:5.2f}", flush=True)
        profiles[arch] = {}
        for t, b in [(threads[-1], batches[-1]), (threads[0], batches[0])]:
            profiles[arch][f"threads {t} batch {b}"] = {
                "onnxruntime": profile(model, t, b, work),
                "divgan": our_layers(build, ckpt, t, b)}

    doc = {"benchmark": "onnx_vs_divgan", "git": info["git"], "time_utc": info["time_utc"],
           "cpu": info["cpu"], "device": "cpu", "divgan_version": info["version"],
           "onnxruntime_version": ort.__version__,
           "config": {"rounds": args.rounds, "threads": threads, "batches": batches,
                      "work": "given latents, log1p output, one call per batch",
                      "onnxruntime": "intra_op_num_threads = threads, inter_op 1, sequential, "
                                     "ORT_ENABLE_ALL",
                      "checkpoints": "one-step ZDC checkpoints (speed does not depend on training)"},
           "results": results, "profile_ms_per_call": profiles}
    out = args.out or str(ROOT / "bench" / "results" /
                          f"onnx_vs_divgan_cpu_{info['git']['commit'][:12]}_{info['time_utc'].replace(':', '').replace('-', '')}.json")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
    os.replace(tmp, out)
    print(f"wrote {out}")


if __name__ == "__main__":
    sys.exit(main())
