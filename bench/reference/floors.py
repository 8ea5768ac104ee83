#!/usr/bin/env python3
# FLOP and DRAM-byte floors of one ZDC GAN training step and of generating one shower,
# counted analytically from the layer shapes (no measurement, numpy only).
#
# Run:   python3 bench/reference/floors.py                 # prints Markdown, writes bench/results/floors.json
#        python3 bench/reference/floors.py --out /tmp/f.json --batches 64 128 256
#
# Conventions: 1 multiply-add = 2 FLOPs. Conv/Linear forward = 2*MACs + 1 bias add per output.
# Conv/Linear backward = 2x forward (data grad + weight grad), 1x when the data grad is skipped.
# Elementwise FLOPs per element are listed in EW below (forward, backward). All tensors fp32.
import argparse
import json
import os
import tempfile

import numpy as np

# (forward, backward) FLOPs per output element of the non-GEMM ops (training mode).
EW = {
    "bn": (8, 12),       # mean(1) + var(3) + normalize(2) + affine(2); backward ~12
    "dropout": (1, 1),   # mask multiply (RNG not counted)
    "lrelu": (2, 2),     # compare + select/multiply
    "relu": (1, 1),
    "upsample": (0, 0.75),  # copy forward; backward sums 4 outputs into 1 input (3 adds per input)
    "maxpool": (3, 1),   # 3 compares per output; backward scatters 1 value per output
    "concat": (0, 0),
}
EW_EVAL = {"bn": 2, "dropout": 0}  # eval-mode (generation): BN is an affine, dropout is identity
ADAM_FLOPS = 12       # per parameter: m (3), v (4), sqrt/eps/div/lr/sub (5); bias correction scalar
ADAM_BYTES = 28       # per parameter: read p, g, m, v (16 B) + write p, m, v (12 B)
REG_EW = 3            # regularizer: sub, abs, accumulate per element (forward), same again backward
IMG = 44 * 44

PEAKS = {  # NVIDIA H100 / H200 datasheets (dense, no sparsity)
    "h100_sxm": {"fp32": 67e12, "tf32": 495e12, "bf16": 989e12, "bw": 3.35e12},
    "h200": {"fp32": 67e12, "tf32": 495e12, "bf16": 989e12, "bw": 4.8e12},
    "h100_pcie": {"fp32": 51e12, "tf32": 378e12, "bf16": 756e12, "bw": 2.0e12},
}


def conv(name, cin, cout, hin):
    hout = hin - 2
    return dict(name=name, kind="conv", out=(cout, hout, hout), out_elems=cout * hout * hout,
                params=cin * cout * 9 + cout,
                flops=2 * cin * cout * 9 * hout * hout + cout * hout * hout)


def linear(name, fin, fout):
    return dict(name=name, kind="linear", out=(fout,), out_elems=fout, params=fin * fout + fout,
                flops=2 * fin * fout + fout)


def ew(name, kind, shape, params=0):
    n = int(np.prod(shape))
    return dict(name=name, kind=kind, out=tuple(shape), out_elems=n, params=params,
                flops=EW[kind][0] * n)


def bn(name, shape):
    return ew(name, "bn", shape, params=2 * shape[0])


def generator():
    L = [linear("G.fc1 19->256", 19, 256), bn("G.bn1", (256,)), ew("G.drop1", "dropout", (256,)),
         ew("G.lrelu1", "lrelu", (256,)), linear("G.fc2 256->21632", 256, 21632),
         bn("G.bn2", (21632,)), ew("G.drop2", "dropout", (21632,)), ew("G.lrelu2", "lrelu", (21632,)),
         ew("G.up1 ->(128,26,26)", "upsample", (128, 26, 26)),
         conv("G.conv1 128->128", 128, 128, 26), bn("G.bn3", (128, 24, 24)),
         ew("G.drop3", "dropout", (128, 24, 24)), ew("G.lrelu3", "lrelu", (128, 24, 24)),
         ew("G.up2 ->(128,48,48)", "upsample", (128, 48, 48)),
         conv("G.conv2 128->64", 128, 64, 48), bn("G.bn4", (64, 46, 46)),
         ew("G.drop4", "dropout", (64, 46, 46)), ew("G.lrelu4", "lrelu", (64, 46, 46)),
         conv("G.conv3 64->1", 64, 1, 46), ew("G.relu", "relu", (1, 44, 44))]
    return L


def discriminator():
    L = [conv("D.conv1 1->32", 1, 32, 44), bn("D.bn1", (32, 42, 42)),
         ew("D.drop1", "dropout", (32, 42, 42)), ew("D.lrelu1", "lrelu", (32, 42, 42)),
         ew("D.pool1", "maxpool", (32, 21, 21)),
         conv("D.conv2 32->16", 32, 16, 21), bn("D.bn2", (16, 19, 19)),
         ew("D.drop2", "dropout", (16, 19, 19)), ew("D.lrelu2", "lrelu", (16, 19, 19)),
         ew("D.pool2", "maxpool", (16, 9, 9)), ew("D.concat c ->1305", "concat", (1305,)),
         linear("D.fc1 1305->128", 1305, 128), bn("D.bn3", (128,)), ew("D.drop3", "dropout", (128,)),
         ew("D.lrelu3", "lrelu", (128,)), linear("D.fc2 128->64", 128, 64), bn("D.bn4", (64,)),
         ew("D.drop4", "dropout", (64,)), ew("D.lrelu4 (e)", "lrelu", (64,)),
         linear("D.out 64->1", 64, 1)]
    return L


G, D = generator(), discriminator()
G_PARAMS, D_PARAMS = sum(l["params"] for l in G), sum(l["params"] for l in D)
assert G_PARAMS == 5_830_657, G_PARAMS
assert D_PARAMS == 180_913, D_PARAMS
assert G[-1]["out"] == (1, 44, 44) and D[9]["out_elems"] + 9 == 1305


def is_gemm(l):
    return l["kind"] in ("conv", "linear")


def fwd(net):  # (gemm, non-gemm) forward FLOPs per sample
    g = sum(l["flops"] for l in net if is_gemm(l))
    return g, sum(l["flops"] for l in net) - g


def bwd(net, first_data_grad):  # (gemm, non-gemm) backward FLOPs per sample
    g = e = 0.0
    for i, l in enumerate(net):
        if is_gemm(l):
            g += l["flops"] * (1 if (i == 0 and not first_data_grad) else 2)
        else:
            e += EW[l["kind"]][1] * l["out_elems"]
    return g, e


def act_elems(net):  # activation elements per sample (every op's output)
    return sum(l["out_elems"] for l in net)


GEN_ROWS = {"none": 1, "ms": 2, "ds": 2, "sdi": 2, "divbal": 2, "divco": 12}
GLOSS_ROWS = {"none": 1, "ms": 1, "ds": 1, "sdi": 2, "divbal": 2, "divco": 12}
REGS = list(GEN_ROWS)


def reg_flops(r, B):
    if r in ("ms", "ds"):       # L1 over the image pair + z distance, forward and backward
        return 2 * REG_EW * (2 * B * IMG + 2 * B * 10)
    if r in ("sdi", "divbal"):  # L1 over 64-d features of the pair (+ z), forward and backward
        return 2 * REG_EW * (2 * B * 64 + 2 * B * 10)
    if r == "divco":            # query vs positive + 10 negatives: 11 distances of 64-d per sample
        return 2 * REG_EW * (11 * B * 64)
    return 0


def step(r, B):
    gf, ef = fwd(G)
    dgf, def_ = fwd(D)
    gb, eb = bwd(G, first_data_grad=False)
    db1g, db1e = bwd(D, first_data_grad=False)   # D update: no grad to the real / detached images
    db2g, db2e = bwd(D, first_data_grad=True)    # G update: data grad down to the image
    ng, nd = GEN_ROWS[r] * B, GLOSS_ROWS[r] * B
    real_extra = 2 * B if r == "divbal" else 0  # divbal's no-grad D forward on real + real pair
    split = {
        "g_fwd": ng * (gf + ef),
        "d_fwd": (2 * B + nd + real_extra) * (dgf + def_),
        "d_bwd": 2 * B * (db1g + db1e) + nd * (db2g + db2e),
        "g_bwd": ng * (gb + eb),
        "adam": ADAM_FLOPS * (G_PARAMS + D_PARAMS),
        "regularizer": reg_flops(r, B),
    }
    gemm = ng * (gf + gb) + (2 * B + nd + real_extra) * dgf + 2 * B * db1g + nd * db2g
    total = sum(split.values())
    bytes_w = ADAM_BYTES * (G_PARAMS + D_PARAMS)
    # activations: written once in forward (4 B) and read once in backward (4 B) when a backward
    # follows; the no-grad divbal D pass only writes. Plus the input batch (images, c, z).
    a = 8 * (ng * act_elems(G) + (2 * B + nd) * act_elems(D)) + 4 * real_extra * act_elems(D)
    inputs = 4 * ((B + real_extra) * (IMG + 9) + ng * 19)
    bytes_a = a + inputs
    # data-gradient tensors (not part of floor (b)): one write + one read per activation in backward
    bytes_grad = 8 * (ng * act_elems(G) + (2 * B + nd) * act_elems(D))
    floor = {}
    for dev, key in (("h100_sxm", "h100_sxm"), ("h200", "h200")):
        p = PEAKS[dev]
        for prec in ("fp32", "tf32"):
            floor[f"{key}_{prec}"] = 1e6 * max(total / p[prec], (bytes_w + bytes_a) / p["bw"])
    hard = {f"{k}_{prec}": 1e6 * max(total / PEAKS[k][prec], bytes_w / PEAKS[k]["bw"])
            for k in ("h100_sxm", "h200") for prec in ("fp32", "tf32")}
    # tighter TF32 variant: only conv/linear FLOPs run on tensor cores, the rest on FP32 cores
    tf32_split = {k: 1e6 * max(gemm / PEAKS[k]["tf32"] + (total - gemm) / PEAKS[k]["fp32"],
                               (bytes_w + bytes_a) / PEAKS[k]["bw"]) for k in ("h100_sxm", "h200")}
    return dict(regularizer=r, batch=B, gen_rows=ng, d_gloss_rows=nd, flops=total,
                flops_gemm=gemm, flops_split=split, bytes_weights_opt=bytes_w,
                bytes_activations=bytes_a, bytes_grad_tensors_not_in_floor=bytes_grad,
                floor_us=floor, floor_us_weights_only_bytes=hard,
                floor_us_tf32_gemm_only_on_tc=tf32_split)


def generation():
    gemm = sum(l["flops"] for l in G if is_gemm(l))
    macs2 = sum(l["flops"] - l["out_elems"] for l in G if is_gemm(l))  # without bias adds
    ewf = sum(EW_EVAL.get(l["kind"], EW[l["kind"]][0]) * l["out_elems"] for l in G if not is_gemm(l))
    total = gemm + ewf
    conv12 = sum(l["flops"] for l in G if l["name"].startswith(("G.conv1", "G.conv2")))
    # eval mode: dropout is identity (no tensor), BN folds into an affine
    unfused = 8 * sum(l["out_elems"] for l in G if l["kind"] != "dropout")
    sx = PEAKS["h100_sxm"]
    return dict(flops_per_shower=total, flops_gemm_per_shower=gemm, flops_macs_only=macs2,
                flops_elementwise_eval=ewf, conv1_conv2_share=conv12 / total,
                issue_claim_flops=0.5e9, matches_issue_claim=abs(total - 0.5e9) / 0.5e9 < 0.05,
                showers_per_s_h100_sxm_bf16_dense=sx["bf16"] / total,
                showers_per_s_h100_sxm_tf32_dense=sx["tf32"] / total,
                showers_per_s_h100_sxm_fp32=sx["fp32"] / total,
                bytes_per_shower_fused=4 * IMG + 4 * 19,
                bytes_per_shower_unfused=unfused + 4 * 19,
                weight_bytes_per_batch=4 * G_PARAMS,
                note="bytes: fused = read z,c + write the 44x44 fp32 image; unfused = every "
                     "op output written once and read once (fp32); weights (23.3 MB) are read "
                     "once per batch and amortize away at large batch")


def fmt(x, unit=""):
    for s, d in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= d:
            return f"{x / d:.3f} {s}{unit}"
    return f"{x:.0f} {unit}".strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="bench/results/floors.json")
    ap.add_argument("--batches", type=int, nargs="+", default=[64, 128, 256])
    args = ap.parse_args()

    rows = [dict(name=l["name"], kind=l["kind"], out=list(l["out"]), params=l["params"],
                 fwd_flops_per_sample=l["flops"]) for l in G + D]
    print("## Per-layer forward FLOPs per sample (training mode)\n")
    print("| layer | output | params | fwd FLOPs/sample |\n|---|---|---:|---:|")
    for l in G + D:
        print(f"| {l['name']} | {'x'.join(map(str, l['out']))} | {l['params']:,} | {l['flops']:,} |")
    for tag, net in (("G", G), ("D", D)):
        g, e = fwd(net)
        print(f"| **{tag} total** | | {sum(l['params'] for l in net):,} | {g + e:,.0f} "
              f"(GEMM {g:,.0f}) |")

    entries = [step(r, B) for r in REGS for B in args.batches]
    keys = list(entries[0]["flops_split"])
    print("\n## FLOPs per training step\n")
    print("| reg | B | G rows | total | " + " | ".join(keys) + " | GEMM share |")
    print("|---|---:|---:|---:|" + "---:|" * (len(keys) + 1))
    for e in entries:
        print(f"| {e['regularizer']} | {e['batch']} | {e['gen_rows']} | {fmt(e['flops'])} | "
              + " | ".join(fmt(e["flops_split"][k]) for k in keys)
              + f" | {e['flops_gemm'] / e['flops']:.1%} |")

    print("\n## Bytes per step and time floors (µs) — floor = max(FLOPs/peak, (a+b)/bandwidth)\n")
    print("| reg | B | (a) weights+Adam | (b) activations | grad tensors (not in b) | "
          "H100 FP32 | H100 TF32 | H200 FP32 | H200 TF32 | H100 TF32 (a) only | "
          "H100 TF32 GEMM-on-TC |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for e in entries:
        f = e["floor_us"]
        print(f"| {e['regularizer']} | {e['batch']} | {fmt(e['bytes_weights_opt'], 'B')} | "
              f"{fmt(e['bytes_activations'], 'B')} | {fmt(e['bytes_grad_tensors_not_in_floor'], 'B')} | "
              f"{f['h100_sxm_fp32']:.1f} | {f['h100_sxm_tf32']:.1f} | {f['h200_fp32']:.1f} | "
              f"{f['h200_tf32']:.1f} | {e['floor_us_weights_only_bytes']['h100_sxm_tf32']:.1f} | "
              f"{e['floor_us_tf32_gemm_only_on_tc']['h100_sxm']:.1f} |")

    gen = generation()
    print("\n## Generation (one generator forward, eval mode)\n")
    print("| quantity | value |\n|---|---:|")
    for k, lbl in (("flops_per_shower", "FLOPs per shower (total)"),
                   ("flops_gemm_per_shower", "  of which conv/linear (incl. bias)"),
                   ("flops_macs_only", "  2*MACs only"),
                   ("flops_elementwise_eval", "  elementwise (eval BN affine, LReLU, ReLU)")):
        print(f"| {lbl} | {gen[k]:,.0f} ({fmt(gen[k], 'FLOP')}) |")
    print(f"| G.conv1 + G.conv2 share | {gen['conv1_conv2_share']:.1%} |")
    for k, lbl in (("showers_per_s_h100_sxm_bf16_dense", "showers/s, H100 SXM BF16 dense 989 TF"),
                   ("showers_per_s_h100_sxm_tf32_dense", "showers/s, H100 SXM TF32 dense 495 TF"),
                   ("showers_per_s_h100_sxm_fp32", "showers/s, H100 SXM FP32 67 TF")):
        print(f"| {lbl} | {gen[k]:,.0f} |")
    print(f"| bytes/shower fused (z,c in + 44x44 fp32 out) | {gen['bytes_per_shower_fused']:,} |")
    print(f"| bytes/shower unfused (each op output w+r, fp32) | {gen['bytes_per_shower_unfused']:,} |")
    print(f"| G weights read once per batch | {gen['weight_bytes_per_batch']:,} |")
    verdict = "matches" if gen["matches_issue_claim"] else "DIFFERS from"
    print(f"\nGeneration: {gen['flops_per_shower'] / 1e9:.4f} GFLOP per shower — {verdict} the "
          "issue's '≈ 0.5 GFLOP per shower'.")

    assumptions = [
        "1 multiply-add = 2 FLOPs; conv/linear forward = 2*MACs + bias add per output",
        "conv/linear backward = 2x forward (data + weight grad); 1x for a first layer whose "
        "data grad is skipped (G.fc1 always, D.conv1 in the D update)",
        "G update back-propagates through D with weight grads too (our engine's autograd "
        "computes them even though only G is stepped) — counted",
        "elementwise FLOPs/element (fwd, bwd): " + ", ".join(f"{k} {v}" for k, v in EW.items()),
        f"Adam: {ADAM_FLOPS} FLOPs and {ADAM_BYTES} B (read p,g,m,v; write p,m,v; fp32) per "
        "parameter, both networks, every step",
        f"regularizer: {REG_EW} FLOPs/element forward and again backward; ms/ds over 2B x 1936 "
        "image elements (+z), sdi/divbal over 2B x 64 features (+z), divco 11 x 64 per sample",
        "BCE/hinge losses, RNG for dropout/z, dropout masks and BN running stats are ignored",
        "floor (a): weights+optimizer bytes only; floor (b): every op output written once in "
        "forward and read once in backward (fp32) plus the input batch; a fused implementation "
        "(recomputation, fused epilogues) can go below (b): it is a practical floor, not a hard one",
        "floor_us = max(FLOPs/peak, (a+b)/bandwidth); floor_us_weights_only_bytes uses (a) only",
        "peaks: NVIDIA H100 SXM datasheet FP32 67 TFLOPS, TF32 TC 495 dense (989 sparse), BF16 "
        "989 dense, HBM3 3.35 TB/s; H200 same compute, HBM3e 4.8 TB/s; H100 PCIe lower: FP32 51, "
        "TF32 378 dense, BF16 756 dense, 2.0 TB/s",
        "TF32 floor applies the tensor-core peak to all FLOPs (as specified); "
        "floor_us_tf32_gemm_only_on_tc runs only conv/linear on TCs and the rest at FP32 peak",
        "most conv FLOPs are in G.conv1 (128->128) and G.conv2 (128->64) and their backward",
    ]
    out = dict(benchmark="floors",
               config=dict(batches=args.batches, regularizers=REGS, gen_rows_per_sample=GEN_ROWS,
                           d_gloss_rows_per_sample=GLOSS_ROWS, g_params=G_PARAMS,
                           d_params=D_PARAMS, peaks=PEAKS, assumptions=assumptions),
               layers=rows, steps=entries, generation=gen)
    d = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".floors.", suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(out, fh, indent=2)
        fh.write("\n")
    os.replace(tmp, args.out)
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
