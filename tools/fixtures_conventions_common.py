"""Helpers shared by the convention fixture scripts (torch venv and the tf-keras venv alike).

Only numpy and the standard library are imported here so that both tools/.venv and tools/.venv-tf can use it.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "fixtures" / "conventions"

# Keys of ViTKit's ViTConfig (Sources/ViTModel/ViTConfig.swift CodingKeys), with timm VisionTransformer defaults.
CONFIG_DEFAULTS = {
    "image_size": [32, 32], "patch_size": [8, 8], "in_channels": 3, "embed_dim": 48, "depth": 2,
    "num_heads": 3, "attn_dim": 48, "mlp_hidden_dim": 96, "qkv_bias": True, "class_token": True,
    "register_tokens": 0, "no_embed_class": False, "global_pool": "token", "final_norm": True,
    "fc_norm": False, "norm_pre": False, "layer_scale": False, "pre_logits_dim": None,
    "pre_logits_activation": None, "distilled": False, "patch_embed": "conv", "patch_bias": True,
    "patch_norm_pre": False, "patch_norm_post": False, "layer_norm_eps": 1e-6, "num_classes": 10,
}


def vit_config(**overrides) -> dict:
    """The expected canonical ViTConfig (snake_case keys); unknown keys are an error."""
    # The family keys (ViTConfig decodes them with plain-ViT defaults when absent) are written only when they differ.
    unknown = set(overrides) - set(CONFIG_DEFAULTS) - {"labels", "activation", "head_bias", "pos_embed_rule", "family"}
    if unknown:
        raise KeyError(f"not ViTConfig keys: {sorted(unknown)}")
    cfg = dict(CONFIG_DEFAULTS)
    cfg.update(overrides)
    return cfg


def make_input(seed: int, channels: int, height: int, width: int) -> np.ndarray:
    """Batch-2 NCHW float32 images ~N(0,1), identical in every venv for a given seed."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((2, channels, height, width)).astype(np.float32)


def case_dir(name: str) -> Path:
    d = OUT / name
    d.mkdir(parents=True, exist_ok=True)
    for f in d.iterdir():  # a case is rewritten whole
        if f.is_file():
            f.unlink()
        else:
            import shutil
            shutil.rmtree(f)
    return d


def save_npy(path: Path, array: np.ndarray) -> None:
    np.save(path, np.ascontiguousarray(array))


def write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=2, sort_keys=False) + "\n")


def facts(cfg: dict, *, eps: float, heads_from_metadata: bool, heads_how: str, **extra) -> dict:
    """The facts the Swift side needs to run and check inference, derived from the expected config."""
    grid = [cfg["image_size"][0] // cfg["patch_size"][0], cfg["image_size"][1] // cfg["patch_size"][1]]
    prefix = int(cfg["class_token"]) + int(cfg["distilled"]) + cfg["register_tokens"]
    out = {
        "image_size": cfg["image_size"], "patch_size": cfg["patch_size"], "grid": grid,
        "embed_dim": cfg["embed_dim"], "depth": cfg["depth"], "num_heads": cfg["num_heads"],
        "head_dim": cfg["attn_dim"] // cfg["num_heads"], "attn_dim": cfg["attn_dim"],
        "mlp_hidden_dim": cfg["mlp_hidden_dim"], "prefix_tokens": prefix,
        "sequence_length": prefix + grid[0] * grid[1], "layer_norm_eps": eps,
        "pooling": cfg["global_pool"], "num_classes": cfg["num_classes"],
        "heads_recoverable_from_metadata": heads_from_metadata, "heads_how": heads_how,
        "head_dim_64_fallback_heads": cfg["attn_dim"] / 64,
    }
    out.update(extra)
    return out


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_manifest() -> dict:
    """fixtures/conventions/manifest.json: every case, its files (size, sha256) and what made them."""
    cases = []
    for d in sorted(p for p in OUT.iterdir() if p.is_dir()):
        cj = d / "case.json"
        if not cj.exists():
            continue
        case = json.loads(cj.read_text())
        files = []
        for f in sorted(p for p in d.rglob("*") if p.is_file()):
            files.append({"path": str(f.relative_to(OUT)), "bytes": f.stat().st_size, "sha256": sha256(f)})
        cases.append({
            "case": d.name, "convention": case["convention"], "script": case["generated_by"]["script"],
            "libraries": case["generated_by"]["libraries"], "checkpoint": case["checkpoint"]["files"],
            "files": files,
        })
    total = sum(f["bytes"] for c in cases for f in c["files"])
    manifest = {
        "what": "Reference checkpoints in every naming convention ViTKit maps onto timm, each with an input "
                "batch and the logits the source library itself computed (eval mode, no_grad).",
        "regenerate": "tools/.venv/bin/python tools/fixtures_conventions.py (keras_legacy_h5 also needs tools/.venv-tf)",
        "total_bytes": total, "cases": cases,
    }
    write_json(OUT / "manifest.json", manifest)
    return manifest
