"""Writing one fixtures/handwritten/<case>/ folder: checkpoint(s), input, the model's output and case.json.

Every case is verified before case.json is written:
- the safetensors file (and model.pth where written) reloaded into a fresh model reproduces the logits bit for bit;
- the per-tensor table (`rules`, onto timm names) uses every tensor, and the mapped tensors run through the plain-torch
  canonical forward (tools/fixtures_conventions_reference.py) driven by `expected_config` and the case's `options`
  (patch order, MLP activation) reproduce the model's logits; where timm can express the architecture it is run too.
So `expected_config` + `options` are what a correct reading of the checkpoint must arrive at.
"""
from __future__ import annotations

import contextlib
import json
import struct
import types
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import fixtures_conventions_common as common
import fixtures_conventions_reference as reference
from fixtures_conventions import randomize, run, timm_from_config, versions  # noqa: F401  (re-exported)

OUT = common.REPO / "fixtures" / "handwritten"
SCRIPT = "tools/fixtures_handwritten.py"
TORCH_LIBS = ("torch", "safetensors", "numpy")

TRANSFORMS = {
    "none": "copy unchanged",
    "unsqueeze0": "add a leading axis: (T, D) -> (1, T, D) (nn.Embedding position table)",
    "concat0": "concatenate the sources along axis 0 in the order listed (q, k, v)",
    "linear_patch_cpp_to_conv": "(D, C*P*P) over (c p1 p2), nn.Unfold's order -> reshape (D, C, P, P)",
    "linear_patch_ppc_to_conv": "(D, P*P*C) over (p1 p2 c), einops' order -> reshape (D, P, P, C) -> "
                                "permute(0, 3, 1, 2)",
}
ACTIVATIONS = {"gelu": F.gelu, "relu": F.relu}


def rule(canonical: str, sources, transform: str = "none") -> dict:
    return {"canonical": canonical, "sources": [sources] if isinstance(sources, str) else list(sources),
            "transform": transform}


def linear(canonical: str, source: str, bias: bool = True) -> list[dict]:
    """weight (and bias) of one Linear / LayerNorm / Conv2d."""
    r = [rule(canonical + ".weight", source + ".weight")]
    return r + [rule(canonical + ".bias", source + ".bias")] if bias else r


def block(i: int, *, norm1: str, norm2: str, fc1: str, fc2: str, proj: str, qkv=None, q=None, k=None, v=None,
          mha: str | None = None, qkv_bias: bool = True) -> list[dict]:
    """One block's rules onto blocks.{i}.*: attention given as nn.MultiheadAttention (`mha`), one fused Linear
    (`qkv`) or three Linears (`q`, `k`, `v`)."""
    p = f"blocks.{i}."
    r = linear(p + "norm1", norm1) + linear(p + "norm2", norm2)
    if mha is not None:
        r += [rule(p + "attn.qkv.weight", mha + ".in_proj_weight"), rule(p + "attn.qkv.bias", mha + ".in_proj_bias")]
        r += linear(p + "attn.proj", mha + ".out_proj")
    else:
        if qkv is not None:
            r += linear(p + "attn.qkv", qkv, qkv_bias)
        else:
            r.append(rule(p + "attn.qkv.weight", [q + ".weight", k + ".weight", v + ".weight"], "concat0"))
            if qkv_bias:
                r.append(rule(p + "attn.qkv.bias", [q + ".bias", k + ".bias", v + ".bias"], "concat0"))
        r += linear(p + "attn.proj", proj)
    return r + linear(p + "mlp.fc1", fc1) + linear(p + "mlp.fc2", fc2)


def apply_rules(sd: dict[str, np.ndarray], rules: list[dict], patch: tuple[int, int] | None) -> dict[str, np.ndarray]:
    """The canonical (timm-named) state dict; every source tensor must be used exactly once."""
    out, used = {}, []
    for r in rules:
        src = [sd[s] for s in r["sources"]]
        used += r["sources"]
        t = r["transform"]
        if t == "none":
            v = src[0]
        elif t == "unsqueeze0":
            v = src[0][None]
        elif t == "concat0":
            v = np.concatenate(src, axis=0)
        elif t == "linear_patch_cpp_to_conv":
            v = src[0].reshape(src[0].shape[0], -1, patch[0], patch[1])
        elif t == "linear_patch_ppc_to_conv":
            v = src[0].reshape(src[0].shape[0], patch[0], patch[1], -1).transpose(0, 3, 1, 2)
        else:
            raise KeyError(t)
        out[r["canonical"]] = np.ascontiguousarray(v)
    if sorted(used) != sorted(sd):
        raise KeyError(f"rules do not use every tensor exactly once: missing {sorted(set(sd) - set(used))}, "
                       f"repeated {sorted({u for u in used if used.count(u) > 1})}")
    return out


@contextlib.contextmanager
def mlp_activation(name: str):
    """Run the canonical reference forward with another MLP activation (it calls F.gelu for the MLP)."""
    if name == "gelu":
        yield
        return
    saved = reference.F
    reference.F = types.SimpleNamespace(**{k: getattr(F, k) for k in dir(F) if not k.startswith("__")})
    reference.F.gelu = ACTIVATIONS[name]
    try:
        yield
    finally:
        reference.F = saved


def _flat(o) -> bool:
    """A value written on one line: a scalar, a list of scalars, or a dict / list of those."""
    scalar = lambda v: not isinstance(v, (dict, list)) or (isinstance(v, list) and  # noqa: E731
                                                            all(not isinstance(e, (dict, list)) for e in v))
    if isinstance(o, dict):
        return all(scalar(v) for v in o.values())
    return scalar(o)


def compact_json(o, indent: int = 0) -> str:
    """JSON indented like json.dumps(indent=2), but each tensor entry and each list of scalars on one line."""
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(o, dict) and o and not (_flat(o) and indent >= 4):
        items = [f"{inner}{json.dumps(k)}: {compact_json(v, indent + 2)}" for k, v in o.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(o, list) and o and not _flat(o):
        return "[\n" + ",\n".join(inner + compact_json(v, indent + 2) for v in o) + "\n" + pad + "]"
    return json.dumps(o)


def write_json(path: Path, obj) -> None:
    path.write_text(compact_json(obj) + "\n")


def safetensors_header(path: Path) -> list[dict]:
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    return [{"name": k, "dtype": v["dtype"], "shape": v["shape"]} for k, v in header.items() if k != "__metadata__"]


def case_dir(name: str) -> Path:
    d = OUT / name
    d.mkdir(parents=True, exist_ok=True)
    for f in d.iterdir():
        f.unlink()
    return d


def write_case(name: str, model: nn.Module, fresh, *, seed: int, x: np.ndarray, cfg: dict, options: dict,
               rules: list[dict], constructor: str, source: str, notes: list[str], pth: bool = False,
               norm_order: str, forward=None, expected_result: str | dict = "maps", facts_extra: dict | None = None,
               libraries: tuple[str, ...] = TORCH_LIBS, extra_outputs: dict | None = None,
               heads_how: str = "not in the file: no metadata; the attention weights give only heads * head_dim") -> dict:
    """Save, verify and describe one case. `forward(model, x_tensor) -> logits tensor` defaults to model(x).
    `expected_result`: "maps" or "refused_as_ambiguous" for every file, or a dict per checkpoint file;
    `norm_order`: what in the file tells each block's pre-attention LayerNorm from its pre-MLP one."""
    forward = forward or (lambda m, t: m(t))

    def logits_of(m: nn.Module) -> np.ndarray:
        m.eval()
        with torch.no_grad():
            return forward(m, torch.from_numpy(x)).float().numpy()

    from safetensors.torch import load_file, save_file
    d = case_dir(name)
    sd = model.state_dict()
    order = list(sd)
    logits = logits_of(model)

    save_file({k: v.contiguous() for k, v in sd.items()}, str(d / "model.safetensors"))
    m2 = fresh()
    m2.load_state_dict(load_file(str(d / "model.safetensors")), strict=True)
    if not np.array_equal(logits_of(m2), logits):
        raise AssertionError(f"{name}: logits from the reloaded safetensors differ")
    files = ["model.safetensors"]
    saved_with = ["safetensors.torch.save_file(model.state_dict(), 'model.safetensors')"]
    if pth:
        torch.save(sd, d / "model.pth")
        loaded = torch.load(d / "model.pth", weights_only=True)
        if list(loaded) != order:
            raise AssertionError(f"{name}: model.pth does not keep the state-dict order")
        m3 = fresh()
        m3.load_state_dict(loaded, strict=True)
        if not np.array_equal(logits_of(m3), logits):
            raise AssertionError(f"{name}: logits from the reloaded model.pth differ")
        files.append("model.pth")
        saved_with.append("torch.save(model.state_dict(), 'model.pth')")

    # the expected config and options must reproduce the logits through the canonical forward (and timm)
    src_np = {k: v.float().numpy() for k, v in sd.items()}
    canon = apply_rules(src_np, rules, tuple(cfg["patch_size"]))
    with torch.no_grad(), mlp_activation(options.get("act", "gelu")):
        ref = reference.canonical_forward({k: torch.from_numpy(v) for k, v in canon.items()}, cfg,
                                          torch.from_numpy(x)).numpy()
    tol = 2e-5 * max(1.0, float(np.abs(logits).max()))
    ref_diff = float(np.abs(ref - logits).max())
    if ref_diff > tol:
        raise AssertionError(f"{name}: canonical forward differs from the model's logits by {ref_diff} (> {tol})")
    timm_diff = None
    tm = timm_from_config(cfg) if options.get("act", "gelu") == "gelu" else None
    if tm is not None:
        tm.load_state_dict({k: torch.from_numpy(v) for k, v in canon.items()}, strict=True)
        timm_diff = float(np.abs(run(tm, x) - logits).max())
        if timm_diff > tol:
            raise AssertionError(f"{name}: timm differs from the model's logits by {timm_diff} (> {tol})")

    if "map" in options:  # the settling lines as a --map file: {"tensors": {"pattern with {i}": "canonical"}}
        write_json(d / "map.json", {"tensors": dict(line.split(" -> ") for line in options["map"])})
    common.save_npy(d / "input.npy", x)
    common.save_npy(d / "logits.npy", logits.astype(np.float32))
    for fname, arr in (extra_outputs or {}).items():
        common.save_npy(d / fname, arr.astype(np.float32))

    header = safetensors_header(d / "model.safetensors")
    by_source = {s: (r["canonical"], r["transform"]) for r in rules for s in r["sources"]}
    shapes = {k: (str(v.dtype).replace("torch.", ""), list(v.shape)) for k, v in sd.items()}
    tensors = [{"name": k, "dtype": shapes[k][0], "shape": shapes[k][1], "canonical": by_source[k][0],
                "transform": by_source[k][1]} for k in order]
    params = sum(p.numel() for p in model.parameters())
    facts = common.facts(cfg, eps=cfg["layer_norm_eps"], heads_from_metadata=False, heads_how=heads_how,
                         parameters=params, state_dict_tensors=len(order),
                         expected_abs_tolerance=tol, **(facts_extra or {}))
    case = {
        "case": name,
        "convention": "handwritten-structural",
        "source": source,
        "generated_by": {"script": SCRIPT, "libraries": versions(*libraries)},
        "constructor": constructor,
        "checkpoint": {"files": files, "format": "safetensors" + (" + torch.save" if pth else ""), "metadata": None,
                       "saved_with": saved_with},
        "input": {"file": "input.npy", "dtype": "float32", "layout": "NCHW", "shape": list(x.shape),
                  "note": "values ~N(0,1), numpy default_rng seed in 'seed'"},
        "output": {"file": "logits.npy", "dtype": "float32", "shape": list(logits.shape),
                   "what": "computed by the model itself (PyTorch), eval mode, no_grad"},
        "expected_result": {f: expected_result if isinstance(expected_result, str) else expected_result[f]
                            for f in files},
        "norm_order_evidence": norm_order,
        "map_file": "map.json" if "map" in options else None,
        "options": options,
        "facts": facts,
        "expected_config": cfg,
        "verification": {
            "reload_from_disk_bit_identical": True,
            "canonical_forward_max_abs_diff": ref_diff,
            "timm_strict_load_max_abs_diff": timm_diff,
            "timm_note": None if tm is not None else "timm cannot express this architecture; not run through timm",
        },
        "logits_stats": {"std": float(logits.std()), "max_abs": float(np.abs(logits).max())},
        "state_dict_order": order,
        "safetensors_header_order_is_sorted": [t["name"] for t in header] == sorted(order),
        "safetensors_header_order_matches_state_dict": [t["name"] for t in header] == order,
        "tensors": tensors,
        "transforms": {k: TRANSFORMS[k] for k in sorted({r["transform"] for r in rules})},
        "notes": notes,
        "seed": seed,
    }
    write_json(d / "case.json", case)
    size = sum(f.stat().st_size for f in d.iterdir())
    print(f"{name:30s} ok  params {params:7,d}  logits std {logits.std():6.3f}  canonical diff {ref_diff:.1e}  "
          f"timm diff {'-' if timm_diff is None else f'{timm_diff:.1e}'}  {size:,} bytes")
    return case


def write_manifest() -> dict:
    """fixtures/handwritten/manifest.json: every case, what it tests, its files (bytes, sha256) and options."""
    cases = []
    for d in sorted(p for p in OUT.iterdir() if p.is_dir()):
        files = [{"path": f"{d.name}/{f.name}", "bytes": f.stat().st_size, "sha256": common.sha256(f)}
                 for f in sorted(d.iterdir()) if f.is_file()]
        if (d / "case.json").exists():
            c = json.loads((d / "case.json").read_text())
            cases.append({"case": d.name, "source": c["source"], "constructor": c["constructor"],
                          "expected_result": c["expected_result"], "options": c["options"],
                          "parameters": c["facts"]["parameters"], "files": files})
        else:
            c = json.loads((d / "tensors.json").read_text())
            cases.append({"case": d.name, "source": c["source"], "constructor": c["constructor"],
                          "parameters": c["parameters"]["torchinfo_total_params"], "files": files})
    manifest = {
        "what": "Hand-written PyTorch ViTs (the seed tutorials' own code and layouts with invented names) that ViTKit "
                "must read by structure, each with an input batch and the model's own logits (eval, no_grad)",
        "regenerate": "tools/.venv/bin/python tools/fixtures_handwritten.py",
        "total_bytes": sum(f["bytes"] for c in cases for f in c["files"]),
        "cases": cases,
    }
    write_json(OUT / "manifest.json", manifest)
    return manifest
