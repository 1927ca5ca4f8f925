"""Checks that a .safetensors written by vit-convert loads into timm with strict=True and gives the expected logits.

Run: tools/.venv/bin/python tools/check_timm_load.py OUT.safetensors INPUT.npy LOGITS.npy [--tolerance 1e-4]

Builds timm's VisionTransformer (VisionTransformerDistilled for distilled models) from the ViTConfig in
__metadata__["vitkit_config"], loads the file with load_state_dict(strict=True), runs INPUT (float32 NCHW)
in eval mode under no_grad, and compares with LOGITS: max|timm - expected| / max(1, max|expected|) must be
at most the tolerance. Exit status 0: loaded and matched; 1: mismatch or load failure; 2: a config timm
cannot express (patch_norm_pre, pre_logits, attn_dim != embed_dim, ...), reported and skipped.
"""
import argparse, json, sys
from functools import partial

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file
from timm.models.deit import VisionTransformerDistilled
from timm.models.vision_transformer import VisionTransformer


def inexpressible(c):
    """The reasons timm's VisionTransformer cannot build this config (empty: it can)."""
    reasons = []
    if c.get("patch_norm_pre"):
        reasons.append("patch_norm_pre (a LayerNorm over raw patches) has no timm option")
    if c.get("pre_logits_dim") is not None:
        reasons.append("pre_logits (timm 1.0.31 has no representation layer)")
    if c["attn_dim"] != c["embed_dim"]:
        reasons.append(f"attn_dim {c['attn_dim']} != embed_dim {c['embed_dim']} (needs a custom attention layer)")
    if c["patch_size"][0] != c["patch_size"][1]:
        reasons.append("non-square patches")
    if not c["patch_bias"] and not c["norm_pre"]:
        reasons.append("a patch projection without bias (timm drops it only with pre_norm=True)")
    if c["fc_norm"] and c["final_norm"]:
        reasons.append("both norm and fc_norm (timm's fc_norm replaces norm)")
    if int(c["embed_dim"] * (c["mlp_hidden_dim"] / c["embed_dim"])) != c["mlp_hidden_dim"]:
        reasons.append(f"MLP width {c['mlp_hidden_dim']} is not int(embed_dim * mlp_ratio) for any float ratio")
    if c.get("global_pool") == "token" and not c.get("class_token"):
        reasons.append("token pooling without a class token")
    if c.get("global_pool") == "token_avg":
        reasons.append("a classifier over concat(class token, patch mean) (transformers' Dinov2ForImageClassification)")
    if c.get("registers_after_pos_embed"):
        reasons.append("registers inserted after a position embedding that covers the class token (timm folds the "
                       "class row into cls_token instead: vit_*_reg4_dinov2)")
    if c.get("num_classes", 0) > 0 and c.get("head_bias") is False:
        reasons.append("a head without bias (timm's head always has one; timm's own CLIP files store zeros)")
    if c.get("global_pool") == "map" and c.get("pool_mlp_hidden_dim") != c["mlp_hidden_dim"]:
        reasons.append("an attention-pool MLP of another width than the blocks' (timm derives it from mlp_ratio)")
    return reasons


def timm_kwargs(c):
    """ViTConfig (snake_case JSON) -> timm VisionTransformer kwargs."""
    # timm: norm.* exists when final_norm and not fc_norm; fc_norm.* when final_norm and fc_norm.
    fc_norm = c["fc_norm"]
    final_norm = c["final_norm"] or c["fc_norm"]
    kwargs = dict(
        img_size=tuple(c["image_size"]),
        patch_size=c["patch_size"][0],
        in_chans=c["in_channels"],
        num_classes=c["num_classes"],
        embed_dim=c["embed_dim"],
        depth=c["depth"],
        num_heads=c["num_heads"],
        mlp_ratio=c["mlp_hidden_dim"] / c["embed_dim"],
        qkv_bias=c["qkv_bias"],
        class_token=c["class_token"],
        reg_tokens=c["register_tokens"],
        no_embed_class=c["no_embed_class"],
        global_pool=c["global_pool"],
        fc_norm=fc_norm,
        pre_norm=c["norm_pre"],
        init_values=1e-5 if c["layer_scale"] else None,  # any non-None value creates ls1/ls2.gamma
        final_norm=final_norm,
    )
    act = c.get("activation", "gelu")
    if act == "swiglu":
        from timm.layers import SwiGLUPacked
        # timm's SwiGLUPacked: fc1 is (2H, D) for hidden_features = 2H, fc2 (D, H), SiLU on the first half.
        kwargs.update(mlp_layer=SwiGLUPacked, act_layer=torch.nn.SiLU, mlp_ratio=2 * c["mlp_hidden_dim"] / c["embed_dim"])
    elif act != "gelu":
        kwargs["act_layer"] = {"gelu_tanh": "gelu_tanh", "quick_gelu": "quick_gelu", "relu": "relu"}[act]
    norm = partial(torch.nn.LayerNorm, eps=c["layer_norm_eps"])
    if c["layer_norm_eps"] != 1e-6:
        kwargs["norm_layer"] = norm
    if c["patch_norm_post"]:
        kwargs["embed_norm_layer"] = norm  # patch_embed.norm.*
    return kwargs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("checkpoint")
    ap.add_argument("input")
    ap.add_argument("logits")
    ap.add_argument("--tolerance", type=float, default=1e-4)
    a = ap.parse_args()

    with safe_open(a.checkpoint, "pt") as f:
        meta = f.metadata() or {}
    if "vitkit_config" not in meta:
        print(f"{a.checkpoint}: no __metadata__['vitkit_config']; not a vit-convert output")
        return 1
    config = json.loads(meta["vitkit_config"])
    reasons = inexpressible(config)
    if reasons:
        print(f"SKIP {a.checkpoint}: timm cannot express this config: " + "; ".join(reasons))
        return 2
    cls = VisionTransformerDistilled if config["distilled"] else VisionTransformer
    kwargs = timm_kwargs(config)
    model = cls(**kwargs).eval()
    state = load_file(a.checkpoint)
    # load_state_dict(strict=True) raises on any missing or unexpected key and on any shape mismatch.
    model.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
    x = torch.from_numpy(np.load(a.input)).float()
    with torch.no_grad():
        got = model(x).numpy()
    want = np.load(a.logits)
    if got.shape != want.shape:
        print(f"FAIL {a.checkpoint}: logits shape {got.shape}, expected {want.shape}")
        return 1
    err = float(np.abs(got - want).max() / max(1.0, float(np.abs(want).max())))
    status = "OK" if err <= a.tolerance else "FAIL"
    print(f"{status} {a.checkpoint}: {cls.__name__}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())}) "
          f"strict load, {len(state)} tensors, relative logit error {err:.3g} (tolerance {a.tolerance:g})")
    return 0 if err <= a.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
