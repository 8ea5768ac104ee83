#!/usr/bin/python3
"""Pictures for `divgan report`: reads the data folders it writes and draws PNG files.

Usage:
    divgan_plots.py zdc DATA_DIR OUT_DIR
        channels.png   channel sums ch1..ch5 and the total, real vs generated (Figure 2)
        showers.png    real and generated showers of 4 test particles (Figure 1)
        diversity.png  per group real f_div vs generated f_div
        curves.png     losses and the periodic test evaluation over steps
        support.png    P(duplicate among s showers) vs s, real and generated
    divgan_plots.py 2d DATA_DIR OUT_DIR
        points.png     generated points over the real ones, per spread
        curves.png     losses (and Wasserstein / variance evaluations) over steps
    divgan_plots.py compare OUT_DIR DATA_DIR [DATA_DIR ...]
        support_compare.png  generated support curves of every run + the real one
        curves_compare.png   test mean channel Wasserstein distance of every run

DATA_DIR (zdc): real.npz, generated.npz, diversity.json, run.json, and optional support.json and
metrics.jsonl (support.png / curves.png are skipped without them). DATA_DIR (2d): points.npz,
run.json, metrics.jsonl (optional). compare: run.json in every folder; support.json and
metrics.jsonl where present. All inputs are read and checked before any figure is drawn.
Prints `wrote PATH` per file and `skipped NAME: reason` for a figure without data; exit 0.
On bad input prints one line `divgan_plots: error: FILE: what is wrong; what was expected`
to stderr and exits 1. Each PNG is written under a temporary name and renamed, so no half
file is left. Needs numpy and matplotlib; draws with the Agg backend (no display).
"""
import math
import os
import sys

import numpy as np
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
from matplotlib import ticker  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402

# Inputs (files divgan report writes), read and checked before anything is drawn.
from plot_inputs import (  # noqa: E402  (beside this script)
    SIDE, InputError, num, load_metrics, series, run_info, load_support, load_zdc, load_points)

DPI = 110
plt.rcParams.update({"font.size": 11, "axes.titlesize": 12, "legend.fontsize": 9,
                     "axes.grid": True, "grid.alpha": 0.3})
PLAIN = ticker.FuncFormatter(lambda v, _: f"{v:g}")  # 1, 20, 500 rather than 2x10^1


# ---- writing ----------------------------------------------------------------------------------

def save(fig, out_dir, name):
    """Writes to a temporary name and renames, so a crash never leaves half a PNG."""
    final = os.path.join(out_dir, name)
    tmp = os.path.join(out_dir, f".{name}.{os.getpid()}.tmp")
    try:
        os.makedirs(out_dir, exist_ok=True)
        fig.savefig(tmp, dpi=DPI, format="png", bbox_inches="tight")
        os.replace(tmp, final)
    except OSError as e:
        raise InputError(out_dir, f"cannot write {name} ({e.strerror or e}); expected a "
                                  "writable folder")
    finally:
        plt.close(fig)
        if os.path.exists(tmp):
            os.remove(tmp)
    print(f"wrote {final}")


def fmt(v, spec=".3g"):
    return "n/a" if not math.isfinite(v) else format(v, spec)


def count(v):
    """A support size: 7,569 rather than 7.57e+03; scientific only when huge."""
    return "n/a" if not math.isfinite(v) else f"{v:,.0f}" if v < 1e7 else f"{v:.2e}"


# ---- ZDC figures -----------------------------------------------------------------------------

def channels(x):
    """(n, 44, 44) -> (n, 6): ch1..ch4 (even a+b, by quadrant), ch5 (odd a+b), total."""
    a, b = np.indices((SIDE, SIDE))
    h, even = SIDE // 2, (a + b) % 2 == 0
    masks = [even & (a < h) & (b < h), even & (a < h) & (b >= h),
             even & (a >= h) & (b < h), even & (a >= h) & (b >= h), ~even, np.ones_like(even)]
    m = np.stack(masks).reshape(len(masks), -1).astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):  # non-finite images are dropped later
        return x.reshape(len(x), -1).astype(np.float64) @ m.T


def fig_channels(d, title):
    real, gen = channels(d["real"]), channels(d["gen"])
    gen = gen[np.all(np.isfinite(gen), axis=1)]  # a non-finite image would break the binning
    both = np.concatenate([real, gen])
    fig, axes = plt.subplots(2, 3, figsize=(13, 7.5))
    names = ["ch1", "ch2", "ch3", "ch4", "ch5", "total (ch1..ch5)"]
    for c, ax in enumerate(axes.flat):
        lo, hi = both[:, c].min(), both[:, c].max()
        bins = np.linspace(lo, max(hi, lo + 1), 41)  # shared by real and generated
        ax.hist(real[:, c], bins=bins, histtype="step", lw=1.8, color="black",
                label="real (GEANT-like simulator test split)")
        # Weight 1/k: k regenerations per real shower, so the areas compare directly.
        ax.hist(gen[:, c], bins=bins, weights=np.full(len(gen), 1.0 / d["k"]), histtype="step",
                lw=1.8, color="tab:red", label=f"generated ({title})")
        ax.set(yscale="log", title=names[c], xlabel="photons",
               ylabel="showers per bin" if c % 3 == 0 else "")
        ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4))
    fig.legend(*axes.flat[0].get_legend_handles_labels(), loc="upper center", ncol=2,
               frameon=False, bbox_to_anchor=(0.5, 1.0))
    fig.suptitle(f"Channel sums: {len(real)} real test showers, {d['k']} generated per particle",
                 y=1.04)
    fig.tight_layout()
    return fig


def pick_particles(p, real):
    """Up to 4 test rows: highest-energy and median-energy neutral, then the same charged;
    rows with a non-empty real shower preferred so that no row is a blank picture."""
    nonempty = real.reshape(len(real), -1).sum(axis=1) > 0
    chosen = []

    def add(r):  # one row per particle: its repeats are shown beside it anyway
        if len(chosen) < 4 and not any(np.array_equal(p[r], p[c]) for c in chosen):
            chosen.append(int(r))

    for kind in (p[:, 8] == 0, p[:, 8] != 0):
        rows = np.flatnonzero(kind & nonempty)
        rows = rows if len(rows) else np.flatnonzero(kind)
        rows = rows[np.argsort(p[rows, 0], kind="stable")]
        if len(rows):
            add(rows[-1])
            add(rows[len(rows) // 2])
    # Fewer than 4 (a kind absent or rare): fill with the highest-energy particles left.
    for r in np.argsort(-p[:, 0], kind="stable"):
        add(r)
    return chosen[:4]


def fig_showers(d):
    real, rp, gen = d["real"], d["rp"], d["gen"]
    n, ng = len(real), min(d["k"], 4)
    rows = pick_particles(rp, real)
    # Real repeats: other rows with exactly the same 9 attributes (up to 3 in all).
    reps = [[i] + [int(j) for j in np.flatnonzero(np.all(rp == rp[i], axis=1)) if j != i][:2]
            for i in rows]
    nr = max(len(r) for r in reps)
    wide = nr + ng >= 4
    height = 2.4 * len(rows) + (0.5 if wide else 0.8)
    fig = plt.figure(figsize=(2.3 * (nr + ng) + 1.2, height))
    grid = fig.add_gridspec(len(rows), nr + ng + 1, width_ratios=[1] * (nr + ng) + [0.07],
                            wspace=0.08, hspace=0.25, bottom=0.02,
                            top=1 - (0.6 if wide else 0.9) / height)
    for r, i in enumerate(rows):
        imgs = [(c, "real" if len(reps[r]) == 1 else f"real #{c + 1}", real[j])
                for c, j in enumerate(reps[r])]
        imgs += [(nr + g, "generated" if ng == 1 else f"generated #{g + 1}", gen[g * n + i])
                 for g in range(ng)]
        # One color scale per row (real and generated alike) so intensities compare.
        top = max(float(np.nan_to_num(im, posinf=0).max()) for _, _, im in imgs)  # NaN-safe
        norm = LogNorm(vmin=1, vmax=max(top + 1, 2))
        for c, title, im in imgs:
            ax = fig.add_subplot(grid[r, c])
            shown = ax.imshow(np.clip(im, 0, None) + 1, norm=norm, cmap="inferno",
                              interpolation="nearest")
            ax.set(xticks=[], yticks=[], facecolor=plt.get_cmap("inferno")(0.0))  # no seams
            ax.grid(False)
            # A non-finite image draws as black, like an empty one: say which it is.
            ax.set_title(title if np.isfinite(im).all() else title + " (non-finite)", fontsize=10)
            if c == 0:
                q = rp[i, 8]
                ax.set_ylabel(f"E = {rp[i, 0]:.0f} GeV\n"
                              f"{'neutral' if q == 0 else f'charge {q:+g}'}", fontsize=10)
        cax = fig.add_subplot(grid[r, -1])
        cax.grid(False)
        cb = fig.colorbar(shown, cax=cax)
        # Plain numbers at 1-2-5 steps (decades only for wide ranges), no minor labels.
        cb.ax.yaxis.set_major_locator(ticker.LogLocator(subs=(1.0,) if norm.vmax > 300
                                                        else (1.0, 2.0, 5.0)))
        cb.ax.yaxis.set_major_formatter(PLAIN)
        cb.ax.yaxis.set_minor_formatter(ticker.NullFormatter())
        cb.ax.tick_params(labelsize=9)
        cb.set_label("photons + 1", fontsize=9)
    sep = ", " if wide else "\n"  # a narrow figure (k = 1) gets a two-line title
    fig.suptitle(f"Showers of test particles: real (left) and generated (right){sep}"
                 "one color scale per row", y=1 - 0.1 / height, va="top")
    return fig


def fig_diversity(d, title):
    g = d["groups"][np.isfinite(d["groups"][:, :2]).all(axis=1)]
    fig, ax = plt.subplots(figsize=(6.2, 5.8))
    if len(g) == 0:
        ax.axis("off")
        ax.text(0.5, 0.5, "no diversity groups", ha="center", fontsize=14, color="0.4")
        ax.set_title(f"Selective diversity: {title}")
        return fig
    neutral = g[:, 2] == 0
    for sel, label, color in ((neutral, "neutral", "C0"), (~neutral, "charged", "C1")):
        if sel.any():
            ax.scatter(g[sel, 0], g[sel, 1], s=22, alpha=0.75, color=color,
                       label=f"{label} ({int(sel.sum())} group{'' if sel.sum() == 1 else 's'})")
    lo, hi = min(g[:, :2].min(), 0.0), max(g[:, :2].max(), 1e-9)
    lo, hi = lo - 0.03 * (hi - lo), hi + 0.05 * (hi - lo)  # keep points off the frame
    ax.plot([lo, hi], [lo, hi], color="0.3", ls="--", lw=1, label="y = x")
    ax.set(xlim=(lo, hi), ylim=(lo, hi), aspect="equal", xlabel="real $f_{div}$ (normalized)",
           ylabel="generated $f_{div}$ (normalized)",
           title=f"{title}: diversity error (MAE) = {fmt(d['div_error'])}")
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def plot_losses(ax, rows):
    for name, color in (("loss_d", "C0"), ("loss_g_adv", "C3"), ("loss_div", "C2")):
        s, v = series(rows, name)
        if len(v) == 0 or (name == "loss_div" and not np.any(v != 0)):
            continue
        if len(v) > 200:  # noisy per-step losses: faint raw line + running mean
            ax.plot(s, v, color=color, lw=0.5, alpha=0.25)
            w = max(len(v) // 50, 2)
            s, v = s[w - 1:], np.convolve(v, np.ones(w) / w, mode="valid")
        ax.plot(s, v, color=color, lw=1.5, marker="o" if len(v) < 30 else None, ms=3, label=name)
    ax.set(xlabel="step", ylabel="loss", title="Losses")
    if ax.get_legend_handles_labels()[0]:
        ax.legend()


def fig_curves_zdc(rows, title):
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.3))
    plot_losses(a1, rows)
    s, v = series(rows, "ws_mean", in_eval=True)
    a2.set(title="Test evaluation", xlabel="step")
    if len(v) == 0:
        a2.axis("off")
        a2.text(0.5, 0.5, "no test evaluation in metrics.jsonl", ha="center", color="0.4")
    else:
        a2.plot(s, v, "o-", color="black", ms=4, label="mean channel WS")
        a2.set_ylabel("mean channel Wasserstein [photons]")
        sd, vd = series(rows, "diversity_error", in_eval=True)
        lines = a2.get_lines()
        if len(vd):
            tw = a2.twinx()
            tw.grid(False)
            lines += tw.plot(sd, vd, "s--", color="tab:purple", ms=4, label="diversity error")
            tw.set_ylabel("diversity error (MAE)", color="tab:purple")
        # Below the axes: loc="best" cannot see the twin axis' line.
        a2.legend(lines, [ln.get_label() for ln in lines], loc="upper center",
                  bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    fig.suptitle(f"Training: {title}")
    fig.tight_layout(w_pad=3.0)  # room for the right panel's y label beside the left panel
    return fig


def support_label(pool, who):
    sh = num(pool.get("s_half"))
    if sh > 0:
        sup = num(pool.get("support"))
        return f"{who}: $s_{{1/2}}$ = {sh:g}, support ≈ {count(sup if sup > 0 else sh * sh)}"
    return f"{who}: P < 0.5 at all sizes, support > {count(num(pool.get('support_at_least')))}"


def plot_support(ax, pool, label, color, ls="-"):
    s = np.array([num(x) for x in pool["sizes"]])
    p = np.array([num(x) for x in pool["p_duplicate"]])
    ok = np.isfinite(s) & np.isfinite(p)
    ax.plot(s[ok], p[ok], color=color, ls=ls, lw=1.8, label=label)
    if num(pool.get("s_half")) > 0:
        ax.axvline(num(pool["s_half"]), color=color, ls=":", lw=1.2)
    return s[ok]


def finish_support(ax, sizes):
    ax.axhline(0.5, color="0.5", lw=1)
    if len(sizes) and sizes.min() > 0 and sizes.max() / sizes.min() > 20:
        ax.set_xscale("log")  # sizes span orders of magnitude
    ax.set(ylim=(-0.02, 1.02), xlabel="sample size s", ylabel="P(duplicate among s showers)")
    # Below the axes: the curves can pass through any corner.
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), frameon=False)


def fig_support(d, title):
    sj = d["support"]
    fig, ax = plt.subplots(figsize=(7.5, 5))
    s1 = plot_support(ax, sj["real"], support_label(sj["real"], "real"), "black")
    s2 = plot_support(ax, sj["generated"], support_label(sj["generated"], f"generated ({title})"),
                      "tab:red")
    finish_support(ax, np.concatenate([s1, s2]))
    opts = sj.get("options") if isinstance(sj.get("options"), dict) else {}
    crit = ", ".join(map(str, opts.get("criteria") or []))
    ax.set_title(f"Support size (birthday test{'; ' + crit if crit else ''})\n"
                 f"ratio generated / real = {fmt(num(sj.get('ratio')))}")
    fig.tight_layout()
    return fig


def cmd_zdc(data_dir, out_dir):
    title, d = run_info(data_dir)["title"], load_zdc(data_dir)
    save(fig_channels(d, title), out_dir, "channels.png")
    save(fig_showers(d), out_dir, "showers.png")
    save(fig_diversity(d, title), out_dir, "diversity.png")
    if d["metrics"] is None:
        print("skipped curves.png: no metrics.jsonl")
    else:
        save(fig_curves_zdc(d["metrics"], title), out_dir, "curves.png")
    if d["support"] is None:
        print("skipped support.png: no support.json")
    else:
        save(fig_support(d, title), out_dir, "support.png")


# ---- 2D benchmark ------------------------------------------------------------------------------

def fig_points(pts, title):
    fig, axes = plt.subplots(1, 2, figsize=(12, 6))
    (rxy, _, rs), (gxy, glab, gs) = pts["real"], pts["generated"]
    for s, ax in enumerate(axes):
        r, g, lab = rxy[rs == s], gxy[gs == s], glab[gs == s]
        ax.scatter(r[:, 0], r[:, 1], s=4, color="0.55", alpha=0.35, lw=0, label="real")
        ax.scatter(g[:, 0], g[:, 1], s=6, c=[f"C{c % 10}" for c in lab], alpha=0.8, lw=0,
                   label="generated (color = class)")
        # View: the real points plus the bulk of the generated ones; far outliers are counted.
        view = np.concatenate([r, np.percentile(g, [0.5, 99.5], axis=0) if len(g) else r[:0]])
        if len(view):
            lo, hi = view.min(axis=0), view.max(axis=0)
            pad = 0.08 * max((hi - lo).max(), 1.0)
            lo, hi = lo - pad, hi + pad
            ax.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]))
            out = int(np.sum(np.any((g < lo) | (g > hi), axis=1)))
            if out:
                ax.text(0.02, 0.02, f"{out} generated points outside the view",
                        transform=ax.transAxes, fontsize=9, color="0.3")
        ax.set_aspect("equal", adjustable="datalim")
        ax.set(title=f"spread {s} ({len(r)} real, {len(g)} generated)", xlabel="x", ylabel="y")
        ax.legend(loc="upper right", markerscale=3)
    fig.suptitle(f"2D benchmark: {title}")
    fig.tight_layout()
    return fig


def fig_curves_2d(rows, title):
    # Evaluation keys per panel and spread: the engine's names first, short names second.
    panels = [("Test Wasserstein-1 (per coordinate)", "distance", "wasserstein", "ws"),
              ("Generated variance", "variance [units$^2$]", "variance", "var")]
    found = []
    for name, ylabel, long, short in panels:
        lines = []
        for s in (0, 1):
            for k in (f"{long}_spread{s}", f"{short}_spread{s}"):
                st, v = series(rows, k, in_eval=True)
                if len(v):
                    lines.append((s, st, v))
                    break
        if lines:
            found.append((name, ylabel, long, lines))
    fig, axes = plt.subplots(1, 1 + len(found), figsize=(6 * (1 + len(found)), 4.3),
                             squeeze=False)
    plot_losses(axes[0, 0], rows)
    for ax, (name, ylabel, long, lines) in zip(axes[0, 1:], found):
        for s, st, v in lines:
            ax.plot(st, v, "o-", ms=3, color=f"C{s}", label=f"spread {s}")
            rs, rv = series(rows, f"real_{long}_spread{s}", in_eval=True)
            if len(rv):  # the real variance is the target
                ax.plot(rs, rv, "--", color=f"C{s}", lw=1, label=f"real, spread {s}")
        vals = np.concatenate([v for _, _, v in lines])
        if vals.min() > 0 and vals.max() / vals.min() > 30:
            ax.set_yscale("log")  # the two spreads differ by ~100x in variance
            ax.yaxis.set_major_formatter(PLAIN)
        ax.set(title=name, ylabel=ylabel, xlabel="step")
        ax.legend()
    fig.suptitle(f"Training: {title}")
    fig.tight_layout()
    return fig


def cmd_2d(data_dir, out_dir):
    title, pts, rows = run_info(data_dir)["title"], load_points(data_dir), load_metrics(data_dir)
    save(fig_points(pts, title), out_dir, "points.png")
    if rows is None:
        print("skipped curves.png: no metrics.jsonl")
    else:
        save(fig_curves_2d(rows, title), out_dir, "curves.png")


# ---- comparison of runs ------------------------------------------------------------------------

def cmd_compare(out_dir, data_dirs):
    runs = []
    for folder in data_dirs:
        spath = os.path.join(folder, "support.json")
        runs.append((run_info(folder), load_support(spath) if os.path.isfile(spath) else None,
                     load_metrics(folder) or []))
    titles = [info["title"] for info, _, _ in runs]
    for info, _, _ in runs:  # two runs may share a title: add the run's name
        info["label"] = info["title"] + ("" if titles.count(info["title"]) == 1
                                         else f" [{info['name']}]")

    with_support = [(info, sj) for info, sj, _ in runs if sj is not None]
    if not with_support:
        print("skipped support_compare.png: no folder has support.json")
    else:
        fig, ax = plt.subplots(figsize=(8, 5.2))
        real = with_support[0][1]["real"]  # the same test split for every run
        sizes = [plot_support(ax, real, support_label(real, "real"), "black", "--")]
        for c, (info, sj) in enumerate(with_support):
            sizes.append(plot_support(ax, sj["generated"],
                                      support_label(sj["generated"], info["label"]), f"C{c}"))
        finish_support(ax, np.concatenate(sizes))
        ax.set_title("Support size of every run (generated) and of the real test showers")
        fig.tight_layout()
        save(fig, out_dir, "support_compare.png")

    curves = [(info, series(rows, "ws_mean", in_eval=True)) for info, _, rows in runs]
    curves = [(info, s, v) for info, (s, v) in curves if len(v)]
    if not curves:
        print("skipped curves_compare.png: no folder has test evaluations in metrics.jsonl")
        return
    fig, ax = plt.subplots(figsize=(8, 5))
    for c, (info, s, v) in enumerate(curves):
        ax.plot(s, v, "o-", ms=3, color=f"C{c}", label=info["label"])
    allv = np.concatenate([v for _, _, v in curves])
    if allv.min() > 0 and allv.max() / allv.min() > 10:
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(PLAIN)
    ax.set(xlabel="step", ylabel="test mean channel Wasserstein [photons]",
           title="Test mean channel Wasserstein distance over training")
    ax.legend()
    fig.tight_layout()
    save(fig, out_dir, "curves_compare.png")


# ---- command line ------------------------------------------------------------------------------

def main(argv):
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__)
    elif len(argv) == 3 and argv[0] == "zdc":
        cmd_zdc(argv[1], argv[2])
    elif len(argv) == 3 and argv[0] == "2d":
        cmd_2d(argv[1], argv[2])
    elif len(argv) >= 3 and argv[0] == "compare":
        cmd_compare(argv[1], argv[2:])
    else:
        raise InputError(" ".join(argv) or "(no arguments)",
                         "bad arguments; expected zdc DATA_DIR OUT_DIR | 2d DATA_DIR OUT_DIR | "
                         "compare OUT_DIR DATA_DIR...")


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except InputError as e:
        print(f"divgan_plots: error: {e}", file=sys.stderr)
        sys.exit(1)
    except Exception as e:  # still one line: the caller shows only the last line of the log
        where = sys.argv[2] if len(sys.argv) > 2 else "divgan_plots.py"
        print(f"divgan_plots: error: {where}: internal error {type(e).__name__}: {e}",
              file=sys.stderr)
        sys.exit(1)
