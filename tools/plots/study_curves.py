#!/usr/bin/python3
"""Learning curves of a study over seeds: one line per arm and lambda (mean over seeds, a band
from the lowest to the highest seed), from the periodic evaluations (`--eval-every`) and the
step diagnostics every run logs in its metrics.jsonl.

Usage:
    study_curves.py STUDY_DIR OUT_PNG [--json OUT_JSON] [--arms A,B,...]

STUDY_DIR holds study.json (written by `divgan studyzdc` or `divgan study2d`); each run's folder
its metrics.jsonl. ZDC panels: test mean channel Wasserstein, occupancy Wasserstein, generated
empty fraction of the charged particles (the real one dashed), diversity error, D's feature scale
(mean |e| on the real batch) and the mean generated log1p value. 2D panels: test Wasserstein and
generated / real variance per spread, D's feature scale and G's adversarial loss. --arms keeps the
named arms (`divbal`, `divbal+aux`, ...). --json writes the plotted figures (mean, min, max per
step) for tables, and per arm the plateau: the first evaluation after which the mean over seeds of
the test figure (ZDC: mean channel WS; 2D: W0 + W1), smoothed over 3 evaluations, never improves
by more than 5% again.
On bad input prints one line `study_curves: error: FILE: what is wrong` and exits 1; the PNG and
JSON are written under temporary names and renamed, so no half file is left.
"""
import json
import math
import os
import sys

import numpy as np
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)


def fail(where, what):
    print(f"study_curves: error: {where}: {what}", file=sys.stderr)
    sys.exit(1)


def finite(a):
    """A list with NaN as None (JSON null)."""
    return [float(x) if math.isfinite(x) else None for x in a]


def arm_name(run):
    return run["reg"] + ("+" + run["tip"] if run.get("tip") else "")


def read_metrics(path):
    """{step: line} of the lines with a periodic evaluation, and [(step, line)] of the logged
    diagnostics."""
    evals, diag = {}, []
    try:
        with open(path) as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    j = json.loads(line)
                except json.JSONDecodeError as e:
                    fail(path, f"line {n} is not JSON ({e.msg})")
                if not isinstance(j, dict) or not isinstance(j.get("step"), int):
                    fail(path, f"line {n} has no integer 'step'")
                if isinstance(j.get("eval"), dict):
                    evals[j["step"]] = j["eval"]
                if "d_feature_scale" in j:
                    diag.append((j["step"], j))
    except OSError as e:
        fail(path, f"cannot read ({e.strerror})")
    return evals, diag


def number(v):
    return float(v) if isinstance(v, (int, float)) and math.isfinite(v) else float("nan")


# (title, source, key): source "eval" reads the periodic test evaluation, "diag" the step lines.
PANELS = [
    ("test mean channel WS", "eval", lambda e: number(e.get("ws_mean"))),
    ("occupancy WS", "eval", lambda e: number(e.get("occupancy_ws"))),
    ("charged: empty fraction (dashed: real)", "eval",
     lambda e: number(((e.get("empty_fraction") or {}).get("charged") or {}).get("generated"))),
    ("diversity error", "eval", lambda e: number(e.get("diversity_error"))),
    ("D feature scale (mean |e|, real batch)", "diag", lambda j: number(j.get("d_feature_scale"))),
    ("mean generated log1p value", "diag", lambda j: number(j.get("fake_mean"))),
]


def ratio(e, spread):
    return number(e.get(f"variance_spread{spread}")) / number(e.get(f"real_variance_spread{spread}"))


PANELS_2D = [
    ("test Wasserstein, spread 0", "eval", lambda e: number(e.get("wasserstein_spread0"))),
    ("test Wasserstein, spread 1", "eval", lambda e: number(e.get("wasserstein_spread1"))),
    ("generated / real variance, spread 0", "eval", lambda e: ratio(e, 0)),
    ("generated / real variance, spread 1", "eval", lambda e: ratio(e, 1)),
    ("D feature scale (mean |e|, real batch)", "diag", lambda j: number(j.get("d_feature_scale"))),
    ("G adversarial loss", "diag", lambda j: number(j.get("loss_g_adv"))),
]


def plateau(steps, values):
    """The first step after which the (3-point smoothed) curve never improves by more than 5%."""
    v = np.convolve(np.pad(values, 1, mode="edge"), np.ones(3) / 3, mode="valid")
    for i in range(len(v)):
        if np.all(v[i:] >= 0.95 * v[i]):
            return steps[i]
    return steps[-1] if steps else None


def series(runs, source, key):
    """Steps present in every run, and the (runs, steps) array of values."""
    per_run = []
    for r in runs:
        if source == "eval":
            per_run.append({s: key(e) for s, e in r["evals"].items()})
        else:
            per_run.append({s: key(j) for s, j in r["diag"]})
    steps = sorted(set.intersection(*(set(p) for p in per_run))) if per_run else []
    return steps, np.array([[p[s] for s in steps] for p in per_run])


def main(argv):
    args = argv[1:]
    out_json, arms_keep = None, None
    while len(args) > 2 and args[-2] in ("--json", "--arms"):
        if args[-2] == "--json":
            out_json = args[-1]
        else:
            arms_keep = set(args[-1].split(","))
        args = args[:-2]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    study_dir, out_png = args
    study_path = os.path.join(study_dir, "study.json")
    try:
        with open(study_path) as f:
            study = json.load(f)
    except OSError as e:
        fail(study_path, f"cannot read ({e.strerror}); expected a divgan studyzdc or study2d folder")
    except json.JSONDecodeError as e:
        fail(study_path, f"not JSON ({e.msg})")
    if not isinstance(study.get("runs"), list):
        fail(study_path, "no 'runs' list; expected study.json of divgan studyzdc or study2d")

    groups = {}
    for run in study["runs"]:
        if not run.get("ok"):
            continue
        arm = arm_name(run)
        if arms_keep is not None and arm not in arms_keep:
            continue
        label = arm if run["reg"] == "none" else f"{arm} λ={run['lambda']:g}"
        d = run["dir"]
        if not os.path.exists(d):  # a study moved since: <arm>/lambda_<l>/seed_<s> under it
            d = os.path.join(study_dir, *os.path.normpath(d).split(os.sep)[-3:])
        evals, diag = read_metrics(os.path.join(d, "metrics.jsonl"))
        groups.setdefault(label, []).append({"evals": evals, "diag": diag})
    if not groups:
        fail(study_path, "no finished run (or none of --arms)")

    real_charged = []
    for runs in groups.values():
        for r in runs:
            for e in r["evals"].values():
                v = number(((e.get("empty_fraction") or {}).get("charged") or {}).get("real"))
                if math.isfinite(v):
                    real_charged.append(v)

    two_d = any("wasserstein_spread0" in e for runs in groups.values() for r in runs
                for e in r["evals"].values())
    panels = PANELS_2D if two_d else PANELS
    fig, axes = plt.subplots(2, 3, figsize=(16, 8.5))
    summary = {}
    for label, runs in groups.items():
        key = ((lambda e: number(e.get("wasserstein_spread0")) + number(e.get("wasserstein_spread1")))
               if two_d else (lambda e: number(e.get("ws_mean"))))
        steps, v = series(runs, "eval", key)
        if steps:
            summary.setdefault(label, {})["plateau_step"] = plateau(steps, np.nanmean(v, 0))
            print(f"{label}: the test figure stops improving at step {summary[label]['plateau_step']}")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for (title, source, key), ax in zip(panels, axes.flat):
        for i, (label, runs) in enumerate(sorted(groups.items())):
            steps, v = series(runs, source, key)
            if not steps:
                continue
            mean, lo, hi = np.nanmean(v, 0), np.nanmin(v, 0), np.nanmax(v, 0)
            c = colors[i % len(colors)]
            ax.plot(steps, mean, color=c, label=f"{label} ({len(runs)} seeds)")
            ax.fill_between(steps, lo, hi, color=c, alpha=0.15, linewidth=0)
            summary.setdefault(label, {})[title] = {
                "steps": steps, "mean": finite(mean), "min": finite(lo), "max": finite(hi)}
        if source == "eval" and "charged" in title and real_charged:
            ax.axhline(float(np.mean(real_charged)), color="black", linestyle="--", linewidth=1)
        if "/ real variance" in title:
            ax.axhline(1.0, color="black", linestyle="--", linewidth=1)
        if "WS" in title or "Wasserstein" in title or "/ real variance" in title:
            ax.set_yscale("log")
        ax.set_title(title)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
    axes.flat[0].legend(fontsize=8)
    fig.suptitle(f"{study_dir}: mean over seeds, band = lowest to highest seed")
    fig.tight_layout()
    tmp = out_png + ".tmp.png"
    fig.savefig(tmp, dpi=90)
    os.replace(tmp, out_png)
    print(f"wrote {out_png}")
    if out_json:
        tmp = out_json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(summary, f, indent=1, allow_nan=False)
        os.replace(tmp, out_json)
        print(f"wrote {out_json}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
