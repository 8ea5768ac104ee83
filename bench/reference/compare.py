#!/usr/bin/env python3
"""Side-by-side table of the ZDC training-step benchmark: the engine's JSON (`bench/train_zdc`,
implementation "divgan") against one or more PyTorch JSONs (train_zdc_torch.py, implementation
"pytorch"). One Markdown table per precision; a missing entry prints "-".

Run:
    /usr/bin/python3 bench/reference/compare.py bench/results/train_zdc_<ours>.json \
        bench/results/train_zdc_torch_cuda.json [more PyTorch JSONs, e.g. a tf32 run]
Files are told apart by their "implementation" field, so the order does not matter. Ratios are
PyTorch ms / divgan ms: above 1 means the engine is faster.
"""
import argparse
import json
import sys

REG_ORDER = ("none", "ms", "ds", "divco", "sdi", "divbal")
TORCH_BEST_MODES = ("graph", "compile", "compile-max-autotune", "compile-reduce-overhead")


def load(paths):
    ours, torch_docs = [], []
    for p in paths:
        with open(p) as f:
            doc = json.load(f)
        if doc.get("benchmark") != "train_zdc":
            sys.exit(f"{p}: not a train_zdc benchmark JSON (benchmark={doc.get('benchmark')!r})")
        impl = doc.get("implementation")
        if impl == "divgan":
            ours.append((p, doc))
        elif impl == "pytorch":
            torch_docs.append((p, doc))
        else:
            sys.exit(f"{p}: unknown implementation {impl!r} (expected divgan or pytorch)")
    if not ours or not torch_docs:
        sys.exit("need at least one divgan JSON and one pytorch JSON")
    return ours, torch_docs


def best(docs, modes=None):
    """{(precision, regularizer, batch): (median ms, mode)}, the fastest over files and modes.
    Several files covering the same entry (reruns) keep the fastest, like several modes do."""
    out = {}
    for _, doc in docs:
        for r in doc.get("results", []):
            if modes is not None and r.get("mode") not in modes:
                continue
            if r.get("tip"):  # paper 004's tips have no PyTorch counterpart
                continue
            ms = r.get("step_ms_median")
            if ms is None:
                continue
            key = (r.get("precision"), r.get("regularizer"), r.get("batch"))
            if key not in out or ms < out[key][0]:
                out[key] = (ms, r.get("mode"))
    return out


def device_names(docs):
    return sorted({(d.get("device") or {}).get("name") or "?" for _, d in docs})


def cell(entry, with_mode=False):
    if entry is None:
        return "-"
    return f"{entry[0]:.3f} ({entry[1]})" if with_mode else f"{entry[0]:.3f}"


def ratio(num, den):
    if num is None or den is None or den[0] <= 0:
        return "-"
    return f"{num[0] / den[0]:.2f}"


def reg_key(reg):
    return (REG_ORDER.index(reg) if reg in REG_ORDER else len(REG_ORDER), str(reg))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("json", nargs="+", help="divgan and pytorch train_zdc JSON files")
    args = ap.parse_args()
    ours_docs, torch_docs = load(args.json)
    ours = best(ours_docs)
    t_eager = best(torch_docs, ("eager",))
    t_best = best(torch_docs, TORCH_BEST_MODES)

    ours_dev, torch_dev = device_names(ours_docs), device_names(torch_docs)
    print(f"divgan: {', '.join(p for p, _ in ours_docs)} on {', '.join(ours_dev)}")
    print(f"pytorch: {', '.join(p for p, _ in torch_docs)} on {', '.join(torch_dev)}")
    if ours_dev != torch_dev:
        print("\n**warning: the files come from different devices; ratios compare machines, "
              "not implementations.**")
    for _, d in torch_docs:
        for u in d.get("unavailable", []):
            where = "" if "regularizer" not in u else f" ({u['regularizer']}, batch {u.get('batch')})"
            print(f"\npytorch mode {u.get('mode')}{where} unavailable: {u.get('reason')}")

    keys = set(ours) | set(t_eager) | set(t_best)
    for prec in sorted({k[0] for k in keys}, key=str):
        rows = sorted((k for k in keys if k[0] == prec), key=lambda k: (reg_key(k[1]), k[2]))
        print(f"\n### precision {prec}\n")
        print("| regularizer | batch | divgan best ms (mode) | torch eager ms | "
              "torch best ms (mode) | eager / ours | best / ours |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for k in rows:
            o, e, b = ours.get(k), t_eager.get(k), t_best.get(k)
            print(f"| {k[1]} | {k[2]} | {cell(o, True)} | {cell(e)} | {cell(b, True)} | "
                  f"{ratio(e, o)} | {ratio(b, o)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
