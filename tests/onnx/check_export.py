#!/usr/bin/env python3
"""Checks an exported generator against divgan itself (docs/design.md#onnx-export).

onnxruntime runs the ONNX model on the latents and conditions that `divgan generate --latents`
is given; the two outputs must agree within 1e-5 in log1p space, with the whole batch in one
call and row by row (batch 1, the way ALICE O2 runs it). The scales file is read with a parser
written to O2's rules and must hold the checkpoint's standardizer exactly; the channel sums O2
computes from the ONNX output (its indexing, transcribed below) must equal divgan's.

Usage: check_export.py DIVGAN CHECKPOINT MODEL.onnx SCALES.txt WORKDIR [--single-input]
Prints one "ok ..." line per check and exits non-zero at the first failure.
"""
import json
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

TOL = 1e-5  # log1p space
ROWS = 256


def fail(msg):
    print(f"FAIL {msg}")
    sys.exit(1)


def o2_parse_block(lines, header):
    """O2's rule: skip to the line equal to `header`, then one float per line up to a blank line
    or the end of the file."""
    it = iter(lines)
    for line in it:
        if line == header:
            break
    else:
        return []
    values = []
    for line in it:
        if line == "":
            break
        values.append(float(line))
    return values


def checkpoint_standardizer(path):
    raw = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    meta = json.loads(raw[8 : 8 + n])["__metadata__"]
    st = json.loads(meta["zdc.standardizer"])
    return {k: np.array(v, dtype=np.float64) for k, v in st.items()}


def o2_channels(image):
    """O2's channel sums of one output (transcribed indexing: flat[j + i*44], quadrants for
    i % 2 == j % 2, the rest in the fifth channel), in float64."""
    flat = np.expm1(image.reshape(-1).astype(np.float64))
    ch = np.zeros(5)
    for i in range(44):
        for j in range(44):
            v = flat[j + i * 44]
            if i % 2 == j % 2:
                ch[(0 if i < 22 else 2) + (0 if j < 22 else 1)] += v
            else:
                ch[4] += v
    return ch


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    single = "--single-input" in sys.argv
    divgan, ckpt, model_path, scales_path, work = args
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)

    model = onnx.load(model_path)
    onnx.checker.check_model(model, full_check=True)
    opset = {o.domain: o.version for o in model.opset_import}[""]
    print(f"ok   onnx.checker (full) accepts the model, opset {opset}")

    lines = Path(scales_path).read_text().split("\n")
    means = np.array(o2_parse_block(lines, "#means"))
    scales = np.array(o2_parse_block(lines, "#scales"))
    if means.size != 9 or scales.size != 9:
        fail(f"O2's parser reads {means.size} means and {scales.size} scales; expected 9 and 9")
    st = checkpoint_standardizer(ckpt)
    ck_mean, ck_scale = st["mean"], st["scale"]
    if not (np.array_equal(means, ck_mean) and np.array_equal(scales, ck_scale)):
        fail("the scales file does not round-trip to the checkpoint's standardizer")
    print("ok   the scales file, read by O2's rules, is the checkpoint's standardizer bit for bit")

    rng = np.random.default_rng(7)
    # Particles inside the training span (no extrapolation warning).
    raw = st["min"] + (st["max"] - st["min"]) * rng.random((ROWS, 9))
    z = rng.standard_normal((ROWS, 10)).astype(np.float32)
    np.save(work / "conditions.npy", raw)
    np.save(work / "latents.npy", z.astype(np.float64))
    subprocess.run(
        [divgan, "generate", "--checkpoint", ckpt, "--conditions", str(work / "conditions.npy"),
         "--latents", str(work / "latents.npy"), "--batch", str(ROWS), "--dtype", "f8",
         "--out", str(work / "ours.npy"), "--channels-out", str(work / "channels.npy")],
        check=True, stdout=subprocess.DEVNULL)
    ours = np.log1p(np.load(work / "ours.npy")).reshape(ROWS, 44 * 44)
    our_channels = np.load(work / "channels.npy")
    if np.count_nonzero(ours) < ours.size // 100:
        fail(f"divgan's showers are {np.count_nonzero(ours)} non-zero values: nothing to compare")

    cond = ((raw - means) / scales).astype(np.float32)  # as divgan: double, then float32
    sess = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    inputs = sess.get_inputs()
    names = [i.name for i in inputs]

    def feed(zz, cc):
        if single:
            return {names[0]: np.concatenate([zz, cc], axis=1)}
        return {names[0]: zz, names[1]: cc}

    if single:
        if len(inputs) != 1 or inputs[0].shape[1:] != [19]:
            fail(f"single-input model has inputs {[(i.name, i.shape) for i in inputs]}")
    else:
        # O2 takes the inputs by position, noise first, and turns a symbolic batch into 1.
        if len(inputs) != 2 or inputs[0].shape[1:] != [10] or inputs[1].shape[1:] != [9]:
            fail(f"model inputs are {[(i.name, i.shape) for i in inputs]}; expected (b,10),(b,9)")
    out_shape = sess.get_outputs()[0].shape
    if out_shape[1:] != [1, 44, 44]:
        fail(f"output shape {out_shape}; expected (batch, 1, 44, 44)")

    whole = sess.run(None, feed(z, cond))[0].reshape(ROWS, -1)
    err = float(np.max(np.abs(whole.astype(np.float64) - ours)))
    if not err <= TOL:
        fail(f"batch {ROWS}: max |onnxruntime - divgan| = {err:.3g} in log1p space > {TOL}")
    print(f"ok   batch {ROWS}: onnxruntime equals divgan generate within {err:.2g} (log1p)")

    err1 = 0.0
    for r in range(ROWS):
        one = sess.run(None, feed(z[r : r + 1], cond[r : r + 1]))[0].reshape(-1)
        err1 = max(err1, float(np.max(np.abs(one.astype(np.float64) - ours[r]))))
        if r < 16:
            ch = o2_channels(one)
            if not np.allclose(ch, our_channels[r], rtol=1e-4, atol=1e-3):
                fail(f"row {r}: O2's channel sums {ch} differ from divgan's {our_channels[r]}")
    if not err1 <= TOL:
        fail(f"batch 1: max |onnxruntime - divgan| = {err1:.3g} in log1p space > {TOL}")
    print(f"ok   batch 1 (x{ROWS}): onnxruntime equals divgan generate within {err1:.2g} (log1p)")
    print("ok   O2's channel sums of the ONNX output equal divgan's (16 showers)")


if __name__ == "__main__":
    main()
