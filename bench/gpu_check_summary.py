#!/usr/bin/env python3
"""One-screen summary of a bench/gpu_check.sh run, from its work folder (stage table, logs, JSON).

    python3 bench/gpu_check_summary.py WORKDIR OUTDIR

Writes OUTDIR/summary.txt (what it prints) and OUTDIR/summary.json (the same facts, machine
readable). gpu_check.sh calls it after every stage, so a run that is stopped part-way still leaves
a summary of what it finished. Standard library only (it runs on the bare GPU machine too).
"""
import glob
import json
import os
import re
import subprocess
import sys

# Targets of the first GPU run (step time at B = 128, generation throughput).
TARGET_EAGER_RATIO = 2.0
TARGET_BEST_RATIO = 1.3
TARGET_GEN = {"bf16": 1.0e6, "tf32": 3.0e5}


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def stages(work):
    rows = []
    for line in read(os.path.join(work, "stages.tsv")).splitlines():
        parts = line.split("\t")
        if len(parts) >= 4:
            name, rc, secs, capped = parts[:4]
            rows.append({"stage": name, "rc": rc, "seconds": int(secs or 0),
                         "capped": capped == "1", "note": parts[4] if len(parts) > 4 else ""})
    return rows


def doctest_counts(log):
    """(passed, failed, skipped, failing test names) from a doctest log, or None."""
    m = None
    for m in re.finditer(r"test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed\s*\|\s*"
                         r"(\d+) skipped", log):
        pass
    if not m:
        return None
    failing = []
    current = None
    for line in log.splitlines():
        t = re.match(r"TEST CASE:\s*(.*)", line)
        if t:
            current = t.group(1).strip()
        if current and re.search(r"\bERROR:", line) and current not in failing:
            failing.append(current)
    return {"run": int(m.group(1)), "passed": int(m.group(2)), "failed": int(m.group(3)),
            "skipped": int(m.group(4)), "failing": failing}


def sanitizer(log):
    m = re.search(r"ERROR SUMMARY:\s*(\d+) error", log)
    return int(m.group(1)) if m else None


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def main():
    work, out = sys.argv[1], sys.argv[2]
    lines = []
    say = lines.append
    facts = {"stages": stages(work)}
    info = read(os.path.join(work, "info.log"))
    gpu = "gpu_present: 1" in info
    facts["gpu_present"] = gpu
    name = re.search(r"^name, driver_version.*\n(.*)$", info, re.M)
    facts["device_line"] = name.group(1).strip() if name else None
    commit = re.search(r"^commit: (.*)$", info, re.M)
    facts["commit"] = commit.group(1).strip() if commit else None

    say("=" * 78)
    say("gpu_check summary" + ("" if gpu else ": NO GPU on this machine (dry run; no GPU figure)"))
    say(f"device: {facts['device_line'] or 'no GPU'}")
    say(f"{facts['commit'] or ''}")
    say("stages: " + ", ".join(
        f"{s['stage']}={'CAPPED' if s['capped'] else s['rc']}({s['seconds']}s)"
        + (f" [{s['note']}]" if s["note"] else "") for s in facts["stages"]))

    tests = doctest_counts(read(os.path.join(work, "tests.log")))
    facts["tests"] = tests
    if tests:
        say(f"GPU tests (dg_tests -tc='gpu:*'): {tests['run']} run: {tests['passed']} passed, "
            f"{tests['failed']} failed; {tests['skipped']} test cases not run (the CPU suite, not "
            f"selected here{'' if gpu else ', and every GPU case: no GPU'})")
        for t in tests["failing"]:
            say(f"  FAILED: {t}")
        tf = re.findall(r"(TF32|BF16) operand conversion on this GPU: ([^(]*)", read(
            os.path.join(work, "tests.log")))
        for p, how in tf:
            say(f"  {p} operand conversion: {how.strip()}")
        facts["operand_conversion"] = {p: how.strip() for p, how in tf}
    else:
        say("GPU tests: no doctest summary (stage not run, or it did not finish)")

    san = {}
    for log in sorted(glob.glob(os.path.join(work, "memcheck_*.log"))):
        key = os.path.basename(log)[:-4]
        san[key] = sanitizer(read(log))
    facts["memcheck_errors"] = san
    if san:
        say("memcheck: " + ", ".join(f"{k[9:]}: {'?' if v is None else v} errors"
                                    for k, v in san.items()))

    # Our step times per backend, mode and precision.
    ours = {}
    for path, backend in ((os.path.join(work, "train_zdc_ours.json"), "handwritten"),
                          (os.path.join(work, "train_zdc_ours_cudnn.json"), "cudnn")):
        doc = load_json(path)
        if not doc:
            continue
        for r in doc.get("results", []):
            name = r.get("regularizer") or "?"
            if r.get("tip"):
                name += "+" + r["tip"]
            ours[(backend, r.get("precision"), r.get("mode"), name,
                  r.get("batch"))] = r.get("step_ms_median")
        if backend == "handwritten":
            gen = (doc.get("generation") or {}).get("results", [])
            facts["generation"] = [{k: g.get(k) for k in ("precision", "batch", "showers_per_s",
                                                          "mean_channel_ws_vs_fp32")} for g in gen]
    facts["ours_step_ms"] = [dict(zip(("backend", "precision", "mode", "regularizer", "batch"), k),
                                  step_ms_median=v) for k, v in sorted(ours.items(), key=str)]
    if ours:
        say("divgan step, median ms (backend / precision / mode: regularizer batch ms):")
        for k, v in sorted(ours.items(), key=str):
            say(f"  {k[0]:11s} {k[1]:4s} {k[2]:5s}  {k[3]:13s} B={k[4]}: "
                f"{'-' if v is None else f'{v:.3f}'}")
    for g in facts.get("generation", []):
        tgt = TARGET_GEN.get(g["precision"])
        ok = "" if tgt is None or g["showers_per_s"] is None or not gpu else (
            f"  (target {tgt:,.0f}/s: {'met' if g['showers_per_s'] >= tgt else 'NOT met'})")
        say(f"generation {g['precision']}: {g['showers_per_s'] or 0:,.0f} showers/s at batch "
            f"{g['batch']}{ok}")

    # Side by side with PyTorch (compare.py's table).
    torch_files = sorted(glob.glob(os.path.join(work, "train_zdc_torch_*.json")))
    ours_files = [p for p in (os.path.join(work, "train_zdc_ours.json"),
                              os.path.join(work, "train_zdc_ours_cudnn.json")) if os.path.exists(p)]
    if torch_files and ours_files:
        here = os.path.dirname(os.path.abspath(__file__))
        r = subprocess.run([sys.executable, os.path.join(here, "reference", "compare.py"),
                            *ours_files, *torch_files], capture_output=True, text=True)
        table = [l for l in r.stdout.splitlines() if l.startswith("|") or l.startswith("###")
                 or "unavailable" in l or "warning" in l]
        say("side by side with PyTorch (ratios: torch ms / divgan ms; targets eager >= "
            f"{TARGET_EAGER_RATIO}, best >= {TARGET_BEST_RATIO}):")
        lines.extend("  " + l for l in table)
        facts["side_by_side"] = r.stdout
    else:
        say("side by side with PyTorch: not available (" +
            ("no PyTorch JSON" if not torch_files else "no divgan JSON") + ")")
    say("=" * 78)

    text = "\n".join(lines) + "\n"
    for fname, content in (("summary.txt", text), ("summary.json", json.dumps(facts, indent=1))):
        tmp = os.path.join(out, fname + ".tmp")
        with open(tmp, "w") as f:
            f.write(content)
        os.replace(tmp, os.path.join(out, fname))
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
