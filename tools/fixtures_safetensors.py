#!/usr/bin/env python3
"""Makes fixtures/safetensors/ with the reference libraries (safetensors, torch, transformers).

Run with the pinned venv:  tools/.venv/bin/python tools/fixtures_safetensors.py

Writes, deterministically (fixed seeds, one metadata key per file because the Rust writer serialises
metadata from a HashMap, so several keys come out in random order):
  f32.safetensors, f16.safetensors, bf16.safetensors   small tensors, the last two with metadata
  zero_size.safetensors                                zero-size tensors beside a normal one
  all_dtypes.safetensors                               one tensor per dtype ViTKit supports
  vit_sharded/                                         transformers ViTModel.save_pretrained(max_shard_size="8KB")
  python_resaved.safetensors                           vitkit_written.safetensors (made by ViTKit, see below)
                                                       loaded with load_file and saved again with save_file
  expected.json                                        per file: metadata and, per tensor, dtype, shape, raw
                                                       bytes (hex) and, for floats, float32 bit patterns (hex)
  manifest.json                                        what made each file

vitkit_written.safetensors and vitkit_written.expected.json come from ViTKit itself:
  VITKIT_WRITE_FIXTURES=1 swift test --filter "ViTSafetensorsTests.InteropTests"
Run that first (or keep the committed files), then this script.
"""
import json
import os
import shutil
import sys

import torch
import safetensors
import transformers
from safetensors import safe_open
from safetensors.torch import load_file, save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fixtures", "safetensors")

DTYPE_NAMES = {
    torch.bool: "BOOL", torch.uint8: "U8", torch.int8: "I8", torch.float8_e5m2: "F8_E5M2",
    torch.float8_e4m3fn: "F8_E4M3", torch.int16: "I16", torch.uint16: "U16", torch.float16: "F16",
    torch.bfloat16: "BF16", torch.int32: "I32", torch.uint32: "U32", torch.float32: "F32",
    torch.float64: "F64", torch.int64: "I64", torch.uint64: "U64",
}
FLOATS = {torch.float8_e5m2, torch.float8_e4m3fn, torch.float16, torch.bfloat16, torch.float32, torch.float64}


def raw_hex(t):
    return t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes().hex()


def describe(t):
    d = {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape), "hex": raw_hex(t)}
    if t.dtype in FLOATS:
        # float32 bit patterns of the values converted by torch (exact for every float dtype but F64).
        d["f32_bits"] = raw_hex(t.to(torch.float32))
    return d


def describe_file(path):
    with safe_open(path, "pt") as f:
        meta = f.metadata() or {}
        tensors = {k: describe(f.get_tensor(k)) for k in f.keys()}
    return {"metadata": meta, "tensors": tensors}


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    made = {}

    save_file({"weight": torch.randn(3, 4), "bias": torch.randn(4), "scalar": torch.tensor(2.5)},
              os.path.join(OUT, "f32.safetensors"))
    made["f32.safetensors"] = "save_file: F32 (3,4), (4,) and a scalar; no metadata"

    special = torch.tensor([float("inf"), float("-inf"), float("nan"), 65504.0, 6e-8, -0.0, 1e-3, -2.5])
    save_file({"values": special.to(torch.float16), "random": torch.randn(2, 3).to(torch.float16)},
              os.path.join(OUT, "f16.safetensors"), metadata={"source": "ViTKit fixture \u2713 \u00e9"})
    made["f16.safetensors"] = "save_file: F16 with inf/nan/max/subnormal/-0; non-ASCII metadata"

    save_file({"values": special.to(torch.bfloat16), "random": torch.randn(4, 2).to(torch.bfloat16)},
              os.path.join(OUT, "bf16.safetensors"), metadata={"format": "pt"})
    made["bf16.safetensors"] = "save_file: BF16 with special values; metadata format=pt"

    save_file({"empty": torch.zeros(0, 4), "also_empty": torch.zeros(3, 0, 2, dtype=torch.float16),
               "x": torch.tensor([1.0, -1.0])}, os.path.join(OUT, "zero_size.safetensors"))
    made["zero_size.safetensors"] = "save_file: two zero-size tensors and one F32 (2,)"

    every = {}
    for i, d in enumerate(DTYPE_NAMES):
        base = torch.tensor([0.0, 1.0, -2.0, 3.5, 100.0, -0.25]) if d in FLOATS else torch.tensor([0, 1, 2, 3, 100, 7 + i])
        every["t_" + DTYPE_NAMES[d].lower()] = (base != 0).reshape(2, 3) if d == torch.bool else base.to(d).reshape(2, 3)
    save_file(every, os.path.join(OUT, "all_dtypes.safetensors"), metadata={"format": "pt"})
    made["all_dtypes.safetensors"] = "save_file: one (2,3) tensor per dtype ViTKit supports"

    shard_dir = os.path.join(OUT, "vit_sharded")
    shutil.rmtree(shard_dir, ignore_errors=True)
    torch.manual_seed(0)
    cfg = transformers.ViTConfig(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
                                 image_size=16, patch_size=8, num_channels=3)
    model = transformers.ViTModel(cfg, add_pooling_layer=False).eval()
    model.save_pretrained(shard_dir, max_shard_size="8KB")
    made["vit_sharded/"] = "transformers ViTModel (D=16, depth 2, img 16, patch 8).save_pretrained(max_shard_size='8KB')"

    src = os.path.join(OUT, "vitkit_written.safetensors")
    if os.path.exists(src):
        with safe_open(src, "pt") as f:
            meta = f.metadata()
        save_file(load_file(src), os.path.join(OUT, "python_resaved.safetensors"), metadata=meta)
        made["python_resaved.safetensors"] = "load_file(vitkit_written.safetensors) saved again with save_file and the same metadata"
        made["vitkit_written.safetensors"] = "written by ViTKit's SafetensorsWriter (InteropTests, VITKIT_WRITE_FIXTURES=1)"
        made["vitkit_written.expected.json"] = "ViTKit's in-memory tensors behind vitkit_written.safetensors"
    else:
        print("note: vitkit_written.safetensors missing; python_resaved.safetensors not made", file=sys.stderr)

    expected = {}
    for name in sorted(os.listdir(OUT)):
        if name.endswith(".safetensors") and name != "vitkit_written.safetensors":
            expected[name] = describe_file(os.path.join(OUT, name))
    for name in sorted(os.listdir(shard_dir)):
        if name.endswith(".safetensors"):
            expected["vit_sharded/" + name] = describe_file(os.path.join(shard_dir, name))
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")
    made["expected.json"] = "per file: metadata; per tensor: dtype, shape, raw bytes hex, float32 bit patterns hex (via safe_open)"

    manifest = {
        "script": "tools/fixtures_safetensors.py",
        "libraries": {"torch": torch.__version__, "safetensors": safetensors.__version__,
                      "transformers": transformers.__version__},
        "files": made,
    }
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
