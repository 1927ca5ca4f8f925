"""Makes the forward-pass fixtures: tiny timm VisionTransformers with random weights and their logits.

Run: tools/.venv/bin/python tools/fixtures_model.py   (writes fixtures/model/)

Each fixture is a folder with
  model.safetensors  the model's state_dict() (timm names; F16/BF16 for the half-precision cases)
  config.json        the matching ViTConfig (snake_case keys, as ViTConfig.CodingKeys)
  input.npy          float32 NCHW, batch 2
  logits.npy         timm's output in eval mode under torch.no_grad() (float32)
Every parameter is random (also LayerNorm gains/biases, class/pos/register tokens, LayerScale), so a
wrong mapping cannot hide behind an init default. Seeds are fixed; the output is deterministic.

Three canonical extras that timm 1.0.31 has no option for are built from torch modules around a timm
VisionTransformer: `patch_embed.norm_pre` (LayerNorm over each flattened (C, P, P) patch before the
projection, as vit-pytorch), and `pre_logits.fc` (+ tanh, the original ViT representation layer, or + GELU).
attn_dim != embed_dim uses timm's own Attention(attn_head_dim=...) through VisionTransformer(attn_layer=...).
"""
import json, os, shutil
from collections import OrderedDict
from functools import partial

import numpy as np
import safetensors, timm, torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file
from timm.layers import Attention, PatchEmbed
from timm.models.deit import VisionTransformerDistilled
from timm.models.vision_transformer import VisionTransformer

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "model")

# Shared tiny shape (the fixtures stay well under 400 KB): 12x12 images, 4x4 patches (3x3 grid), D=12,
# 3 heads of 4, depth 2, MLP 24, 10 classes. 'default' uses timm's MLP ratio 4 and a 4x4 grid.
BASE = dict(img_size=12, patch_size=4, in_chans=3, embed_dim=12, depth=2, num_heads=3, mlp_ratio=2.0,
            num_classes=10)


class PatchEmbedNormPre(PatchEmbed):
    """PatchEmbed with a LayerNorm over each patch's raw pixels, flattened in conv (C, P, P) order."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        c, (ph, pw) = self.proj.in_channels, self.patch_size
        self.norm_pre = nn.LayerNorm((c, ph, pw), eps=1e-6)

    def forward(self, x):
        n = x.shape[0]
        c, (ph, pw) = self.proj.in_channels, self.patch_size
        cols = F.unfold(x, kernel_size=(ph, pw), stride=(ph, pw))           # (N, C*P*P, G), (c, py, px) order
        patches = cols.transpose(1, 2).reshape(n, -1, c, ph, pw)
        patches = self.norm_pre(patches).reshape(n, -1, c * ph * pw)
        w = self.proj.weight.reshape(self.proj.out_channels, -1)
        x = F.linear(patches, w, self.proj.bias)
        return self.norm(x)


class PreLogitsViT(VisionTransformer):
    """A timm VisionTransformer with the original ViT representation layer: pool -> fc_norm ->
    pre_logits.fc -> act -> head."""

    def __init__(self, pre_logits_dim, act, **kwargs):
        num_classes = kwargs.pop("num_classes")
        super().__init__(num_classes=0, **kwargs)
        self.pre_logits = nn.Sequential(OrderedDict(fc=nn.Linear(self.embed_dim, pre_logits_dim), act=act))
        self.num_classes = num_classes
        self.head = nn.Linear(pre_logits_dim, num_classes) if num_classes > 0 else nn.Identity()

    def forward_head(self, x, pre_logits: bool = False):
        x = self.pool(x)
        x = self.fc_norm(x)
        x = self.pre_logits(x)
        return x if pre_logits else self.head(x)


def attn_with_head_dim(head_dim):
    class WideAttention(Attention):
        def __init__(self, dim, **kwargs):
            super().__init__(dim, attn_head_dim=head_dim, **kwargs)
    return WideAttention


def randomize(model, gen):
    """Every parameter random: Linear/conv weights ~ N(0, 1/fan_in), biases and LayerNorm shifts
    ~ N(0, 0.2²), LayerNorm gains ~ 1 + N(0, 0.3²), tokens/pos ~ N(0, 0.5²), LayerScale ~ 0.5 + N(0, 0.2²)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            r = torch.randn(p.shape, generator=gen)
            leaf = name.rsplit(".", 1)[-1]
            if leaf == "gamma":
                p.copy_(0.5 + 0.2 * r)
            elif name in ("cls_token", "reg_token", "dist_token", "pos_embed"):
                p.copy_(0.5 * r)
            elif leaf == "bias":
                p.copy_(0.2 * r)
            elif p.dim() == 1 or "norm" in name:      # LayerNorm gains (incl. (C, P, P) patch norm)
                p.copy_(1 + 0.3 * r)
            else:
                fan_in = p[0].numel()
                p.copy_(r / fan_in ** 0.5)


def config_for(model_kwargs, **overrides):
    """The ViTConfig JSON (snake_case) for a timm-style constructor call."""
    img = model_kwargs["img_size"]
    img = [img, img] if isinstance(img, int) else list(img)
    ps = model_kwargs["patch_size"]
    ps = [ps, ps] if isinstance(ps, int) else list(ps)
    d = model_kwargs["embed_dim"]
    gp = model_kwargs.get("global_pool", "token")
    fc_norm = model_kwargs.get("fc_norm")
    use_fc_norm = gp == "avg" if fc_norm is None else fc_norm
    pre_norm = model_kwargs.get("pre_norm", False)
    cfg = {
        "image_size": img, "patch_size": ps, "in_channels": model_kwargs["in_chans"], "embed_dim": d,
        "depth": model_kwargs["depth"], "num_heads": model_kwargs["num_heads"], "attn_dim": d,
        "mlp_hidden_dim": int(d * model_kwargs["mlp_ratio"]), "qkv_bias": model_kwargs.get("qkv_bias", True),
        "class_token": model_kwargs.get("class_token", True), "register_tokens": model_kwargs.get("reg_tokens", 0),
        "no_embed_class": model_kwargs.get("no_embed_class", False), "global_pool": gp,
        "final_norm": not use_fc_norm, "fc_norm": use_fc_norm, "norm_pre": pre_norm,
        "layer_scale": model_kwargs.get("init_values") is not None, "pre_logits_dim": None,
        "pre_logits_activation": None, "distilled": False, "patch_embed": "conv", "patch_bias": not pre_norm,
        "patch_norm_pre": False, "patch_norm_post": False, "layer_norm_eps": 1e-6,
        "num_classes": model_kwargs["num_classes"], "labels": None,
    }
    cfg.update(overrides)
    return cfg


def make(name, description, build, kwargs, seed, dtype=None, config_overrides=None):
    gen = torch.Generator().manual_seed(seed)
    model = build(**kwargs)
    randomize(model, gen)
    model.eval()
    if dtype is not None:
        # The stored weights are the rounded ones; the reference runs them in float32.
        model = model.to(dtype)
        state = {k: v.contiguous() for k, v in model.state_dict().items()}
        model = model.to(torch.float32)
    else:
        state = {k: v.contiguous() for k, v in model.state_dict().items()}
    img = kwargs["img_size"]
    h, w = (img, img) if isinstance(img, int) else img
    x = torch.randn((2, kwargs["in_chans"], h, w), generator=gen)
    with torch.no_grad():
        logits = model(x)
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    save_file(state, os.path.join(folder, "model.safetensors"))
    cfg = config_for(kwargs, **(config_overrides or {}))
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1, sort_keys=True)
    np.save(os.path.join(folder, "input.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(folder, "logits.npy"), logits.numpy().astype(np.float32))
    return {"name": name, "description": description, "seed": seed,
            "weights_dtype": str(dtype or torch.float32).replace("torch.", ""),
            "tensors": len(state), "parameters": int(sum(v.numel() for v in state.values())),
            "logits_shape": list(logits.shape), "max_abs_logit": float(logits.abs().max())}


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    vit = VisionTransformer
    cases = [
        make("default", "token pool, class token, qkv bias, final norm, MLP ratio 4", vit,
             {**BASE, "mlp_ratio": 4.0}, 1),
        make("nonsquare", "12x20 image, 4x4 patches (3x5 grid)", vit, {**BASE, "img_size": (12, 20)}, 2),
        make("distilled", "DeiT distilled: [cls, dist] tokens, (head(x0) + head_dist(x1)) / 2",
             VisionTransformerDistilled, BASE, 3, config_overrides={"distilled": True}),
        make("distilled_fc_norm", "DeiT distilled with fc_norm=True: timm's distilled head ignores fc_norm "
             "(and the pooling); no final norm; depth 1, MLP ratio 1", VisionTransformerDistilled,
             {**BASE, "fc_norm": True, "depth": 1, "mlp_ratio": 1.0}, 19, config_overrides={"distilled": True}),
        make("registers", "4 register tokens after the class token", vit, {**BASE, "reg_tokens": 4}, 4),
        make("registers_no_embed_class", "4 register tokens, pos_embed on patches only (no_embed_class)",
             vit, {**BASE, "reg_tokens": 4, "no_embed_class": True}, 5),
        make("avg_fc_norm", "class token kept, global_pool avg (patch tokens only) + fc_norm", vit,
             {**BASE, "global_pool": "avg"}, 6),
        make("no_class_token_avg", "no class token, global_pool avg + fc_norm", vit,
             {**BASE, "class_token": False, "global_pool": "avg"}, 7),
        make("no_qkv_bias", "qkv without bias", vit, {**BASE, "qkv_bias": False}, 8),
        make("layer_scale", "LayerScale ls1/ls2 (init_values set, gammas random)", vit,
             {**BASE, "init_values": 1e-5}, 9),
        make("pre_norm", "CLIP style: norm_pre, no patch bias; LayerNorm eps 1e-5", vit,
             {**BASE, "pre_norm": True, "norm_layer": partial(nn.LayerNorm, eps=1e-5)}, 10,
             config_overrides={"layer_norm_eps": 1e-5}),
        make("features", "num_classes=0: pooled features (final norm applied)", vit, {**BASE, "num_classes": 0}, 11),
        make("attn_dim", "attention width 24 != embed dim 12 (timm Attention attn_head_dim=8), depth 1", vit,
             {**BASE, "attn_layer": attn_with_head_dim(8), "depth": 1}, 12, config_overrides={"attn_dim": 24}),
        make("f16", "default architecture, weights stored as F16", vit, BASE, 13, dtype=torch.float16),
        make("bf16", "default architecture, weights stored as BF16", vit, BASE, 14, dtype=torch.bfloat16),
        make("patch_norms", "LayerNorm over raw (C,P,P) patches (patch_embed.norm_pre) and after the "
             "projection (patch_embed.norm)", vit,
             {**BASE, "embed_layer": PatchEmbedNormPre, "embed_norm_layer": partial(nn.LayerNorm, eps=1e-6)}, 15,
             config_overrides={"patch_norm_pre": True, "patch_norm_post": True}),
        make("pre_logits_tanh", "pre_logits.fc (16) + tanh before the head", partial(PreLogitsViT, 16, nn.Tanh()),
             BASE, 16, config_overrides={"pre_logits_dim": 16, "pre_logits_activation": "tanh"}),
        make("pre_logits_gelu_avg", "avg pool + fc_norm, pre_logits.fc (16) + exact GELU, no head (features)",
             partial(PreLogitsViT, 16, nn.GELU()), {**BASE, "global_pool": "avg", "num_classes": 0}, 17,
             config_overrides={"pre_logits_dim": 16, "pre_logits_activation": "gelu"}),
        make("wide", "D=24, 3 heads of 8, 16 patches (16x16 image), depth 1, MLP ratio 1: whole 8-lane SIMD rows", vit,
             {**BASE, "img_size": 16, "embed_dim": 24, "depth": 1, "mlp_ratio": 1.0}, 18),
    ]
    files = ["model.safetensors", "config.json", "input.npy", "logits.npy"]
    manifest = {
        "script": "tools/fixtures_model.py",
        "libraries": {"torch": torch.__version__, "timm": timm.__version__, "numpy": np.__version__,
                      "safetensors": safetensors.__version__},
        "made_by": "timm VisionTransformer (VisionTransformerDistilled for 'distilled'), eval(), torch.no_grad()",
        "files_per_fixture": files,
        "tolerance": "max|swift - timm| / max(1, max|timm|) <= 1e-4",
        "fixtures": cases,
    }
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    total = sum(os.path.getsize(os.path.join(dp, fn)) for dp, _, fns in os.walk(OUT) for fn in fns)
    print(f"wrote {len(cases)} fixtures, {total / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
