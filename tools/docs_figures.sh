#!/usr/bin/env bash
# Makes the example figures under docs/figures/ (shown in README.md and docs/images.md).
#   tools/docs_figures.sh        (needs a debug build: swift build; and tools/.venv for the example model)
# pos-embed and patch-filters: a ViT-S-shaped timm model (224 px, 16 px patches, 14x14 grid, D=64, 4 blocks) whose
# position embedding is random Fourier features of the patch coordinates (similarity falls with distance, as in a
# trained ViT) and whose patch filters are smooth random RGB waves (so the figures show structure; no trained weights
# can be downloaded here); attention and attention-distance: the image fixtures' tiny timm model on fixture photos.
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/figures
work=.build/docs-figures
mkdir -p "$out" "$work"
tools/.venv/bin/python - "$work/rff_vit" <<'PY'
import json, os, sys
import numpy as np
from safetensors.numpy import save_file
d = sys.argv[1]; os.makedirs(d, exist_ok=True)
D, grid, depth, heads, patch = 64, 14, 4, 4, 16
rng = np.random.default_rng(0)
def sincos(D, g):
    # MAE's get_2d_sincos_pos_embed: half the dims encode the row, half the column
    def one(dim, pos):
        omega = 1.0 / 10000 ** (np.arange(dim // 2) / (dim / 2.0))
        out = np.einsum("m,d->md", pos.reshape(-1), omega)
        return np.concatenate([np.sin(out), np.cos(out)], 1)
    gy, gx = np.meshgrid(np.arange(g, dtype=np.float64), np.arange(g, dtype=np.float64), indexing="ij")
    return np.concatenate([one(D // 2, gy), one(D // 2, gx)], 1)
gy, gx = np.meshgrid(np.arange(grid, dtype=np.float64), np.arange(grid, dtype=np.float64), indexing="ij")
freq, phase = rng.normal(0, 0.45, (D, 2)), rng.uniform(0, 2 * np.pi, D)
rff = np.sin(np.stack([gy.ravel(), gx.ravel()], 1) @ freq.T + phase)
t = {"cls_token": rng.normal(0, .02, (1, 1, D)), "pos_embed": np.concatenate([np.zeros((1, D)), rff])[None]}
yy, xx = np.mgrid[0:patch, 0:patch] / patch
basis = []
for i in range(D):
    fy, fx, ph = rng.integers(0, 3), rng.integers(0, 3), rng.uniform(0, 6.3)
    wave = np.cos(np.pi * (fy * yy + fx * xx) + ph)
    basis.append(np.stack([wave * c for c in rng.normal(0, 1, 3)]) + rng.normal(0, .05, (3, patch, patch)))
t["patch_embed.proj.weight"] = np.array(basis) * 0.05; t["patch_embed.proj.bias"] = np.zeros(D)
for b in range(depth):
    p = f"blocks.{b}."
    t.update({p + "norm1.weight": np.ones(D), p + "norm1.bias": np.zeros(D), p + "attn.qkv.weight": rng.normal(0, .1, (3 * D, D)),
              p + "attn.qkv.bias": np.zeros(3 * D), p + "attn.proj.weight": rng.normal(0, .1, (D, D)), p + "attn.proj.bias": np.zeros(D),
              p + "norm2.weight": np.ones(D), p + "norm2.bias": np.zeros(D), p + "mlp.fc1.weight": rng.normal(0, .1, (4 * D, D)),
              p + "mlp.fc1.bias": np.zeros(4 * D), p + "mlp.fc2.weight": rng.normal(0, .1, (D, 4 * D)), p + "mlp.fc2.bias": np.zeros(D)})
t.update({"norm.weight": np.ones(D), "norm.bias": np.zeros(D), "head.weight": rng.normal(0, .1, (10, D)), "head.bias": np.zeros(10)})
save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in t.items()}, f"{d}/model.safetensors")
json.dump({"architecture": "vit_small_patch16_224", "num_classes": 10, "global_pool": "token",
           "model_args": {"img_size": 224, "patch_size": patch, "embed_dim": D, "depth": depth, "num_heads": heads}},
          open(f"{d}/config.json", "w"))
PY
.build/debug/vit-summary "$work/rff_vit" --plot pos-embed "$out/pos-embed.png"
.build/debug/vit-summary "$work/rff_vit" --plot patch-filters "$out/patch-filters.png"
.build/debug/vit-run fixtures/images/models/timm_vit --input fixtures/images/images/landscape.jpg --attention "$out/attention.png" >/dev/null
.build/debug/vit-run fixtures/images/models/timm_vit --input fixtures/images/images/{landscape.jpg,portrait_progressive.jpg,rgb.png,palette.png} --plot attention-distance "$out/attention-distance.png" >/dev/null
ls -la "$out"
