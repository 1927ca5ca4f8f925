"""A plain-torch forward over canonical (timm-named) tensors driven by a ViTKit config dict.

Used only to cross-check fixtures: every case's mapping table + expected config must reproduce the logits the
source library computed. The truth stays the library's logits; timm itself is used too where it can express the
architecture (see fixtures_conventions.py).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def canonical_forward(sd: dict[str, torch.Tensor], cfg: dict, x: torch.Tensor) -> torch.Tensor:
    eps = cfg["layer_norm_eps"]
    d, heads, attn_dim = cfg["embed_dim"], cfg["num_heads"], cfg["attn_dim"]
    ph, pw = cfg["patch_size"]

    def ln(t, name):
        return F.layer_norm(t, (t.shape[-1],), sd[name + ".weight"], sd[name + ".bias"], eps)

    b, c, h, w = x.shape
    gh, gw = h // ph, w // pw
    # patches (B, G, C, P, P) in row-major grid order
    patches = x.reshape(b, c, gh, ph, gw, pw).permute(0, 2, 4, 1, 3, 5).reshape(b, gh * gw, c, ph, pw)
    if cfg["patch_norm_pre"]:
        flat = patches.reshape(b, gh * gw, -1)
        flat = F.layer_norm(flat, (flat.shape[-1],), sd["patch_embed.norm_pre.weight"].reshape(-1),
                            sd["patch_embed.norm_pre.bias"].reshape(-1), eps)
        patches = flat.reshape(patches.shape)
    t = torch.einsum("bgcij,dcij->bgd", patches, sd["patch_embed.proj.weight"])
    if cfg["patch_bias"]:
        t = t + sd["patch_embed.proj.bias"]
    if cfg["patch_norm_post"]:
        t = ln(t, "patch_embed.norm")
    prefix = []
    if cfg["class_token"]:
        prefix.append(sd["cls_token"].expand(b, -1, -1))
    if cfg["distilled"]:
        prefix.append(sd["dist_token"].expand(b, -1, -1))
    if cfg["register_tokens"]:
        prefix.append(sd["reg_token"].expand(b, -1, -1))
    if cfg["no_embed_class"]:
        t = torch.cat(prefix + [t + sd["pos_embed"]], dim=1)
    else:
        t = torch.cat(prefix + [t], dim=1) + sd["pos_embed"]
    if cfg["norm_pre"]:
        t = ln(t, "norm_pre")
    n = t.shape[1]
    hd = attn_dim // heads
    for i in range(cfg["depth"]):
        p = f"blocks.{i}."
        y = ln(t, p + "norm1")
        qkv = y @ sd[p + "attn.qkv.weight"].T
        if cfg["qkv_bias"]:
            qkv = qkv + sd[p + "attn.qkv.bias"]
        q, k, v = qkv.reshape(b, n, 3, heads, hd).permute(2, 0, 3, 1, 4)
        a = ((q @ k.transpose(-1, -2)) * hd ** -0.5).softmax(-1) @ v
        y = a.transpose(1, 2).reshape(b, n, attn_dim) @ sd[p + "attn.proj.weight"].T + sd[p + "attn.proj.bias"]
        if cfg["layer_scale"]:
            y = y * sd[p + "ls1.gamma"]
        t = t + y
        y = ln(t, p + "norm2")
        y = F.gelu(y @ sd[p + "mlp.fc1.weight"].T + sd[p + "mlp.fc1.bias"])
        y = y @ sd[p + "mlp.fc2.weight"].T + sd[p + "mlp.fc2.bias"]
        if cfg["layer_scale"]:
            y = y * sd[p + "ls2.gamma"]
        t = t + y
    if cfg["final_norm"]:
        t = ln(t, "norm")
    num_prefix = int(cfg["class_token"]) + int(cfg["distilled"]) + cfg["register_tokens"]
    if cfg["global_pool"] == "token":
        feats = [t[:, 0]] + ([t[:, 1]] if cfg["distilled"] else [])
    else:
        feats = [t[:, num_prefix:].mean(dim=1)]
    out = []
    for j, f in enumerate(feats):
        if cfg["fc_norm"]:
            f = ln(f, "fc_norm")
        if cfg["pre_logits_dim"] is not None:
            f = f @ sd["pre_logits.fc.weight"].T + sd["pre_logits.fc.bias"]
            f = torch.tanh(f) if cfg["pre_logits_activation"] == "tanh" else F.gelu(f)
        if cfg["num_classes"]:
            head = "head_dist" if j == 1 else "head"
            f = f @ sd[head + ".weight"].T + sd[head + ".bias"]
        out.append(f)
    return out[0] if len(out) == 1 else (out[0] + out[1]) / 2
