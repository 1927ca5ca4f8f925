"""Writes position-embedding resize fixtures with PyTorch itself (F.interpolate) and timm.

Run: /work/main/tools/.venv/bin/python tools/fixtures_resize.py   (writes fixtures/resize/)

Outputs (deterministic: fixed seed, single thread):
  fixtures/resize/data.f32    every input and output, raw little-endian float32, concatenated
  fixtures/resize/cases.json  one entry per case: parameters, and element offsets/counts into data.f32
  fixtures/resize/manifest.json

Inputs are position-embedding rows, shape (prefix + h*w, D), row-major with the grid row-major (row = y).
For F.interpolate cases the grid is viewed exactly as timm views it:
    x.reshape(1, h, w, D).permute(0, 3, 1, 2)   (a channels-last NCHW view, float32)
and the output is permuted back to (new_h*new_w, D).
"""
import json
import os

import numpy as np
import timm
import torch
import torch.nn.functional as F
from timm.layers import resample_abs_pos_embed

torch.set_num_threads(1)
out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "resize")
os.makedirs(out_dir, exist_ok=True)
rng = np.random.default_rng(20240611)

blob = []          # list of float32 arrays
offset = [0]       # running element offset
inputs = {}        # (prefix, h, w, D) -> (offset, count)
cases = []


def put(arr):
    arr = np.ascontiguousarray(arr, dtype=np.float32).ravel()
    start = offset[0]
    blob.append(arr)
    offset[0] += arr.size
    return start, int(arr.size)


def grid_input(prefix, h, w, d):
    key = (prefix, h, w, d)
    if key not in inputs:
        values = rng.standard_normal((prefix + h * w, d)).astype(np.float32)
        inputs[key] = (values,) + put(values)
    return inputs[key]


def interpolate_case(old, new, d, mode, antialias, align_corners):
    values, in_off, in_count = grid_input(0, old[0], old[1], d)
    x = torch.from_numpy(values.copy()).reshape(1, old[0], old[1], d).permute(0, 3, 1, 2)
    y = F.interpolate(x, size=new, mode=mode, antialias=antialias, align_corners=align_corners)
    y = y.permute(0, 2, 3, 1).reshape(new[0] * new[1], d)
    out_off, out_count = put(y.numpy())
    name = f"interpolate_{mode}_aa{int(antialias)}_ac{int(align_corners)}_{old[0]}x{old[1]}_to_{new[0]}x{new[1]}_d{d}"
    cases.append({"name": name, "source": "torch.nn.functional.interpolate",
                  "mode": mode, "antialias": antialias, "align_corners": align_corners,
                  "prefix_tokens": 0, "embed_dim": d, "old_grid": list(old), "new_grid": list(new),
                  "input": [in_off, in_count], "output": [out_off, out_count]})


def timm_case(prefix, old, new, d):
    values, in_off, in_count = grid_input(prefix, old[0], old[1], d)
    x = torch.from_numpy(values.copy()).unsqueeze(0)
    y = resample_abs_pos_embed(x, new_size=list(new), old_size=list(old), num_prefix_tokens=prefix,
                               interpolation="bicubic", antialias=True)
    y = y.reshape(prefix + new[0] * new[1], d)
    assert torch.equal(y[:prefix], x[0, :prefix]), "timm keeps prefix rows unchanged"
    out_off, out_count = put(y.numpy())
    name = f"timm_prefix{prefix}_{old[0]}x{old[1]}_to_{new[0]}x{new[1]}_d{d}"
    cases.append({"name": name, "source": "timm.layers.resample_abs_pos_embed",
                  "mode": "bicubic", "antialias": True, "align_corners": False,
                  "prefix_tokens": prefix, "embed_dim": d, "old_grid": list(old), "new_grid": list(new),
                  "input": [in_off, in_count], "output": [out_off, out_count]})


D = 8
size_pairs = [
    ((7, 7), (12, 12)),    # up
    ((14, 14), (7, 7)),    # down by 2
    ((6, 10), (9, 4)),     # non-square, up in h and down in w
    ((9, 4), (6, 10)),     # the other way
    ((5, 5), (5, 5)),      # identity
    ((1, 8), (1, 13)),     # one row
    ((1, 8), (3, 5)),      # one row to a grid
    ((5, 3), (1, 1)),      # down to a single cell
    ((3, 1), (7, 1)),      # one column
    ((13, 11), (4, 5)),    # strong, uneven downscale (antialias support > 2 taps)
]
for old, new in size_pairs:
    for mode in ("bilinear", "bicubic"):
        for antialias in (False, True):
            interpolate_case(old, new, D, mode, antialias, False)

align_pairs = [((7, 7), (12, 12)), ((14, 14), (7, 7)), ((6, 10), (9, 4)), ((5, 3), (1, 1))]
for old, new in align_pairs:
    for mode in ("bilinear", "bicubic"):
        for antialias in (False, True):
            interpolate_case(old, new, D, mode, antialias, True)

# Embedding widths that exercise torch's vector and scalar-tail loops (AVX2: 8 lanes, AVX512: 16).
for d in (5, 16):
    for mode in ("bilinear", "bicubic"):
        for antialias in (False, True):
            interpolate_case((6, 10), (9, 4), d, mode, antialias, False)

timm_case(1, (7, 7), (12, 12), D)     # class token
timm_case(2, (14, 14), (8, 8), D)     # DeiT distilled: class + distillation tokens
timm_case(1, (6, 10), (9, 4), D)      # non-square grid

data = np.concatenate(blob).astype("<f4")
data.tofile(os.path.join(out_dir, "data.f32"))
with open(os.path.join(out_dir, "cases.json"), "w") as f:
    json.dump({"element_count": int(data.size), "cases": cases}, f, indent=1)
with open(os.path.join(out_dir, "manifest.json"), "w") as f:
    json.dump({"script": "tools/fixtures_resize.py",
               "libraries": {"torch": torch.__version__, "timm": timm.__version__, "numpy": np.__version__},
               "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
               "files": {"data.f32": "inputs and outputs, little-endian float32, indexed by cases.json",
                         "cases.json": "parameters and element ranges of every case"},
               "case_count": len(cases)}, f, indent=1)
print(f"{len(cases)} cases, {data.size} floats ({data.nbytes} bytes)")
