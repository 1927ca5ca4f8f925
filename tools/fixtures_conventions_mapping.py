"""Per-tensor mapping of each source convention onto timm names, used to cross-check the fixtures.

Each rule is {"canonical": timm key, "sources": [checkpoint keys], "transform": name}. `apply_rules` builds a timm
state dict and fails on any unused or missing key, so a case's rule table is complete by construction. The tables
are written into case.json ("tensors") for the Swift side; where timm can express the architecture the script loads
the result into timm with strict=True and compares logits with the source library's.
"""
from __future__ import annotations

import numpy as np

TRANSFORMS = {
    "none": "copy unchanged",
    "reshape_1_1_D": "reshape to (1, 1, D)",
    "unsqueeze0": "add a leading axis: (N, D) -> (1, N, D)",
    "concat0": "concatenate the sources along axis 0 (q, k, v order)",
    "transpose": "2-D transpose (in, out) -> (out, in)",
    "hwio_to_oihw": "transpose(3, 2, 0, 1): (P, P, C, D) -> (D, C, P, P)",
    "linear_patch_to_conv": "(D, P*P*C) over (p1 p2 c) -> reshape (D, P, P, C) -> permute(0, 3, 1, 2)",
    "patch_norm_to_cpp": "(P*P*C,) over (p1 p2 c) -> reshape (P, P, C) -> permute(2, 0, 1) = (C, P, P)",
    "dhk_concat": "each (D, H, hd) kernel: reshape (D, H*hd) then transpose; concatenate q, k, v on axis 0",
    "hk_concat": "each (H, hd) bias: reshape (H*hd,); concatenate q, k, v",
    "transpose_concat": "each (D, D) kernel transposed; concatenate q, k, v on axis 0",
    "hkd_to_proj": "(H, hd, D) kernel: reshape (H*hd, D) then transpose -> (D, H*hd)",
}


def _t(x):
    return np.ascontiguousarray(x)


def apply_rules(sd: dict[str, np.ndarray], rules: list[dict], patch: tuple[int, int, int] | None = None,
                drop: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """Build the timm state dict; every key of `sd` must be used by exactly one rule or named in `drop`."""
    used = set()
    out = {}
    for r in rules:
        src = [sd[k] for k in r["sources"]]
        used.update(r["sources"])
        t = r["transform"]
        if t == "none":
            v = src[0]
        elif t == "reshape_1_1_D":
            v = src[0].reshape(1, 1, -1)
        elif t == "unsqueeze0":
            v = src[0][None]
        elif t == "concat0":
            v = np.concatenate(src, axis=0)
        elif t == "transpose":
            v = src[0].T
        elif t == "hwio_to_oihw":
            v = src[0].transpose(3, 2, 0, 1)
        elif t == "linear_patch_to_conv":
            p1, p2, c = patch
            v = src[0].reshape(src[0].shape[0], p1, p2, c).transpose(0, 3, 1, 2)
        elif t == "patch_norm_to_cpp":
            p1, p2, c = patch
            v = src[0].reshape(p1, p2, c).transpose(2, 0, 1)
        elif t == "dhk_concat":
            v = np.concatenate([s.reshape(s.shape[0], -1).T for s in src], axis=0)
        elif t == "hk_concat":
            v = np.concatenate([s.reshape(-1) for s in src], axis=0)
        elif t == "transpose_concat":
            v = np.concatenate([s.T for s in src], axis=0)
        elif t == "hkd_to_proj":
            v = src[0].reshape(-1, src[0].shape[-1]).T
        else:
            raise KeyError(t)
        out[r["canonical"]] = _t(v)
    leftover = set(sd) - used - set(drop)
    if leftover:
        raise KeyError(f"unmapped source tensors: {sorted(leftover)}")
    return out


def rule(canonical: str, sources, transform: str = "none") -> dict:
    return {"canonical": canonical, "sources": [sources] if isinstance(sources, str) else list(sources),
            "transform": transform}


def block_rules(i: int, src: dict[str, str | list[str]], transforms: dict[str, str] | None = None) -> list[dict]:
    """Rules for one block; `src` maps timm block-relative names (norm1.weight, attn.qkv.weight, ...) to sources."""
    transforms = transforms or {}
    return [rule(f"blocks.{i}.{k}", v, transforms.get(k, "none")) for k, v in src.items()]


def timm_rules(keys: list[str]) -> list[dict]:
    """timm is the canonical layout: identity."""
    return [rule(k, k) for k in keys]


def torchvision_rules(depth: int) -> list[dict]:
    r = [rule("cls_token", "class_token"), rule("pos_embed", "encoder.pos_embedding"),
         rule("patch_embed.proj.weight", "conv_proj.weight"), rule("patch_embed.proj.bias", "conv_proj.bias")]
    for i in range(depth):
        p = f"encoder.layers.encoder_layer_{i}."
        r += block_rules(i, {
            "norm1.weight": p + "ln_1.weight", "norm1.bias": p + "ln_1.bias",
            "attn.qkv.weight": p + "self_attention.in_proj_weight", "attn.qkv.bias": p + "self_attention.in_proj_bias",
            "attn.proj.weight": p + "self_attention.out_proj.weight", "attn.proj.bias": p + "self_attention.out_proj.bias",
            "norm2.weight": p + "ln_2.weight", "norm2.bias": p + "ln_2.bias",
            "mlp.fc1.weight": p + "mlp.0.weight", "mlp.fc1.bias": p + "mlp.0.bias",
            "mlp.fc2.weight": p + "mlp.3.weight", "mlp.fc2.bias": p + "mlp.3.bias"})
    r += [rule("norm.weight", "encoder.ln.weight"), rule("norm.bias", "encoder.ln.bias"),
          rule("head.weight", "heads.head.weight"), rule("head.bias", "heads.head.bias")]
    return r


def hf_rules(depth: int, prefix: str = "vit.", classifier: bool = True) -> list[dict]:
    e = prefix + "embeddings."
    r = [rule("cls_token", e + "cls_token"), rule("pos_embed", e + "position_embeddings"),
         rule("patch_embed.proj.weight", e + "patch_embeddings.projection.weight"),
         rule("patch_embed.proj.bias", e + "patch_embeddings.projection.bias")]
    for i in range(depth):
        p = f"{prefix}encoder.layer.{i}."
        a = p + "attention.attention."
        r += block_rules(i, {
            "norm1.weight": p + "layernorm_before.weight", "norm1.bias": p + "layernorm_before.bias",
            "attn.qkv.weight": [a + "query.weight", a + "key.weight", a + "value.weight"],
            "attn.qkv.bias": [a + "query.bias", a + "key.bias", a + "value.bias"],
            "attn.proj.weight": p + "attention.output.dense.weight", "attn.proj.bias": p + "attention.output.dense.bias",
            "norm2.weight": p + "layernorm_after.weight", "norm2.bias": p + "layernorm_after.bias",
            "mlp.fc1.weight": p + "intermediate.dense.weight", "mlp.fc1.bias": p + "intermediate.dense.bias",
            "mlp.fc2.weight": p + "output.dense.weight", "mlp.fc2.bias": p + "output.dense.bias"},
            {"attn.qkv.weight": "concat0", "attn.qkv.bias": "concat0"})
    r += [rule("norm.weight", prefix + "layernorm.weight"), rule("norm.bias", prefix + "layernorm.bias")]
    if classifier:
        r += [rule("head.weight", "classifier.weight"), rule("head.bias", "classifier.bias")]
    else:  # bare ViTModel: pooler = Linear + tanh on the class token -> ViTKit pre_logits (tanh)
        r += [rule("pre_logits.fc.weight", "pooler.dense.weight"), rule("pre_logits.fc.bias", "pooler.dense.bias")]
    return r


def vit_pytorch_rules(depth: int, cls: bool) -> list[dict]:
    r = []
    if cls:
        r.append(rule("cls_token", "cls_token", "reshape_1_1_D"))
    r += [rule("pos_embed", "pos_embedding", "unsqueeze0"),
          rule("patch_embed.norm_pre.weight", "to_patch_embedding.1.weight", "patch_norm_to_cpp"),
          rule("patch_embed.norm_pre.bias", "to_patch_embedding.1.bias", "patch_norm_to_cpp"),
          rule("patch_embed.proj.weight", "to_patch_embedding.2.weight", "linear_patch_to_conv"),
          rule("patch_embed.proj.bias", "to_patch_embedding.2.bias"),
          rule("patch_embed.norm.weight", "to_patch_embedding.3.weight"),
          rule("patch_embed.norm.bias", "to_patch_embedding.3.bias")]
    for i in range(depth):
        p = f"transformer.layers.{i}."
        r += block_rules(i, {
            "norm1.weight": p + "0.norm.weight", "norm1.bias": p + "0.norm.bias",
            "attn.qkv.weight": p + "0.to_qkv.weight",
            "attn.proj.weight": p + "0.to_out.0.weight", "attn.proj.bias": p + "0.to_out.0.bias",
            "norm2.weight": p + "1.net.0.weight", "norm2.bias": p + "1.net.0.bias",
            "mlp.fc1.weight": p + "1.net.1.weight", "mlp.fc1.bias": p + "1.net.1.bias",
            "mlp.fc2.weight": p + "1.net.4.weight", "mlp.fc2.bias": p + "1.net.4.bias"})
    r += [rule("norm.weight", "transformer.norm.weight"), rule("norm.bias", "transformer.norm.bias"),
          rule("head.weight", "mlp_head.weight"), rule("head.bias", "mlp_head.bias")]
    return r


def handwritten_mha_rules(depth: int) -> list[dict]:
    r = [rule("cls_token", "embedding.class_token"), rule("pos_embed", "embedding.position_embedding"),
         rule("patch_embed.proj.weight", "embedding.patcher.weight"),
         rule("patch_embed.proj.bias", "embedding.patcher.bias")]
    for i in range(depth):
        p = f"encoder.layers.{i}."
        r += block_rules(i, {
            "norm1.weight": p + "norm1.weight", "norm1.bias": p + "norm1.bias",
            "attn.qkv.weight": p + "self_attn.in_proj_weight", "attn.qkv.bias": p + "self_attn.in_proj_bias",
            "attn.proj.weight": p + "self_attn.out_proj.weight", "attn.proj.bias": p + "self_attn.out_proj.bias",
            "norm2.weight": p + "norm2.weight", "norm2.bias": p + "norm2.bias",
            "mlp.fc1.weight": p + "linear1.weight", "mlp.fc1.bias": p + "linear1.bias",
            "mlp.fc2.weight": p + "linear2.weight", "mlp.fc2.bias": p + "linear2.bias"})
    r += [rule("fc_norm.weight", "mlp_head.0.weight"), rule("fc_norm.bias", "mlp_head.0.bias"),
          rule("pre_logits.fc.weight", "mlp_head.1.weight"), rule("pre_logits.fc.bias", "mlp_head.1.bias"),
          rule("head.weight", "mlp_head.3.weight"), rule("head.bias", "mlp_head.3.bias")]
    return r


def einops_rules(depth: int) -> list[dict]:
    r = [rule("cls_token", "cls_token"), rule("pos_embed", "pos_embedding"),
         rule("patch_embed.proj.weight", "patch_embedding.1.weight", "linear_patch_to_conv"),
         rule("patch_embed.proj.bias", "patch_embedding.1.bias")]
    for i in range(depth):
        p = f"blocks.{i}."
        r += block_rules(i, {
            "norm1.weight": p + "attn.norm.weight", "norm1.bias": p + "attn.norm.bias",
            "attn.qkv.weight": p + "attn.to_qkv.weight",
            "attn.proj.weight": p + "attn.to_out.weight", "attn.proj.bias": p + "attn.to_out.bias",
            "norm2.weight": p + "ff.net.0.weight", "norm2.bias": p + "ff.net.0.bias",
            "mlp.fc1.weight": p + "ff.net.1.weight", "mlp.fc1.bias": p + "ff.net.1.bias",
            "mlp.fc2.weight": p + "ff.net.3.weight", "mlp.fc2.bias": p + "ff.net.3.bias"})
    r += [rule("fc_norm.weight", "head.0.weight"), rule("fc_norm.bias", "head.0.bias"),
          rule("head.weight", "head.1.weight"), rule("head.bias", "head.1.bias")]
    return r


def keras_rules(depth: int, names: dict) -> list[dict]:
    """JAX/vit-keras names; `names` gives the variable-name spelling of one file generation:
    {"pos": ..., "block": "...{i}...", "norm": ..., "suffix": ":0" or ""} (see fixtures_conventions_keras.py)."""
    s = names["suffix"]
    r = [rule("patch_embed.proj.weight", names["embedding"] + "/kernel" + s, "hwio_to_oihw"),
         rule("patch_embed.proj.bias", names["embedding"] + "/bias" + s),
         rule("cls_token", names["class_token"] + "/cls" + s),
         rule("pos_embed", names["pos"] + "/pos_embedding" + s)]
    for i in range(depth):
        b = names["block"].format(i=i) + "/"
        a = b + "MultiHeadDotProductAttention_1/"
        r += block_rules(i, {
            "norm1.weight": b + "LayerNorm_0/gamma" + s, "norm1.bias": b + "LayerNorm_0/beta" + s,
            "attn.qkv.weight": [a + q + "/kernel" + s for q in ("query", "key", "value")],
            "attn.qkv.bias": [a + q + "/bias" + s for q in ("query", "key", "value")],
            "attn.proj.weight": a + "out/kernel" + s, "attn.proj.bias": a + "out/bias" + s,
            "norm2.weight": b + "LayerNorm_2/gamma" + s, "norm2.bias": b + "LayerNorm_2/beta" + s,
            "mlp.fc1.weight": b + "MlpBlock_3/Dense_0/kernel" + s, "mlp.fc1.bias": b + "MlpBlock_3/Dense_0/bias" + s,
            "mlp.fc2.weight": b + "MlpBlock_3/Dense_1/kernel" + s, "mlp.fc2.bias": b + "MlpBlock_3/Dense_1/bias" + s},
            {"attn.qkv.weight": "dhk_concat", "attn.qkv.bias": "hk_concat", "attn.proj.weight": "hkd_to_proj",
             "mlp.fc1.weight": "transpose", "mlp.fc2.weight": "transpose"})
    r += [rule("norm.weight", names["norm"] + "/gamma" + s), rule("norm.bias", names["norm"] + "/beta" + s),
          rule("head.weight", "head/kernel" + s, "transpose"), rule("head.bias", "head/bias" + s)]
    return r
