"""Reading and checking the inputs of divgan_plots.py (the files `divgan report` writes into
DATA_DIR): npz members with their shapes, JSON keys, metrics.jsonl lines. Every problem is an
InputError naming the file, what is wrong and what was expected; nothing is drawn before all
inputs of a command have been read."""
import json
import math
import os

import numpy as np

SIDE = 44  # ZDC image side


class InputError(Exception):
    def __init__(self, path, what):
        super().__init__(f"{path}: {what}")


# ---- reading ----------------------------------------------------------------------------------

def opened(path, mode="r"):
    if not os.path.isfile(path):
        raise InputError(path, "missing; expected a file written by `divgan report`")
    return open(path, mode)


def load_npz(path, members):
    """members: name -> required ndim. Returns the arrays, loaded eagerly."""
    with opened(path, "rb") as f:
        if f.read(4) != b"PK\x03\x04":  # otherwise numpy blames pickles, which misleads
            raise InputError(path, "not a .npz (zip) archive")
    try:
        with np.load(path, allow_pickle=False) as z:
            out = {name: np.asarray(z[name]) for name in members if name in z.files}
    except Exception as e:  # a truncated archive: numpy raises many kinds
        raise InputError(path, f"not a readable .npz ({e})")
    for name, ndim in members.items():
        if name not in out:
            raise InputError(path, f"no member '{name}'; expected {sorted(members)}")
        if out[name].ndim != ndim:
            raise InputError(path, f"'{name}' has shape {out[name].shape}; expected {ndim} dims")
    return out


def load_json(path):
    with opened(path) as f:
        try:
            return json.load(f)
        except ValueError as e:
            raise InputError(path, f"not valid JSON ({e})")


def key(obj, name, path, where=None):
    if not isinstance(obj, dict) or name not in obj:
        inside = f" inside '{where}'" if where else ""
        raise InputError(path, f"missing key '{name}'{inside}; expected the layout of "
                               "`divgan report`")
    return obj[name]


def num(v):
    """JSON value -> float, NaN for null / non-numbers (skipped when plotting)."""
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else math.nan


def load_metrics(folder):
    """metrics.jsonl as a list of dicts sorted by step, or None when the file is absent."""
    path = os.path.join(folder, "metrics.jsonl")
    if not os.path.isfile(path):
        return None
    rows = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as e:
                raise InputError(path, f"line {n} is not JSON ({e}); expected one object a line")
            if not isinstance(row, dict) or not math.isfinite(num(row.get("step"))):
                raise InputError(path, f"line {n} has no numeric 'step'")
            rows.append(row)
    return sorted(rows, key=lambda r: r["step"])


def series(rows, name, in_eval=False):
    """(steps, values) of one metric, rows without a finite value left out."""
    pts = []
    for r in rows:
        src = r.get("eval") if in_eval else r
        x = num(src.get(name)) if isinstance(src, dict) else math.nan
        if math.isfinite(x):
            pts.append((r["step"], x))
    return np.array(pts, dtype=float).reshape(-1, 2).T


def run_info(folder):
    path = os.path.join(folder, "run.json")
    run = load_json(path)
    return {"title": str(key(run, "title", path)),
            "name": str(run.get("name", os.path.basename(os.path.normpath(folder))))}


def load_support(path):
    sj = load_json(path)
    for side in ("real", "generated"):
        pool = key(sj, side, path)
        sizes, p = key(pool, "sizes", path, side), key(pool, "p_duplicate", path, side)
        if not isinstance(sizes, list) or not isinstance(p, list) or len(sizes) != len(p):
            raise InputError(path, f"'{side}': sizes and p_duplicate must be equal-length lists")
    return sj


def load_zdc(folder):
    path = {f: os.path.join(folder, f) for f in ("real.npz", "generated.npz", "diversity.json")}
    real = load_npz(path["real.npz"], {"arr_0": 3, "particles": 2})
    gen = load_npz(path["generated.npz"], {"arr_0": 3, "particles": 2})
    for name, d in (("real.npz", real), ("generated.npz", gen)):
        x, p = d["arr_0"], d["particles"]
        if x.shape[1:] != (SIDE, SIDE) or p.shape[1] != 9 or len(p) != len(x) or len(x) == 0:
            raise InputError(path[name], f"arr_0 {x.shape}, particles {p.shape}; "
                                         f"expected (N, {SIDE}, {SIDE}) and (N, 9), N >= 1")
    n, m = len(real["arr_0"]), len(gen["arr_0"])
    if m % n:
        raise InputError(path["generated.npz"], f"{m} showers; expected a multiple of the "
                                                f"{n} real ones")
    # Row r*N + i must be regeneration r of real row i, or the pairing in showers.png lies.
    if not np.allclose(gen["particles"], np.tile(real["particles"], (m // n, 1)),
                       equal_nan=True):
        raise InputError(path["generated.npz"], "particles are not the real ones tiled k times")
    div = load_json(path["diversity.json"])
    groups = key(div, "groups", path["diversity.json"])
    if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
        raise InputError(path["diversity.json"], "'groups' must be a list of objects")
    g = [[num(r.get(c)) for c in ("real", "generated", "charge")] for r in groups]
    return {"real": real["arr_0"], "rp": real["particles"], "gen": gen["arr_0"], "k": m // n,
            # Optional: divgan report leaves it out when a pool is too small for the test.
            "support": (load_support(os.path.join(folder, "support.json"))
                        if os.path.exists(os.path.join(folder, "support.json")) else None),
            "groups": np.array(g, dtype=float).reshape(-1, 3),
            "div_error": num(div.get("diversity_error")), "metrics": load_metrics(folder)}


def load_points(folder):
    path = os.path.join(folder, "points.npz")
    z = load_npz(path, {f"{s}{x}": 1 if x else 2 for s in ("real", "generated")
                        for x in ("", "_label", "_spread")})
    out = {}
    for side in ("real", "generated"):
        xy, lab, spr = z[side], z[side + "_label"], z[side + "_spread"]
        if xy.shape[1] != 2 or len(lab) != len(xy) or len(spr) != len(xy):
            raise InputError(path, f"{side} {xy.shape}, labels {lab.shape}, spreads {spr.shape};"
                                   " expected (M, 2), (M,), (M,)")
        # The labels may arrive as floats (the report writes <f8); still whole numbers.
        if not (np.all(np.isfinite(lab)) and np.all(lab == np.round(lab)) and lab.min() >= 0
                and np.all(np.isin(spr, (0, 1)))):
            raise InputError(path, f"{side}: expected labels 0, 1, 2, ... and spreads 0 or 1")
        ok = np.all(np.isfinite(xy), axis=1)  # a diverged generator may emit NaN
        out[side] = (xy[ok].astype(float), lab[ok].astype(int), spr[ok].astype(int))
    return out
