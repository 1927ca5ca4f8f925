"""Reference numbers for ViTKit's model summary, made by the real libraries.

For timm Vision Transformers (Ti/S/B/L at 224, B at 384, B/16-224 run at 384 with dynamic_img_size) and
small odd configurations (DeiT distilled, register tokens, avg pooling, no qkv bias, non-square images,
LayerScale, CLIP-style pre-norm, pre-logits, attention width != embed width, vit-pytorch, an
nn.MultiheadAttention model) it records:

* the parameter count (sum of numel over model.parameters());
* fvcore FlopCountAnalysis totals (multiply-accumulates) and per-operator breakdowns with timm's fused
  attention on (default; F.scaled_dot_product_attention is not counted) and off
  (timm.layers.set_fused_attn(False) before building: explicit q @ k^T and attn @ v, counted as matmul);
* fvcore ActivationCountAnalysis totals with fused attention on and off;
* torchinfo 1.8 totals (params, mult-adds, input/forward-backward/params bytes) and its rows
  (type, attribute name, depth, depth index, output shape, params, leftover params, leaf flag);
* the torchinfo text for vit_tiny_patch16_224 at depth 3.

Each case carries the ViTKit `ViTConfig` (snake_case JSON) that describes the same network, so the Swift
tests can rebuild the summary from the config alone and compare every integer.

Run: tools/.venv/bin/python tools/reference_summary.py   (writes fixtures/summary/)
"""
import json
from importlib import metadata
import os
import sys
from collections import OrderedDict

import torch
from torch import nn

import timm
import torchinfo
import vit_pytorch
from fvcore.nn import ActivationCountAnalysis, FlopCountAnalysis
from timm.layers import set_fused_attn
from timm.models.vision_transformer import Attention, VisionTransformer

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "summary")


def vitkit_config(embed_dim, depth, num_heads, **kw):
    """ViTKit's ViTConfig JSON with timm VisionTransformer defaults (mirrors ViTConfig.init)."""
    c = OrderedDict(
        image_size=[224, 224], patch_size=[16, 16], in_channels=3, embed_dim=embed_dim, depth=depth,
        num_heads=num_heads, attn_dim=embed_dim, mlp_hidden_dim=4 * embed_dim, qkv_bias=True,
        class_token=True, register_tokens=0, no_embed_class=False, global_pool="token", final_norm=True,
        fc_norm=False, norm_pre=False, layer_scale=False, pre_logits_dim=None, pre_logits_activation=None,
        distilled=False, patch_embed="conv", patch_bias=True, patch_norm_pre=False, patch_norm_post=False,
        layer_norm_eps=1e-6, num_classes=1000)
    for k, v in kw.items():
        assert k in c, k
        c[k] = v
    if c["pre_logits_dim"] is None:
        del c["pre_logits_dim"], c["pre_logits_activation"]
    return c


def timm_model(name=None, fused=True, **kw):
    """A timm model built after setting the fused-attention flag (Attention reads it at construction)."""
    set_fused_attn(fused)
    torch.manual_seed(0)
    if name is not None:
        m = timm.create_model(name, pretrained=False, **kw)
    else:
        m = VisionTransformer(**kw)
    set_fused_attn(True)
    return m.eval()


class PreLogitsViT(VisionTransformer):
    """timm VisionTransformer with the original ViT representation layer (`pre_logits.fc` + act) before
    the head, as timm < 0.6 had it (pool -> fc_norm -> pre_logits -> head_drop -> head)."""

    def __init__(self, pre_logits_dim, act, **kw):
        num_classes = kw.pop("num_classes", 1000)
        super().__init__(num_classes=num_classes, **kw)
        self.pre_logits = nn.Sequential(OrderedDict(
            fc=nn.Linear(self.embed_dim, pre_logits_dim), act=act()))
        self.head = nn.Linear(pre_logits_dim, num_classes) if num_classes > 0 else nn.Identity()

    def forward_head(self, x, pre_logits: bool = False):
        x = self.pool(x)
        x = self.fc_norm(x)
        x = self.pre_logits(x)
        x = self.head_drop(x)
        return x if pre_logits else self.head(x)


class NarrowAttention(Attention):
    """timm Attention with head dim 32 regardless of the embed width (attention width != embed width)."""

    def __init__(self, dim, **kw):
        super().__init__(dim, attn_head_dim=32, **kw)


NarrowAttention.__name__ = "Attention"  # torchinfo prints the class name


def prelogits_model(fused=True, **kw):
    set_fused_attn(fused)
    torch.manual_seed(0)
    m = PreLogitsViT(**kw)
    set_fused_attn(True)
    return m.eval()


class MHAViT(nn.Module):
    """ViT-B/16 written on nn.TransformerEncoderLayer (norm_first, no final norm) with a
    LayerNorm + Linear(768,768) + GELU + Linear(768,10) head on the class token."""

    def __init__(self, dim=768, depth=12, heads=12, classes=10):
        super().__init__()
        self.patch = nn.Conv2d(3, dim, 16, 16)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.zeros(1, 197, dim))
        layer = nn.TransformerEncoderLayer(dim, heads, 4 * dim, dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.head = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, classes))

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1) + self.pos
        x = self.encoder(x)
        return self.head(x[:, 0])


def fvcore_counts(model, x):
    flops = FlopCountAnalysis(model, (x,))
    flops.unsupported_ops_warnings(False).uncalled_modules_warnings(False).tracer_warnings("none")
    acts = ActivationCountAnalysis(model, (x,))
    acts.unsupported_ops_warnings(False).uncalled_modules_warnings(False).tracer_warnings("none")
    by_op = {k: int(v) for k, v in sorted(flops.by_operator().items())}
    return {"total": int(flops.total()), "by_operator": by_op,
            "unsupported": sorted(flops.unsupported_ops().keys()), "activations": int(acts.total())}


def torchinfo_info(model, size, keep_rows):
    s = torchinfo.summary(model, input_size=size, depth=100, verbose=0)
    x = torch.rand(*size)
    out = {
        "total_params": int(s.total_params),
        "trainable_params": int(s.trainable_params),
        "total_mult_adds": int(s.total_mult_adds),
        "input_bytes": int(s.total_input),
        "input_nbytes": int(x.nelement() * x.element_size()),
        "forward_backward_bytes": int(s.total_output_bytes),
        "params_bytes": int(s.total_param_bytes),
    }
    if keep_rows:
        # [type, attribute name, depth, depth index, output shape, params, leftover params, is leaf]
        out["rows"] = [[l.class_name, l.var_name, l.depth, l.depth_index, list(l.output_size),
                        int(l.num_params), int(l.leftover_params()), bool(l.is_leaf_layer)]
                       for l in s.summary_list]
    return out


def case(name, build, config, batch=1, run_size=None, keep_rows=True, fvcore_mode="timm", note=""):
    """One reference model. build(fused) returns the model; run_size is the input (h, w).

    fvcore_mode: "timm" counts with fused attention on and off; "explicit" once (the model's attention
    is always explicit matmuls); None skips fvcore (its count would not describe the ViTKit config)."""
    h, w = run_size or config["image_size"]
    x = torch.rand(batch, config["in_channels"], h, w)
    model = build(True)
    params = sum(p.numel() for p in model.parameters())
    rec = OrderedDict(name=name, note=note, config=config, batch=batch, run_image_size=[h, w],
                      params=int(params))
    with torch.no_grad():
        if fvcore_mode == "timm":
            rec["fvcore_fused"] = fvcore_counts(model, x)
            rec["fvcore_unfused"] = fvcore_counts(build(False), x)
        elif fvcore_mode == "explicit":
            rec["fvcore_explicit"] = fvcore_counts(model, x)
    rec["torchinfo"] = torchinfo_info(model, (batch, config["in_channels"], h, w), keep_rows)
    print(f"{name}: params {params:,}", file=sys.stderr)
    return rec


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = []
    T = dict(embed_dim=192, depth=2, num_heads=3)  # small timm ViT for the odd configurations

    # Standard timm models.
    for name, d, n, h in [("vit_tiny_patch16_224", 192, 12, 3), ("vit_small_patch16_224", 384, 12, 6),
                          ("vit_base_patch16_224", 768, 12, 12), ("vit_large_patch16_224", 1024, 24, 16)]:
        cases.append(case(name, lambda f, name=name: timm_model(name, fused=f),
                          vitkit_config(d, n, h), keep_rows=(name == "vit_tiny_patch16_224")))
    cases.append(case("vit_base_patch16_384", lambda f: timm_model("vit_base_patch16_224", fused=f, img_size=384),
                      vitkit_config(768, 12, 12, image_size=[384, 384]), keep_rows=False,
                      note="timm.create_model('vit_base_patch16_224', img_size=384)"))
    cases.append(case("vit_base_patch16_224_run_at_384",
                      lambda f: timm_model("vit_base_patch16_224", fused=f, dynamic_img_size=True),
                      vitkit_config(768, 12, 12), run_size=(384, 384), keep_rows=False,
                      note="224 model (pos_embed 197 rows) run at 384 with dynamic_img_size=True; "
                           "fvcore skips the bicubic resample"))
    cases.append(case("vit_tiny_patch16_224_batch2", lambda f: timm_model("vit_tiny_patch16_224", fused=f),
                      vitkit_config(192, 12, 3), batch=2, keep_rows=False))

    # Odd configurations.
    cases.append(case("deit_tiny_distilled_patch16_224",
                      lambda f: timm_model("deit_tiny_distilled_patch16_224", fused=f),
                      vitkit_config(192, 12, 3, distilled=True)))
    cases.append(case("reg4", lambda f: timm_model(fused=f, reg_tokens=4, **T),
                      vitkit_config(192, 2, 3, register_tokens=4)))
    cases.append(case("reg4_no_embed_class", lambda f: timm_model(fused=f, reg_tokens=4, no_embed_class=True, **T),
                      vitkit_config(192, 2, 3, register_tokens=4, no_embed_class=True)))
    cases.append(case("avg_no_class_token",
                      lambda f: timm_model(fused=f, class_token=False, global_pool="avg", **T),
                      vitkit_config(192, 2, 3, class_token=False, global_pool="avg", final_norm=False,
                                    fc_norm=True), note="fc_norm on automatically, norm is Identity"))
    cases.append(case("avg_with_class_token", lambda f: timm_model(fused=f, global_pool="avg", **T),
                      vitkit_config(192, 2, 3, global_pool="avg", final_norm=False, fc_norm=True)))
    cases.append(case("token_fc_norm", lambda f: timm_model(fused=f, fc_norm=True, **T),
                      vitkit_config(192, 2, 3, final_norm=False, fc_norm=True)))
    cases.append(case("no_qkv_bias", lambda f: timm_model(fused=f, qkv_bias=False, **T),
                      vitkit_config(192, 2, 3, qkv_bias=False)))
    cases.append(case("non_square_224x160", lambda f: timm_model(fused=f, img_size=(224, 160), **T),
                      vitkit_config(192, 2, 3, image_size=[224, 160])))
    cases.append(case("layer_scale", lambda f: timm_model(fused=f, init_values=1e-5, **T),
                      vitkit_config(192, 2, 3, layer_scale=True)))
    cases.append(case("pre_norm_clip", lambda f: timm_model(fused=f, pre_norm=True, **T),
                      vitkit_config(192, 2, 3, norm_pre=True, patch_bias=False)))
    cases.append(case("headless", lambda f: timm_model(fused=f, num_classes=0, **T),
                      vitkit_config(192, 2, 3, num_classes=0)))
    cases.append(case("no_final_norm", lambda f: timm_model(fused=f, final_norm=False, **T),
                      vitkit_config(192, 2, 3, final_norm=False)))
    cases.append(case("patch14_mlp2_168",
                      lambda f: timm_model(fused=f, img_size=168, patch_size=14, mlp_ratio=2.0, num_classes=37, **T),
                      vitkit_config(192, 2, 3, image_size=[168, 168], patch_size=[14, 14], mlp_hidden_dim=384,
                                    num_classes=37)))
    cases.append(case("attn_dim_96", lambda f: timm_model(fused=f, attn_layer=NarrowAttention, **T),
                      vitkit_config(192, 2, 3, attn_dim=96), note="attn_head_dim=32, 3 heads"))
    cases.append(case("patch_embed_norm", lambda f: timm_model(fused=f, embed_norm_layer=nn.LayerNorm, **T),
                      vitkit_config(192, 2, 3, patch_norm_post=True), note="embed_norm_layer=nn.LayerNorm"))
    cases.append(case("pre_logits_tanh",
                      lambda f: prelogits_model(fused=f, pre_logits_dim=256, act=nn.Tanh, num_classes=10, **T),
                      vitkit_config(192, 2, 3, pre_logits_dim=256, pre_logits_activation="tanh", num_classes=10),
                      note="PreLogitsViT: timm ViT + pre_logits Sequential(fc, act) before the head"))
    cases.append(case("everything_batch3",
                      lambda f: prelogits_model(fused=f, pre_logits_dim=128, act=nn.GELU, num_classes=5,
                                                img_size=(96, 64), reg_tokens=2, init_values=0.1, pre_norm=True,
                                                global_pool="avg", fc_norm=True, **T),
                      vitkit_config(192, 2, 3, image_size=[96, 64], register_tokens=2, layer_scale=True,
                                    norm_pre=True, final_norm=False, patch_bias=False, global_pool="avg", fc_norm=True,
                                    pre_logits_dim=128, pre_logits_activation="gelu", num_classes=5),
                      batch=3, note="reg tokens, LayerScale, pre-norm, avg pool with fc_norm, "
                                    "pre-logits GELU, non-square, batch 3"))

    # Other libraries (totals only: their module trees differ from timm's).
    def vp(f):
        torch.manual_seed(0)
        return vit_pytorch.ViT(image_size=(64, 48), patch_size=8, num_classes=10, dim=96, depth=2, heads=4,
                               dim_head=16, mlp_dim=200, pool="mean").eval()
    cases.append(case("vit_pytorch_mean", vp,
                      vitkit_config(96, 2, 4, image_size=[64, 48], patch_size=[8, 8], attn_dim=64,
                                    mlp_hidden_dim=200, qkv_bias=False, class_token=False, global_pool="avg",
                                    patch_embed="linear", patch_norm_pre=True, patch_norm_post=True,
                                    layer_norm_eps=1e-5, num_classes=10),
                      keep_rows=False, fvcore_mode="explicit",
                      note="vit_pytorch.ViT (explicit attention matmuls); pool='mean' averages all tokens"))

    def mha(f):
        torch.manual_seed(0)
        return MHAViT().eval()
    cases.append(case("mha_vit_b16_head_mlp", mha,
                      vitkit_config(768, 12, 12, final_norm=True, pre_logits_dim=768, pre_logits_activation="gelu",
                                    num_classes=10, layer_norm_eps=1e-5),
                      keep_rows=False, fvcore_mode=None,
                      note="nn.TransformerEncoderLayer(norm_first) ViT-B/16 with LayerNorm+Linear+GELU+Linear head; "
                           "only the parameter count is comparable (its head LayerNorm sees one token, and "
                           "fvcore cannot see inside the fused native attention op)"))

    ref = OrderedDict(
        libraries={k: metadata.version(k) for k in ("torch", "timm", "fvcore", "torchinfo", "vit-pytorch")},
        cases=cases)
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
        f.write("\n")

    # torchinfo's own text for vit_tiny at depth 3 (the layout ViTKit's table follows).
    m = timm_model("vit_tiny_patch16_224")
    text = str(torchinfo.summary(m, input_size=(1, 3, 224, 224), depth=3, verbose=0))
    with open(os.path.join(OUT, "torchinfo_vit_tiny_depth3.txt"), "w") as f:
        f.write(text + "\n")

    manifest = OrderedDict(
        script="tools/reference_summary.py",
        python=sys.version.split()[0],
        libraries=ref["libraries"],
        files={
            "reference.json": "params, fvcore MACs/activations (fused attention on and off), torchinfo totals "
                              "and rows for every case, with the equivalent ViTKit config",
            "torchinfo_vit_tiny_depth3.txt": "str(torchinfo.summary(vit_tiny_patch16_224, input_size=(1,3,224,224), "
                                             "depth=3, verbose=0))",
            "vit_tiny_depth2.txt": "ViTKit's own ViTSummary.render(depth: 2) snapshot for vit_tiny, not a "
                                   "reference: re-record with VITKIT_RECORD_SNAPSHOTS=1 swift test --filter SummaryTests",
        })
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
