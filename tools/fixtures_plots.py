"""Makes the NumPy truth for ViTKit's figures (vit-summary --plot, vit-run --attention / --plot attention-distance)
from the timm fixture model of tools/fixtures_images.py: the same weights, and the attention timm computes.

Run: tools/.venv/bin/python tools/fixtures_plots.py   (writes fixtures/images/plots/timm_vit.json)

  pos_similarity        [P, P] cosine similarity of the patch positions' embeddings (prefix positions dropped)
  components            the 8 leading principal components of the patch-embedding filters (numpy.linalg.eigh of
                        the covariance of the centred filters, largest first, sign: largest |value| positive), and
                        explained_variance_ratio
  rollout               attention rollout of image 0: per block mean over heads + identity, rows renormalised,
                        multiplied first to last; the class token's row over the patches
  last_block_class_attention   [heads, P] of image 0
  mean_distance         [blocks, heads] pixels: per patch query, distance to each patch key weighted by the
                        attention on patch keys renormalised to 1; mean over queries and the 6 images
Attention comes from timm's own forward (fused attention off, a hook on attn_drop's input = softmax output).
"""
import json, os

import numpy as np
import torch

_lib = torch.library.Library("torchvision", "DEF")  # see tools/fixtures_images.py
_lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
_lib.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
import timm
import timm.layers
from safetensors.numpy import load_file

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "images")


def main():
    d = f"{ROOT}/models/timm_vit"
    cfg = json.load(open(f"{d}/config.json"))
    w = load_file(f"{d}/model.safetensors")
    patch, img = cfg["model_args"]["patch_size"], cfg["model_args"]["img_size"]
    grid = img // patch
    p = grid * grid

    pe = w["pos_embed"][0].astype(np.float64)
    pe = pe[pe.shape[0] - p:]
    n = pe / np.linalg.norm(pe, axis=1, keepdims=True)
    sim = n @ n.T

    f = w["patch_embed.proj.weight"].astype(np.float64).reshape(w["patch_embed.proj.weight"].shape[0], -1)
    fc = f - f.mean(0)
    cov = fc.T @ fc / (f.shape[0] - 1)
    vals, vecs = np.linalg.eigh(cov)
    order = np.argsort(vals)[::-1][:8]
    comps = []
    for k in order:
        v = vecs[:, k]
        if v[np.argmax(np.abs(v))] < 0:
            v = -v
        comps.append(v)
    explained = (vals[order] / np.clip(vals, 0, None).sum()).tolist()

    timm.layers.set_fused_attn(False)
    model = timm.create_model(cfg["architecture"], pretrained=False, **cfg["model_args"]).eval()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in w.items()})
    maps = []
    for blk in model.blocks:
        blk.attn.fused_attn = False
        blk.attn.attn_drop.register_forward_hook(lambda m, i, o: maps.append(i[0].detach().numpy().astype(np.float64)))
    x = torch.from_numpy(np.load(f"{d}/input.npy"))
    with torch.no_grad():
        model(x)
    heads, t = maps[0].shape[1], maps[0].shape[2]
    prefix = t - p

    r = np.eye(t)
    for a in maps:
        a = a[0].mean(0) + np.eye(t)
        a = a / a.sum(-1, keepdims=True)
        r = a @ r
    rollout = r[0, prefix:]
    last_cls = maps[-1][0, :, 0, prefix:]

    ys, xs = np.divmod(np.arange(p), grid)
    dist = np.sqrt(((ys[:, None] - ys[None]) * patch) ** 2 + ((xs[:, None] - xs[None]) * patch) ** 2)
    mean_distance = []
    for a in maps:
        pa = a[:, :, prefix:, prefix:]
        pa = pa / pa.sum(-1, keepdims=True)
        mean_distance.append((pa * dist).sum(-1).mean(axis=(0, 2)).tolist())

    out = {"script": "tools/fixtures_plots.py", "model": "models/timm_vit", "input": "models/timm_vit/input.npy",
           "grid": [grid, grid], "prefix_tokens": int(prefix), "pos_similarity": sim.ravel().tolist(),
           "components": np.array(comps).ravel().tolist(), "component_count": 8, "explained_variance_ratio": explained,
           "rollout": rollout.tolist(), "last_block_class_attention": last_cls.ravel().tolist(), "mean_distance": mean_distance,
           "tolerance": "max |swift - numpy| <= 1e-4 (attention-derived: 1e-3 relative)"}
    os.makedirs(f"{ROOT}/plots", exist_ok=True)
    with open(f"{ROOT}/plots/timm_vit.json", "w") as fh:
        json.dump(out, fh)
    print("wrote", f"{ROOT}/plots/timm_vit.json", "heads", heads, "tokens", t)


if __name__ == "__main__":
    main()
