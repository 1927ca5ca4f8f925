"""Reference fixtures for every checkpoint naming convention ViTKit maps onto timm (fixtures/conventions/).

Usage (from the repository root):

    tools/.venv/bin/python tools/fixtures_conventions.py            # every case
    tools/.venv/bin/python tools/fixtures_conventions.py timm hf     # only these groups (timm, torchvision, hf,
                                                                     # vit_pytorch, handwritten, keras)

Each case folder holds the checkpoint exactly as the library's user gets it, `input.npy` (float32 NCHW, batch 2),
`logits.npy` (float32, computed by the library itself in eval mode under no_grad) and `case.json` (library versions,
constructor, the facts needed to run inference, the expected canonical ViTConfig in ViTKit's snake_case keys, and the
per-tensor mapping onto timm names). Weights are random (seeded), LayerNorm gains/biases and tokens included.

Every case is verified before it is written: the checkpoint is reloaded from disk into a fresh model of the source
library and must reproduce the logits bit for bit; the mapping table (fixtures_conventions_mapping.py) must use every
tensor; the mapped tensors run through a plain-torch canonical forward driven by the expected config, and through timm
itself (strict load) where timm can express the architecture, and must match the library's logits.

The Keras cases are made by tools/fixtures_conventions_keras.py: `keras_legacy_h5` with tf-keras in tools/.venv-tf
(see tools/requirements-tf.txt; or the python named by $VITKIT_TF_PYTHON; skipped with a warning when missing), `keras3_weights_h5` with Keras 3
(KERAS_BACKEND=torch) in tools/.venv. This script runs both and then writes fixtures/conventions/manifest.json.
"""
from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from functools import partial
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fixtures_conventions_common as common  # noqa: E402
import fixtures_conventions_mapping as mapping  # noqa: E402
from fixtures_conventions_reference import canonical_forward  # noqa: E402

torch.set_num_threads(1)
SCRIPT = "tools/fixtures_conventions.py"


# ----------------------------------------------------------------------------------------------- helpers

def versions(*names: str) -> dict:
    import importlib.metadata as md
    return {n: md.version(n) for n in names}


def randomize(model: nn.Module, seed: int, std: float = 0.2) -> None:
    """Replace every init default: LayerNorm gains 1+N(0,0.25), every other parameter N(0, std)."""
    g = torch.Generator().manual_seed(seed)
    done = set()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.LayerNorm) and m.weight is not None:
                m.weight.copy_(1 + 0.25 * torch.randn(m.weight.shape, generator=g))
                m.bias.copy_(0.2 * torch.randn(m.bias.shape, generator=g))
                done.update({id(m.weight), id(m.bias)})
        for _, p in model.named_parameters():
            if id(p) not in done:
                p.copy_(std * torch.randn(p.shape, generator=g))


def run(model: nn.Module, x: np.ndarray) -> np.ndarray:
    model.eval()
    with torch.no_grad():
        out = model(torch.from_numpy(x))
    return out.detach().float().numpy()


def safetensors_header(path: Path) -> list[dict]:
    """Tensor names, dtypes and shapes in the order the file's JSON header lists them."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    return [{"name": k, "dtype": v["dtype"], "shape": v["shape"]} for k, v in header.items() if k != "__metadata__"]


def safetensors_metadata(path: Path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(n)).get("__metadata__")


def load_safetensors_np(path: Path) -> dict[str, np.ndarray]:
    from safetensors.torch import load_file
    return {k: v.float().numpy() for k, v in load_file(str(path)).items()}


def timm_from_config(cfg: dict):
    """A timm model for the expected config, or None when timm cannot express it."""
    if (cfg["attn_dim"] != cfg["embed_dim"] or cfg["patch_norm_pre"] or cfg["pre_logits_dim"] is not None
            or cfg["layer_scale"] or cfg["num_classes"] == 0 or (cfg["final_norm"] and cfg["fc_norm"])):
        return None
    from timm.models.vision_transformer import VisionTransformer
    from timm.models.deit import VisionTransformerDistilled
    from timm.layers import PatchEmbed
    cls = VisionTransformerDistilled if cfg["distilled"] else VisionTransformer
    kw = dict(img_size=tuple(cfg["image_size"]), patch_size=tuple(cfg["patch_size"]), in_chans=cfg["in_channels"],
              num_classes=cfg["num_classes"], global_pool=cfg["global_pool"], embed_dim=cfg["embed_dim"],
              depth=cfg["depth"], num_heads=cfg["num_heads"], mlp_ratio=cfg["mlp_hidden_dim"] / cfg["embed_dim"],
              qkv_bias=cfg["qkv_bias"], class_token=cfg["class_token"], reg_tokens=cfg["register_tokens"],
              no_embed_class=cfg["no_embed_class"], pre_norm=cfg["norm_pre"],
              final_norm=cfg["final_norm"] or cfg["fc_norm"],  # timm: one end norm, before (norm) or after the pool
              fc_norm=cfg["fc_norm"], norm_layer=partial(nn.LayerNorm, eps=cfg["layer_norm_eps"]))
    if cfg["patch_norm_post"]:
        kw["embed_norm_layer"] = partial(nn.LayerNorm, eps=cfg["layer_norm_eps"])
    if not cfg["patch_bias"]:
        return None
    return cls(**kw)


def finish(name: str, *, convention: str, libraries: dict, constructor: str, checkpoint: dict, x: np.ndarray,
           logits: np.ndarray, reloaded_logits: np.ndarray, cfg: dict, facts: dict, rules: list[dict],
           source: dict[str, np.ndarray], tensors: list[dict], patch=None, drop=(), notes=(), extra=None,
           input_note: str | None = None, script: str = SCRIPT) -> dict:
    """Verify and write input.npy, logits.npy and case.json for one case (the checkpoint is already saved)."""
    d = common.OUT / name
    if not np.array_equal(logits, reloaded_logits):
        raise AssertionError(f"{name}: logits from the reloaded checkpoint differ: "
                             f"{np.abs(logits - reloaded_logits).max()}")
    canon = mapping.apply_rules(source, rules, patch=patch, drop=drop)
    xt = torch.from_numpy(x)
    with torch.no_grad():
        ref = canonical_forward({k: torch.from_numpy(v) for k, v in canon.items()}, cfg, xt).numpy()
    ref_diff = float(np.abs(ref - logits).max())
    timm_diff = None
    tm = timm_from_config(cfg)
    if tm is not None:
        tm.load_state_dict({k: torch.from_numpy(v) for k, v in canon.items()}, strict=True)
        timm_diff = float(np.abs(run(tm, x) - logits).max())
    tol = facts.get("expected_abs_tolerance", 2e-5)
    for label, diff in (("canonical forward", ref_diff), ("timm", timm_diff)):
        if diff is not None and diff > tol:
            raise AssertionError(f"{name}: {label} differs from the library logits by {diff} (> {tol})")
    by_source = {}
    for r in rules:
        for s in r["sources"]:
            by_source[s] = (r["canonical"], r["transform"])
    for t in tensors:
        c = by_source.get(t["name"])
        t["canonical"] = c[0] if c else None
        t["transform"] = c[1] if c else "dropped"
    common.save_npy(d / "input.npy", x)
    common.save_npy(d / "logits.npy", logits.astype(np.float32))
    case = {
        "case": name,
        "convention": convention,
        "generated_by": {"script": script, "libraries": libraries},
        "constructor": constructor,
        "checkpoint": checkpoint,
        "input": {"file": "input.npy", "dtype": "float32", "layout": "NCHW", "shape": list(x.shape),
                  "note": input_note or "values ~N(0,1), numpy default_rng seed in 'seed'"},
        "output": {"file": "logits.npy", "dtype": "float32", "shape": list(logits.shape),
                   "what": "computed by the source library itself, eval mode, no_grad"},
        "facts": facts,
        "expected_config": cfg,
        "verification": {
            "reload_from_disk_bit_identical": True,
            "canonical_forward_max_abs_diff": ref_diff,
            "timm_strict_load_max_abs_diff": timm_diff,
            "timm_note": None if tm is not None else "timm cannot express this architecture; not run through timm",
        },
        "logits_stats": {"std": float(logits.std()), "max_abs": float(np.abs(logits).max())},
        "tensors": tensors,
        "transforms": {k: mapping.TRANSFORMS[k] for k in sorted({r["transform"] for r in rules})},
        "notes": list(notes),
    }
    if extra:
        case.update(extra)
    common.write_json(d / "case.json", case)
    print(f"{name:24s} ok  logits std {logits.std():6.3f} max {np.abs(logits).max():6.3f}  "
          f"canonical diff {ref_diff:.2e}  timm diff {timm_diff if timm_diff is None else f'{timm_diff:.2e}'}")
    return case


def safetensors_case(name: str, model: nn.Module, sd_to_save: dict, fresh, **kw):
    """Save `sd_to_save` with safetensors.torch.save_file, reload it into `fresh()` and finish the case."""
    from safetensors.torch import load_file, save_file
    d = common.case_dir(name)
    path = d / "model.safetensors"
    save_file({k: v.contiguous() for k, v in sd_to_save.items()}, str(path))
    m2 = fresh()
    m2.load_state_dict({k: v.float() for k, v in load_file(str(path)).items()}, strict=True)
    kw.setdefault("checkpoint", {})
    kw["checkpoint"] = {"files": ["model.safetensors"], "format": "safetensors",
                        "metadata": safetensors_metadata(path), **kw["checkpoint"]}
    return finish(name, reloaded_logits=run(m2, kw["x"]), source=load_safetensors_np(path),
                  tensors=safetensors_header(path), **kw)


TORCH_LIBS = ("torch", "safetensors", "numpy")


# ----------------------------------------------------------------------------------------------- timm

def timm_cases():
    import timm
    from timm.models.vision_transformer import VisionTransformer
    from timm.models.deit import VisionTransformerDistilled
    libs = versions("timm", *TORCH_LIBS)
    save = "safetensors.torch.save_file(model.state_dict(), 'model.safetensors')"
    heads_how = "not in the file: safetensors from timm carries no config; qkv (3*A, D) gives A, not H"

    def one(name, cls, kwargs, cfg, seed, notes=(), dtype=None):
        torch.manual_seed(seed)
        model = cls(**kwargs)
        randomize(model, seed)
        sd = model.state_dict()
        if dtype is not None:  # round the weights first; logits come from the rounded weights in float32
            sd = {k: v.to(dtype) for k, v in sd.items()}
            model.load_state_dict({k: v.float() for k, v in sd.items()})
        x = common.make_input(seed, cfg["in_channels"], *cfg["image_size"])
        logits = run(model, x)
        args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        facts = common.facts(cfg, eps=1e-6, heads_from_metadata=False, heads_how=heads_how)
        if dtype is not None:
            facts["weights_dtype"] = str(dtype).replace("torch.", "")
        return safetensors_case(
            name, model, sd, lambda: cls(**kwargs), convention="timm", libraries=libs,
            constructor=f"{cls.__module__}.{cls.__name__}({args})", x=x, logits=logits, cfg=cfg, facts=facts,
            rules=mapping.timm_rules(list(sd)), checkpoint={"saved_with": save if dtype is None else
                                                           f"save_file({{k: v.to({dtype}) for k, v in model.state_dict().items()}})"},
            notes=notes, extra={"seed": seed})

    common_kw = dict(img_size=32, patch_size=8, num_classes=10, depth=2)
    one("timm_plain", VisionTransformer, dict(common_kw, embed_dim=32, num_heads=2, mlp_ratio=1.5),
        common.vit_config(embed_dim=32, num_heads=2, attn_dim=32, mlp_hidden_dim=48), seed=1)
    one("timm_deit_distilled", VisionTransformerDistilled,
        dict(common_kw, embed_dim=32, num_heads=4, mlp_ratio=1.5),
        common.vit_config(embed_dim=32, num_heads=4, attn_dim=32, mlp_hidden_dim=48, distilled=True), seed=2,
        notes=["tokens are [cls, dist, patches]; pos_embed has 2 prefix rows; dist_token is listed after pos_embed "
               "in state_dict order", "eval output = (head(x[:,0]) + head_dist(x[:,1])) / 2"])
    one("timm_registers", VisionTransformer,
        dict(common_kw, embed_dim=32, num_heads=2, mlp_ratio=2.0, reg_tokens=4),
        common.vit_config(embed_dim=32, num_heads=2, attn_dim=32, mlp_hidden_dim=64, register_tokens=4), seed=3,
        notes=["tokens are [cls, reg x4, patches]; pos_embed covers all 5 prefix tokens (no_embed_class=False)"])
    one("timm_avg_fc_norm", VisionTransformer,
        dict(common_kw, embed_dim=32, num_heads=4, mlp_ratio=1.5, global_pool="avg"),
        common.vit_config(embed_dim=32, num_heads=4, attn_dim=32, mlp_hidden_dim=48, global_pool="avg",
                          final_norm=False, fc_norm=True), seed=4,
        notes=["global_pool='avg' with a class token: fc_norm replaces norm; the mean is over patch tokens only"])
    one("timm_no_class_token", VisionTransformer,
        dict(common_kw, img_size=(32, 48), embed_dim=32, num_heads=2, mlp_ratio=1.5, class_token=False,
             global_pool="avg"),
        common.vit_config(image_size=[32, 48], embed_dim=32, num_heads=2, attn_dim=32, mlp_hidden_dim=48,
                          class_token=False, global_pool="avg", final_norm=False, fc_norm=True), seed=5,
        notes=["non-square: 32 high x 48 wide, grid 4 x 6 (row-major)", "no cls_token; pos_embed (1, 24, D)"])
    one("timm_f16", VisionTransformer, dict(common_kw, embed_dim=32, num_heads=2, mlp_ratio=2.0),
        common.vit_config(embed_dim=32, num_heads=2, attn_dim=32, mlp_hidden_dim=64), seed=6, dtype=torch.float16,
        notes=["weights stored as F16; logits computed in float32 from the rounded (F16 -> F32) weights"])
    one("timm_bf16", VisionTransformer, dict(common_kw, embed_dim=32, num_heads=4, mlp_ratio=2.0),
        common.vit_config(embed_dim=32, num_heads=4, attn_dim=32, mlp_hidden_dim=64), seed=7, dtype=torch.bfloat16,
        notes=["weights stored as BF16; logits computed in float32 from the rounded (BF16 -> F32) weights"])


# ----------------------------------------------------------------------------------------------- torchvision

def torchvision_case():
    from torchvision.models.vision_transformer import VisionTransformer
    libs = versions("torchvision", *TORCH_LIBS)
    kwargs = dict(image_size=32, patch_size=8, num_layers=2, num_heads=4, hidden_dim=32, mlp_dim=48, num_classes=10)
    seed = 11
    torch.manual_seed(seed)
    model = VisionTransformer(**kwargs)
    randomize(model, seed)
    cfg = common.vit_config(embed_dim=32, num_heads=4, attn_dim=32, mlp_hidden_dim=48)
    x = common.make_input(seed, 3, 32, 32)
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    safetensors_case(
        "torchvision", model, model.state_dict(), lambda: VisionTransformer(**kwargs), convention="torchvision",
        libraries=libs, constructor=f"torchvision.models.vision_transformer.VisionTransformer({args})", x=x,
        logits=run(model, x), cfg=cfg,
        facts=common.facts(cfg, eps=1e-6, heads_from_metadata=False,
                           heads_how="not in the file; in_proj_weight (3D, D) gives only D"),
        rules=mapping.torchvision_rules(2),
        checkpoint={"saved_with": "safetensors.torch.save_file(model.state_dict(), 'model.safetensors')"},
        notes=["layer index is not zero-padded: encoder_layer_{i}", "MLP Linears are mlp.0 and mlp.3"],
        extra={"seed": seed})


# ----------------------------------------------------------------------------------------------- Hugging Face

CIFAR10 = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def hf_cases():
    import transformers
    from transformers import ViTConfig, ViTForImageClassification, ViTModel
    libs = versions("transformers", *TORCH_LIBS)
    hf_kwargs = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=48,
                     image_size=32, patch_size=8, num_channels=3,
                     id2label={i: n for i, n in enumerate(CIFAR10)}, label2id={n: i for i, n in enumerate(CIFAR10)})
    args = ", ".join(f"{k}={v!r}" for k, v in hf_kwargs.items())

    for name, cls, seed in (("hf_vit_classification", ViTForImageClassification, 21), ("hf_vit_model", ViTModel, 22)):
        torch.manual_seed(seed)
        model = cls(ViTConfig(**hf_kwargs)).eval()
        randomize(model, seed)
        x = common.make_input(seed, 3, 32, 32)
        with torch.no_grad():
            out = model(pixel_values=torch.from_numpy(x))
        classifier = cls is ViTForImageClassification
        logits = (out.logits if classifier else out.pooler_output).numpy()
        d = common.case_dir(name)
        folder = d / "model"
        model.save_pretrained(str(folder))
        m2 = cls.from_pretrained(str(folder)).eval()
        with torch.no_grad():
            o2 = m2(pixel_values=torch.from_numpy(x))
        re = (o2.logits if classifier else o2.pooler_output).numpy()
        files = sorted(str(p.relative_to(d)) for p in folder.rglob("*") if p.is_file())
        st = folder / "model.safetensors"
        if classifier:
            cfg = common.vit_config(embed_dim=32, num_heads=2, attn_dim=32, mlp_hidden_dim=48,
                                    layer_norm_eps=1e-12, labels=CIFAR10, pos_embed_rule="bicubic",
                                    family="ViT (transformers)")
            extra_out = {}
            notes = ["config.json holds num_attention_heads, hidden_size, intermediate_size, image_size, patch_size, "
                     "layer_norm_eps (1e-12) and id2label", "files keep the transformers v4 names even though "
                     "transformers 5 renames the modules in memory"]
        else:
            cfg = common.vit_config(embed_dim=32, num_heads=2, attn_dim=32, mlp_hidden_dim=48, layer_norm_eps=1e-12,
                                    num_classes=0, pre_logits_dim=32, pre_logits_activation="tanh",
                                    pos_embed_rule="bicubic", family="ViT (transformers)")
            feats = out.last_hidden_state[:, 0].numpy()
            common.save_npy(d / "features.npy", feats)
            extra_out = {"extra_outputs": {
                "logits.npy": "pooler_output = tanh(pooler.dense(layernorm(last_hidden_state)[:, 0]))",
                "features.npy": "last_hidden_state[:, 0] (after vit.layernorm): the pooled feature without the pooler"}}
            notes = ["bare ViTModel (add_pooling_layer=True, the default): no classifier, keys have no 'vit.' prefix; "
                     "pooler.dense (D, D) + tanh maps onto ViTKit pre_logits (tanh) with num_classes 0",
                     "logits.npy holds pooler_output; features.npy the class token after the final norm"]
        facts = common.facts(cfg, eps=1e-12, heads_from_metadata=True,
                             heads_how="config.json num_attention_heads")
        finish(name, convention="huggingface", libraries=libs,
               constructor=f"transformers.{cls.__name__}(transformers.ViTConfig({args}))",
               checkpoint={"files": files, "format": "huggingface folder (config.json + model.safetensors)",
                           "saved_with": "model.save_pretrained('model')", "metadata": safetensors_metadata(st),
                           "config_json": json.loads((folder / "config.json").read_text())},
               x=x, logits=logits, reloaded_logits=re, cfg=cfg, facts=facts,
               rules=mapping.hf_rules(2, prefix="vit." if classifier else "", classifier=classifier),
               source=load_safetensors_np(st), tensors=safetensors_header(st), notes=notes,
               extra={"seed": seed, **extra_out})


# ----------------------------------------------------------------------------------------------- vit-pytorch

def vit_pytorch_cases():
    from vit_pytorch import ViT
    libs = versions("vit-pytorch", "einops", *TORCH_LIBS)
    cases = [
        ("vit_pytorch_cls", 31, dict(image_size=32, patch_size=8, num_classes=10, dim=32, depth=2, heads=4,
                                     mlp_dim=48, pool="cls", dim_head=8),
         common.vit_config(embed_dim=32, num_heads=4, attn_dim=32, mlp_hidden_dim=48, qkv_bias=False,
                           patch_embed="linear", patch_norm_pre=True, patch_norm_post=True, layer_norm_eps=1e-5),
         ["cls_token is 2-D (1, D) and pos_embedding 2-D (G+1, D)", "no qkv bias"]),
        ("vit_pytorch_mean", 32, dict(image_size=(32, 40), patch_size=8, num_classes=10, dim=32, depth=2, heads=2,
                                      mlp_dim=48, pool="mean", dim_head=24),
         common.vit_config(image_size=[32, 40], embed_dim=32, num_heads=2, attn_dim=48, mlp_hidden_dim=48,
                           qkv_bias=False, class_token=False, global_pool="avg", patch_embed="linear",
                           patch_norm_pre=True, patch_norm_post=True, layer_norm_eps=1e-5),
         ["pool='mean': cls_token has shape (0, D) (an empty tensor, kept in the file) and pos_embedding (G, D)",
          "attention width heads*dim_head = 48 differs from dim = 32: to_qkv (144, 32), to_out.0 (32, 48)",
          "non-square: 32 high x 40 wide, grid 4 x 5; mean over all tokens after transformer.norm"]),
    ]
    for name, seed, kwargs, cfg, notes in cases:
        torch.manual_seed(seed)
        model = ViT(**kwargs)
        randomize(model, seed)
        x = common.make_input(seed, 3, *cfg["image_size"])
        args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        sd = model.state_dict()
        drop = ("cls_token",) if kwargs["pool"] == "mean" else ()
        safetensors_case(
            name, model, sd, lambda kwargs=kwargs: ViT(**kwargs), convention="vit-pytorch", libraries=libs,
            constructor=f"vit_pytorch.ViT({args})", x=x, logits=run(model, x), cfg=cfg,
            facts=common.facts(cfg, eps=1e-5, heads_from_metadata=False,
                               heads_how="not in the file; to_qkv (3*H*dh, D) gives only H*dh"),
            rules=mapping.vit_pytorch_rules(2, cls=kwargs["pool"] == "cls"), patch=(8, 8, 3), drop=drop,
            checkpoint={"saved_with": "safetensors.torch.save_file(model.state_dict(), 'model.safetensors')"},
            notes=notes + ["to_patch_embedding.1 is a LayerNorm over the raw (p1 p2 c) patch pixels (no timm "
                           "equivalent; canonical patch_embed.norm_pre stored (C, P, P))",
                           "to_patch_embedding.3 is a LayerNorm after the patch Linear (patch_embed.norm)"],
            extra={"seed": seed})


# ----------------------------------------------------------------------------------------------- hand-written

def handwritten_cases():
    from fixtures_conventions_models import EinopsViT, TutorialViT
    libs = versions(*TORCH_LIBS)
    # ViT-B/16 written this way, K = 10: torchinfo prints 86,396,938 params.
    big = TutorialViT(image_size=224, patch_size=16, embed_dim=768, depth=12, num_heads=12, mlp_dim=3072,
                      num_classes=10)
    n_big = sum(p.numel() for p in big.parameters())
    assert n_big == 86_396_938, n_big
    del big

    seed = 41
    kwargs = dict(image_size=32, in_channels=3, patch_size=8, embed_dim=32, depth=2, num_heads=2, mlp_dim=48,
                  num_classes=10)
    torch.manual_seed(seed)
    model = TutorialViT(**kwargs)
    randomize(model, seed)
    x = common.make_input(seed, 3, 32, 32)
    logits = run(model, x)
    # the head LayerNorm uses PyTorch's default eps 1e-5; the blocks 1e-6. Measure what one eps for all costs.
    with torch.no_grad():
        model.mlp_head[0].eps = 1e-6
        eps_effect = float(np.abs(run(model, x) - logits).max())
        model.mlp_head[0].eps = 1e-5
    cfg = common.vit_config(embed_dim=32, num_heads=2, attn_dim=32, mlp_hidden_dim=48, final_norm=False,
                            fc_norm=True, pre_logits_dim=32, pre_logits_activation="gelu")
    facts = common.facts(cfg, eps=1e-6, heads_from_metadata=False,
                         heads_how="not in the file; in_proj_weight (3D, D) gives only D",
                         layer_norm_eps_by_module={"encoder.layers.*.norm1/norm2": 1e-6, "mlp_head.0": 1e-5},
                         max_abs_logit_change_if_head_norm_uses_1e_6=eps_effect,
                         expected_abs_tolerance=max(2e-5, 4 * eps_effect),
                         params_vit_b16_same_code=n_big)
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    safetensors_case(
        "handwritten_mha", model, model.state_dict(), lambda: TutorialViT(**kwargs), convention="handwritten-mha",
        libraries=libs, constructor=f"tools/fixtures_conventions_models.py TutorialViT({args})", x=x, logits=logits,
        cfg=cfg, facts=facts, rules=mapping.handwritten_mha_rules(2),
        checkpoint={"saved_with": "safetensors.torch.save_file(model.state_dict(), 'model.safetensors')"},
        notes=["encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, "
               "activation='gelu', batch_first=True, norm_first=True, layer_norm_eps=1e-6), depth): "
               "self_attn.in_proj_weight (3D, D) in q,k,v order, self_attn.out_proj, linear1, linear2, norm1, norm2",
               "no norm over all tokens; head = mlp_head: 0 LayerNorm (eps 1e-5), 1 Linear(D, D), 2 GELU, "
               "3 Linear(D, K), applied to the class token -> canonical fc_norm, pre_logits (gelu), head",
               f"ViT-B/16 built with the same code (K=10) has {n_big:,} parameters (asserted)",
               "expected_config.layer_norm_eps is the blocks' 1e-6; the head norm's 1e-5 is listed in facts"],
        extra={"seed": seed})

    seed = 42
    kwargs = dict(image_size=(48, 32), patch_size=8, channels=3, dim=32, depth=2, heads=4, dim_head=8, mlp_dim=64,
                  num_classes=10)
    torch.manual_seed(seed)
    model = EinopsViT(**kwargs)
    randomize(model, seed)
    x = common.make_input(seed, 3, 48, 32)
    cfg = common.vit_config(image_size=[48, 32], embed_dim=32, num_heads=4, attn_dim=32, mlp_hidden_dim=64,
                            qkv_bias=False, final_norm=False, fc_norm=True, patch_embed="linear",
                            layer_norm_eps=1e-5)
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    safetensors_case(
        "handwritten_einops", model, model.state_dict(), lambda: EinopsViT(**kwargs),
        convention="handwritten-einops", libraries=versions("einops", *TORCH_LIBS),
        constructor=f"tools/fixtures_conventions_models.py EinopsViT({args})", x=x, logits=run(model, x), cfg=cfg,
        facts=common.facts(cfg, eps=1e-5, heads_from_metadata=False,
                           heads_how="not in the file; to_qkv (3*H*dh, D) gives only H*dh"),
        rules=mapping.einops_rules(2), patch=(8, 8, 3),
        checkpoint={"saved_with": "safetensors.torch.save_file(model.state_dict(), 'model.safetensors')"},
        notes=["patch_embedding = Sequential(Rearrange('b c (h p1) (w p2) -> b (h w) (p1 p2 c)'), Linear(P*P*C, D)): "
               "weight at patch_embedding.1", "to_qkv has NO bias; to_out has one",
               "blocks.{i}.attn.norm / blocks.{i}.ff.net.0 are the pre-norms; ff.net.1 / ff.net.3 the MLP",
               "head = Sequential(LayerNorm, Linear) on the class token -> canonical fc_norm + head",
               "non-square: 48 high x 32 wide, grid 6 x 4", "every LayerNorm has PyTorch's default eps 1e-5"],
        extra={"seed": seed})


# ----------------------------------------------------------------------------------------------- Keras

def keras_cases():
    here = Path(__file__).resolve().parent
    keras_script = here / "fixtures_conventions_keras.py"
    env = dict(os.environ, KERAS_BACKEND="torch")
    subprocess.run([sys.executable, str(keras_script), "keras3"], check=True, env=env)
    tf_python = Path(os.environ.get("VITKIT_TF_PYTHON", here / ".venv-tf" / "bin" / "python"))
    if tf_python.exists():
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
        subprocess.run([str(tf_python), str(keras_script), "legacy"], check=True, env=env)
        subprocess.run([sys.executable, str(keras_script), "verify-legacy"], check=True)
    else:
        print("WARNING: tools/.venv-tf missing: keras_legacy_h5 not regenerated (see tools/requirements-tf.txt)",
              file=sys.stderr)


ALL = {
    "timm": timm_cases, "torchvision": torchvision_case, "hf": hf_cases, "vit_pytorch": vit_pytorch_cases,
    "handwritten": handwritten_cases, "keras": keras_cases,
}


def main(argv: list[str]) -> None:
    groups = argv or list(ALL)
    for g in groups:
        ALL[g]()
    m = common.write_manifest()
    print(f"manifest: {len(m['cases'])} cases, {m['total_bytes']:,} bytes")


if __name__ == "__main__":
    main(sys.argv[1:])
