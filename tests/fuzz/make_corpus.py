"""Writes the seed corpora of the safetensors and checkpoint-config fuzz targets
(tests/fuzz/corpus/safetensors/, tests/fuzz/corpus/checkpoint_config/): a few valid files as
divgan writes them and a few broken ones. The metadata is that of a real checkpoint
(`divgan train --data 2d --steps 2`), with tiny tensors instead of the networks' to keep the seeds
small. The HDF5 seeds are written by the HDF5 target itself (see tests/fuzz/fuzz_hdf5.cpp).
Python standard library only.
Run: python3 tests/fuzz/make_corpus.py   (rewrites both folders)"""
import json
import os
import shutil
import struct

here = os.path.dirname(os.path.abspath(__file__))


def safetensors(tensors, metadata=None, pad=True):
    """tensors: [(name, dtype 'F32'|'F64', shape, values)] -> the bytes of a safetensors file."""
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, values in tensors:
        raw = struct.pack("<%d%s" % (len(values), "f" if dtype == "F32" else "d"), *values)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


def raw_file(header_text, data=b"", length=None):
    text = header_text.encode() if isinstance(header_text, str) else header_text
    return struct.pack("<Q", len(text) if length is None else length) + text + data


# The config of `divgan train --data 2d --steps 2`, as its checkpoint stores it.
CONFIG_2D = {
    "adam_eps": 1e-08, "batch": 128, "beta1": 0.5, "beta2": 0.999, "checkpoint_every": 1000,
    "dataset": "2d", "divco_negatives": 10, "divco_radius": 0.001, "divco_tau": 1.0, "ds_tau": 0.0,
    "eps": 1e-05, "eval_every": 0, "graph": False, "hidden": 128, "keep_best": False,
    "lambda": 0.0, "latent": 8, "log_every": 100, "lr_d": 0.0002, "lr_g": 0.0002,
    "per_condition": 1000, "precision": "fp32", "reg": "none", "seed": 1, "steps": 2}
# A ZDC config as TrainConfig::to_json writes it (no hidden/per_condition; ZDC fields instead).
CONFIG_ZDC = {k: v for k, v in CONFIG_2D.items() if k not in ("hidden", "per_condition")}
CONFIG_ZDC.update({
    "dataset": "zdc", "reg": "divbal", "lambda": 0.1, "latent": 10, "generator": "dcgan",
    "responses": "", "particles": "", "sim_particles": 1000, "data_seed": 1, "split": "particle",
    "eval_regenerations": 5, "eval_every": 100, "keep_best": True, "precision": "tf32"})
# Written before the generator and precision were recorded.
CONFIG_ZDC_OLD = {k: v for k, v in CONFIG_ZDC.items()
                  if k not in ("generator", "precision", "split", "keep_best")}
STANDARDIZER = {"mean": [300.0, 0.0, 0.0, 0.1, 0.0, 0.0, 300.0, 939.6, 0.0],
                "scale": [150.0, 0.01, 0.01, 1.0, 0.5, 0.5, 150.0, 1.0, 1.0],
                "min": [10.0, -0.05, -0.05, -4.0, -2.0, -2.0, 10.0, 0.0, -1.0],
                "max": [600.0, 0.05, 0.05, 4.0, 2.0, 2.0, 600.0, 939.6, 1.0]}
STANDARDIZER_OLD = {k: STANDARDIZER[k] for k in ("mean", "scale")}


def metadata(config, **more):
    m = {"format": "divgan-train-v1", "config": json.dumps(config, separators=(",", ":"),
                                                           sort_keys=True),
         "step": "2", "optG.steps": "2", "optD.steps": "2", "rng.data": "562949953421440",
         "rng.dropout": "0", "rng.z": "281474976711680"}
    m.update(more)
    return m


# Real tensor names of a 2D checkpoint, tiny shapes.
TINY = [("D.body.0.bias", "F32", [2], [0.5, -0.25]),
        ("G.net.0.weight", "F32", [2, 3], [0.1, 0.2, 0.3, -0.1, -0.2, -0.3]),
        ("optG.exp_avg_sq.net.0.weight", "F32", [2, 3], [0.0] * 6),
        ("x64", "F64", [3], [1.0, 2.5, -3.0])]

safetensors_seeds = {
    "small.safetensors": safetensors(TINY[:2] + TINY[3:], {"k": "v"}),
    "empty.safetensors": safetensors([]),
    "metadata_only.safetensors": safetensors([], {"a": "", "b": "\u00e9"}),
    "scalar_and_zero.safetensors": safetensors([("s", "F32", [], [7.0]), ("z", "F64", [0, 3], [])]),
    "unpadded.safetensors": safetensors(TINY[:1], pad=False),
    "checkpoint_2d.safetensors": safetensors(TINY, metadata(CONFIG_2D)),
    # Broken: each is refused with a dg::Error.
    "bad_truncated.safetensors": safetensors(TINY[:2])[:-3],
    "bad_header_len.safetensors": raw_file("{}", length=1 << 40),
    "bad_json.safetensors": raw_file('{"a": [1, 2,,}'),
    "bad_overlap.safetensors": raw_file(
        '{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
        '"y":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}', bytes(12)),
    "bad_dtype.safetensors": raw_file(
        '{"x":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}', bytes(4)),
    "bad_shape.safetensors": raw_file(
        '{"x":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}', bytes(8)),
    # Findings of the fuzz target, fixed: a partial product of the shape over 2^63 with no
    # elements (UB in shape_numel), a number out of double's range (an escaping json exception),
    "bad_shape_prefix.safetensors": raw_file(
        '{"x":{"dtype":"F32","shape":[4294967296,2147483648,0],"data_offsets":[0,0]}}'),
    "bad_number.safetensors": raw_file('{"a":1e400}'),
    # ... and a hole in the data section (bytes [4, 8) belong to no tensor).
    "bad_hole.safetensors": raw_file(
        '{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
        '"y":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}', bytes(12)),
}

config_seeds = {
    "config_2d.json": json.dumps(CONFIG_2D).encode(),
    "config_zdc.json": json.dumps(CONFIG_ZDC).encode(),
    "config_zdc_old.json": json.dumps(CONFIG_ZDC_OLD).encode(),
    "standardizer.json": json.dumps(STANDARDIZER).encode(),
    "standardizer_old.json": json.dumps(STANDARDIZER_OLD).encode(),
    "step.txt": b"18446744073709551615",
    "checkpoint_2d.safetensors": safetensors(TINY[:2], metadata(CONFIG_2D)),
    "checkpoint_zdc.safetensors": safetensors(TINY[:1], metadata(
        CONFIG_ZDC, **{"zdc.standardizer": json.dumps(STANDARDIZER), "best.step": "100",
                       "best.value": "0.25", "best.metric": "ws_mean"})),
    "checkpoint_zdc_old.safetensors": safetensors(TINY[:1], metadata(
        CONFIG_ZDC_OLD, **{"zdc.standardizer": json.dumps(STANDARDIZER_OLD)})),
    # Broken: each is refused with a dg::Error.
    "bad_config_type.json": json.dumps(dict(CONFIG_2D, steps="2")).encode(),
    "bad_config_reg.json": json.dumps(dict(CONFIG_2D, reg="nope")).encode(),
    "bad_standardizer.json": json.dumps(dict(STANDARDIZER, scale=[0.0] * 9)).encode(),
    "bad_no_config.safetensors": safetensors([], {"step": "x"}),
    # Findings of the fuzz target, fixed: an integer field beyond its type's range (UB in the
    # float-to-integer conversion), a negative step accepted as 2^64 - 1.
    "bad_config_data_seed.json": json.dumps(dict(CONFIG_ZDC, data_seed=1.8e53)).encode(),
    "bad_negative_step.txt": b"-1",
}

for sub, seeds in (("safetensors", safetensors_seeds), ("checkpoint_config", config_seeds)):
    folder = os.path.join(here, "corpus", sub)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    for name, content in seeds.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(content)
    print("%s: %d seeds, %d bytes" % (folder, len(seeds), sum(len(c) for c in seeds.values())))
