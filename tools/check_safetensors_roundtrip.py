#!/usr/bin/env python3
"""Checks, with the reference Python reader, a safetensors file ViTKit wrote.

Usage:
  tools/.venv/bin/python tools/check_safetensors_roundtrip.py FILE EXPECTED.json [--entry KEY]

EXPECTED.json is either {"metadata": {...}, "tensors": {name: {"dtype", "shape", "hex"}}} (as ViTKit's
InteropTests write it) or a map of such objects keyed by file name (as fixtures/safetensors/expected.json);
then --entry picks one (default: FILE's base name). The file is opened with safe_open and load_file; tensor
names, metadata, dtypes, shapes and every byte must match. Exit status 0 when all match, 1 otherwise.
"""
import argparse
import json
import os
import sys

import torch
from safetensors import safe_open
from safetensors.torch import load_file

DTYPE_NAMES = {
    torch.bool: "BOOL", torch.uint8: "U8", torch.int8: "I8", torch.float8_e5m2: "F8_E5M2",
    torch.float8_e4m3fn: "F8_E4M3", torch.int16: "I16", torch.uint16: "U16", torch.float16: "F16",
    torch.bfloat16: "BF16", torch.int32: "I32", torch.uint32: "U32", torch.float32: "F32",
    torch.float64: "F64", torch.int64: "I64", torch.uint64: "U64",
}


def raw_hex(t):
    return t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes().hex()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("file")
    ap.add_argument("expected")
    ap.add_argument("--entry", default=None)
    args = ap.parse_args()

    with open(args.expected) as f:
        spec = json.load(f)
    if "tensors" not in spec:
        spec = spec[args.entry or os.path.basename(args.file)]

    problems = []
    with safe_open(args.file, "pt") as f:
        metadata = f.metadata() or {}
        got = {k: f.get_tensor(k) for k in f.keys()}
    loaded = load_file(args.file)

    if metadata != spec.get("metadata", {}):
        problems.append(f"metadata: expected {spec.get('metadata', {})}, found {metadata}")
    if sorted(got) != sorted(spec["tensors"]):
        problems.append(f"tensor names: expected {sorted(spec['tensors'])}, found {sorted(got)}")
    for name, want in sorted(spec["tensors"].items()):
        if name not in got:
            continue
        t = got[name]
        if DTYPE_NAMES.get(t.dtype) != want["dtype"]:
            problems.append(f"{name}: dtype expected {want['dtype']}, found {t.dtype}")
        if list(t.shape) != want["shape"]:
            problems.append(f"{name}: shape expected {want['shape']}, found {list(t.shape)}")
        if raw_hex(t) != want["hex"]:
            problems.append(f"{name}: bytes differ (expected {want['hex'][:32]}..., found {raw_hex(t)[:32]}...)")
        if raw_hex(loaded[name]) != raw_hex(t):
            problems.append(f"{name}: load_file and safe_open disagree")

    if problems:
        for p in problems:
            print("MISMATCH " + p)
        sys.exit(1)
    print(f"OK: {args.file}: {len(got)} tensors and {len(metadata)} metadata entries bit-identical "
          f"(safetensors {__import__('safetensors').__version__})")


if __name__ == "__main__":
    main()
