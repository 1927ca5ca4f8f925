"""Fixtures for the .npz and torch.save readers (ViTNpz, ViTTorch), made by numpy, torch and timm themselves.

Run: /work/main/tools/.venv/bin/python tools/fixtures_sources.py   (rewrites fixtures/sources/)

fixtures/sources/
  npz/        stored.npz (np.savez) and deflated.npz (np.savez_compressed): f16/f32/f64, big-endian and
              Fortran-order members, ints, bool, a scalar, an empty array, a '/'-separated name.
  jax/        a tiny timm ViT written as Google JAX .npz checkpoints with the inverse of timm's _load_weights:
              original naming, original with the 'opt/target/' prefix (deflated), big_vision naming, and
              big_vision scanned (stacked depth axis, 'params/' prefix). Each is loaded back through
              timm.models.vision_transformer._load_weights and must be bit-identical to the source model.
  torch/      torch.save files: plain state dict, wrapped {'model' (module.-prefixed), 'optimizer', 'epoch'},
              EMA-wrapped, views (transposed, storage offsets, expanded, channels_last), dtypes (f16, bf16,
              float8, ...), nn.Parameters, a big-endian rewrite (checked with torch.load), a pickle calling
              os.system (NEVER loaded here), a legacy non-zip file and a TorchScript archive.
  tiny_vit/   case.json (model constructor, expected ViTConfig), input.npy and timm's logits.npy: the same
              weights are in torch/plain.pth, torch/wrapped.pth and every jax/*.npz.
  expected.json  for every readable fixture: each tensor's dtype, shape, FNV-1a-64 of its little-endian
              C-order bytes (and the bytes in hex when small), plus the metadata the reader should report.
"""
from __future__ import annotations

import collections
import hashlib
import io
import json
import os
import pickle
import shutil
import zipfile
from pathlib import Path

import numpy as np
import timm
import torch
from timm.models.vision_transformer import VisionTransformer, _load_weights

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "fixtures" / "sources"
SCRIPT = "tools/fixtures_sources.py"
LIBS = {"numpy": np.__version__, "torch": torch.__version__, "timm": timm.__version__}
HEX_LIMIT = 256  # tensors up to this many bytes also get their bytes in hex

torch.manual_seed(0)
expected: dict = {}


# ---------------------------------------------------------------- helpers

def fnv1a64(data: bytes) -> str:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def describe_bytes(raw: bytes, small: bool) -> dict:
    d = {"bytes": len(raw), "fnv1a64": fnv1a64(raw)}
    if small and len(raw) <= HEX_LIMIT:
        d["hex"] = raw.hex()
    return d


NP_DTYPE = {"f2": "F16", "f4": "F32", "f8": "F64", "i1": "I8", "i2": "I16", "i4": "I32", "i8": "I64",
            "u1": "U8", "u2": "U16", "u4": "U32", "u8": "U64", "b1": "BOOL"}


def np_entry(name: str, a: np.ndarray, small: bool = True) -> dict:
    le = np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<"))
    return {"name": name, "dtype": NP_DTYPE[a.dtype.str[1:]], "shape": list(a.shape),
            **describe_bytes(le.tobytes(), small)}


TORCH_DTYPE = {torch.float16: "F16", torch.bfloat16: "BF16", torch.float32: "F32", torch.float64: "F64",
               torch.int8: "I8", torch.int16: "I16", torch.int32: "I32", torch.int64: "I64", torch.uint8: "U8",
               torch.bool: "BOOL", torch.uint16: "U16", torch.float8_e4m3fn: "F8_E4M3", torch.float8_e5m2: "F8_E5M2"}


def torch_entry(name: str, t: torch.Tensor, small: bool = True) -> dict:
    raw = t.detach().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()
    return {"name": name, "dtype": TORCH_DTYPE[t.dtype], "shape": list(t.shape), **describe_bytes(raw, small)}


def fresh(sub: str) -> Path:
    d = OUT / sub
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    return d


def rel(p: Path) -> str:
    return str(p.relative_to(OUT))


# ---------------------------------------------------------------- npz

def make_npz() -> None:
    d = fresh("npz")
    rng = np.random.default_rng(11)
    base = rng.standard_normal((2, 3)).astype(np.float32)
    arrays = {
        "f32": base,
        "f16": rng.standard_normal((3, 2)).astype(np.float16),
        "f64": rng.standard_normal((2, 2)),
        "f32_be": base.astype(">f4"),
        "f32_fortran": np.asfortranarray(rng.standard_normal((3, 4)).astype(np.float32)),
        "f64_be_fortran": np.asfortranarray(rng.standard_normal((2, 3)).astype(">f8")),
        "i64": np.arange(-2, 2, dtype=np.int64),
        "u8": np.arange(5, dtype=np.uint8),
        "mask": np.array([True, False, True]),
        "scalar": np.array(2.5, dtype=np.float32),
        "empty": np.zeros((0, 3), dtype=np.float32),
        "Transformer/encoderblock_0/MlpBlock_3/Dense_0/kernel": rng.standard_normal((4, 6)).astype(np.float32),
    }
    assert arrays["f32_fortran"].flags.f_contiguous and not arrays["f32_fortran"].flags.c_contiguous
    np.savez(d / "stored.npz", **arrays)
    np.savez_compressed(d / "deflated.npz", **arrays)
    for f in ("stored.npz", "deflated.npz"):
        with np.load(d / f) as z:  # numpy reads back what it wrote
            assert list(z.files) == list(arrays)
            for k, v in arrays.items():
                assert np.array_equal(z[k], v) and z[k].dtype == v.dtype
        expected[f"npz/{f}"] = {"format": "npz", "metadata": {},
                                "tensors": [np_entry(k, v) for k, v in arrays.items()]}


# ---------------------------------------------------------------- tiny ViT (timm) and its JAX forms

CONSTRUCTOR = dict(img_size=8, patch_size=4, in_chans=3, num_classes=5, embed_dim=16, depth=2, num_heads=2,
                   mlp_ratio=2.0)


def tiny_vit() -> VisionTransformer:
    torch.manual_seed(1)
    m = VisionTransformer(**CONSTRUCTOR)
    with torch.no_grad():  # every parameter random (timm zero-inits biases and sets LayerNorm to 1)
        g = torch.Generator().manual_seed(2)
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5)
    return m.eval()


def jax_arrays(sd: dict, big_vision: bool, scanned: bool, prefix: str) -> dict:
    """The inverse of timm's _load_weights for one naming variant."""
    D, H = CONSTRUCTOR["embed_dim"], CONSTRUCTOR["num_heads"]
    hd = D // H
    n = lambda t: t.detach().numpy().copy()
    out = {
        "embedding/kernel": n(sd["patch_embed.proj.weight"]).transpose(2, 3, 1, 0),  # OIHW -> HWIO
        "embedding/bias": n(sd["patch_embed.proj.bias"]),
        "cls": n(sd["cls_token"]),
        ("pos_embedding" if big_vision else "Transformer/posembed_input/pos_embedding"): n(sd["pos_embed"]),
        "Transformer/encoder_norm/scale": n(sd["norm.weight"]),
        "Transformer/encoder_norm/bias": n(sd["norm.bias"]),
        "head/kernel": n(sd["head.weight"]).T,
        "head/bias": n(sd["head.bias"]),
    }
    mha, ln2, mlp = ("MultiHeadDotProductAttention_0", "LayerNorm_1", "MlpBlock_0") if big_vision else \
        ("MultiHeadDotProductAttention_1", "LayerNorm_2", "MlpBlock_3")
    blocks = []
    for i in range(CONSTRUCTOR["depth"]):
        b = f"blocks.{i}."
        qkv_w, qkv_b = n(sd[b + "attn.qkv.weight"]), n(sd[b + "attn.qkv.bias"])
        blk = {
            "LayerNorm_0/scale": n(sd[b + "norm1.weight"]), "LayerNorm_0/bias": n(sd[b + "norm1.bias"]),
            f"{ln2}/scale": n(sd[b + "norm2.weight"]), f"{ln2}/bias": n(sd[b + "norm2.bias"]),
            f"{mha}/out/kernel": n(sd[b + "attn.proj.weight"]).reshape(D, H, hd).transpose(1, 2, 0),
            f"{mha}/out/bias": n(sd[b + "attn.proj.bias"]),
            f"{mlp}/Dense_0/kernel": n(sd[b + "mlp.fc1.weight"]).T, f"{mlp}/Dense_0/bias": n(sd[b + "mlp.fc1.bias"]),
            f"{mlp}/Dense_1/kernel": n(sd[b + "mlp.fc2.weight"]).T, f"{mlp}/Dense_1/bias": n(sd[b + "mlp.fc2.bias"]),
        }
        for j, qn in enumerate(("query", "key", "value")):
            blk[f"{mha}/{qn}/kernel"] = qkv_w[j * D:(j + 1) * D].T.reshape(D, H, hd)
            blk[f"{mha}/{qn}/bias"] = qkv_b[j * D:(j + 1) * D].reshape(H, hd)
        blocks.append(blk)
    if scanned:
        for k in blocks[0]:
            out[f"Transformer/encoderblock/{k}"] = np.stack([blk[k] for blk in blocks])
    else:
        for i, blk in enumerate(blocks):
            for k, v in blk.items():
                out[f"Transformer/encoderblock_{i}/{k}"] = v
    return {prefix + k: np.ascontiguousarray(v.astype(np.float32)) for k, v in sorted(out.items())}


def make_tiny_vit_and_jax() -> dict:
    model = tiny_vit()
    sd = model.state_dict()
    d = fresh("tiny_vit")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    with torch.no_grad():
        logits = model(torch.from_numpy(x)).numpy()
    np.save(d / "input.npy", x)
    np.save(d / "logits.npy", logits)

    j = fresh("jax")
    variants = {
        "original.npz": dict(big_vision=False, scanned=False, prefix="", compressed=False),
        "original_opt_target.npz": dict(big_vision=False, scanned=False, prefix="opt/target/", compressed=True),
        "big_vision.npz": dict(big_vision=True, scanned=False, prefix="", compressed=False),
        "big_vision_scanned.npz": dict(big_vision=True, scanned=True, prefix="params/", compressed=False),
    }
    verification = {}
    for fname, v in variants.items():
        arrays = jax_arrays(sd, v["big_vision"], v["scanned"], v["prefix"])
        (np.savez_compressed if v["compressed"] else np.savez)(j / fname, **arrays)
        # Truth: timm's own JAX loader must rebuild the model bit for bit.
        back = VisionTransformer(**CONSTRUCTOR).eval()
        _load_weights(back, str(j / fname))
        bsd = back.state_dict()
        assert bsd.keys() == sd.keys()
        for k in sd:
            assert bsd[k].dtype == sd[k].dtype and torch.equal(bsd[k], sd[k]), (fname, k)
        with torch.no_grad():
            assert np.array_equal(back(torch.from_numpy(x)).numpy(), logits), fname
        verification[fname] = "timm _load_weights: every tensor bit-identical, logits identical"
        expected[f"jax/{fname}"] = {"format": "npz", "metadata": {},
                                    "tensors": [np_entry(k, a, small=False) for k, a in arrays.items()]}

    case = {
        "what": "A tiny timm ViT with random weights; the same weights are stored in torch/plain.pth, "
                "torch/wrapped.pth (module.-prefixed, wrapped) and every jax/*.npz variant.",
        "generated_by": {"script": SCRIPT, "libraries": LIBS},
        "constructor": "timm.models.vision_transformer.VisionTransformer("
                       + ", ".join(f"{k}={v}" for k, v in CONSTRUCTOR.items()) + ")",
        "expected_config": {
            "image_size": [8, 8], "patch_size": [4, 4], "in_channels": 3, "embed_dim": 16, "depth": 2,
            "num_heads": 2, "attn_dim": 16, "mlp_hidden_dim": 32, "qkv_bias": True, "class_token": True,
            "register_tokens": 0, "no_embed_class": False, "global_pool": "token", "final_norm": True,
            "fc_norm": False, "norm_pre": False, "layer_scale": False, "pre_logits_dim": None,
            "pre_logits_activation": None, "distilled": False, "patch_embed": "conv", "patch_bias": True,
            "patch_norm_pre": False, "patch_norm_post": False, "layer_norm_eps": 1e-6, "num_classes": 5},
        "input": {"file": "input.npy", "dtype": "float32", "layout": "NCHW", "shape": list(x.shape),
                  "note": "numpy default_rng(3).standard_normal"},
        "output": {"file": "logits.npy", "dtype": "float32", "shape": list(logits.shape),
                   "what": "timm forward, eval mode, no_grad"},
        "checkpoints": {
            "torch/plain.pth": "torch.save(model.state_dict())",
            "torch/wrapped.pth": "torch.save({'model': {'module.' + k: v}, 'optimizer': ..., 'epoch': 3})",
            **{f"jax/{k}": f"np.savez{'_compressed' if v['compressed'] else ''} of the inverse of timm "
                           f"_load_weights (big_vision={v['big_vision']}, scanned={v['scanned']}, "
                           f"prefix='{v['prefix']}')" for k, v in variants.items()},
        },
        "verification": verification,
    }
    (d / "case.json").write_text(json.dumps(case, indent=2) + "\n")
    return sd


# ---------------------------------------------------------------- torch.save

class Evil:
    """Pickles as a call of os.system. The file is written, never loaded."""

    def __reduce__(self):
        return (os.system, ("echo pwned",))


class _Stub:
    def __init__(self, *a, **k):
        pass


def storage_dtypes(path: Path) -> dict:
    """Storage key -> element size, read from data.pkl with an unpickler that builds nothing real."""
    sizes: dict = {}
    with zipfile.ZipFile(path) as z:
        name = next(n for n in z.namelist() if n.endswith("/data.pkl"))
        data = z.read(name)

    class Reader(pickle.Unpickler):
        def find_class(self, module, qual):
            if module == "torch" and qual.endswith("Storage"):
                return getattr(torch, qual)
            if module == "collections" and qual == "OrderedDict":
                return collections.OrderedDict
            return _Stub

        def persistent_load(self, pid):
            _, cls, key, _, _ = pid
            sizes[key] = cls(0).element_size() if cls is not torch.UntypedStorage else 1
            return None

    Reader(io.BytesIO(data)).load()
    return sizes


def rewrite_big_endian(src: Path, dst: Path) -> None:
    sizes = storage_dtypes(src)
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as out:
        for info in z.infolist():
            data = z.read(info.filename)
            parts = info.filename.split("/")
            if parts[1:] == ["byteorder"]:
                data = b"big"
            elif len(parts) == 3 and parts[1] == "data":
                size = sizes[parts[2]]
                if size > 1:
                    data = np.frombuffer(data, dtype=f"<u{size}").astype(f">u{size}").tobytes()
            out.writestr(zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0)), data)


def torch_expect(fname: str, sd: dict, metadata: dict, small: bool = True) -> None:
    expected[f"torch/{fname}"] = {"format": "torch-zip", "metadata": metadata,
                                  "tensors": [torch_entry(k, v, small) for k, v in sd.items()]}


def make_torch(model_sd: dict) -> None:
    d = fresh("torch")
    g = torch.Generator().manual_seed(5)

    # plain state dict (an OrderedDict with _metadata, as nn.Module.state_dict() returns)
    torch.save(model_sd, d / "plain.pth")
    torch_expect("plain.pth", model_sd, {}, small=False)

    # wrapped, DataParallel prefix, optimizer state of plain Python data
    wrapped_model = collections.OrderedDict(("module." + k, v) for k, v in model_sd.items())
    optimizer = {"state": {0: {"step": 3, "exp_avg": [0.1, 0.2]}},
                 "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "weight_decay": 0.05, "params": [0, 1, 2],
                                   "amsgrad": False, "name": None}]}
    torch.save({"model": wrapped_model, "optimizer": optimizer, "epoch": 3}, d / "wrapped.pth")
    torch_expect("wrapped.pth", model_sd, {"vitkit_wrapper_key": "model", "vitkit_skipped_entries": "optimizer,epoch",
                                           "vitkit_stripped_prefixes": "module."}, small=False)

    # EMA: state_dict by default, state_dict_ema on request
    w = torch.randn(2, 3, generator=g)
    ema = {"state_dict": {"w": w}, "state_dict_ema": {"w": w * 0.5}, "model_ema": None, "epoch": 7}
    torch.save(ema, d / "ema.pth")
    torch_expect("ema.pth", {"w": w}, {"vitkit_wrapper_key": "state_dict",
                                       "vitkit_skipped_entries": "state_dict_ema,model_ema,epoch"})
    expected["torch/ema.pth#ema"] = {"format": "torch-zip", "use_ema": True,
                                     "metadata": {"vitkit_wrapper_key": "state_dict_ema",
                                                  "vitkit_skipped_entries": "state_dict,model_ema,epoch"},
                                     "tensors": [torch_entry("w", w * 0.5)]}

    # views: strides, storage offsets, shared storages
    base = torch.randn(4, 6, generator=g)
    views = collections.OrderedDict([
        ("base", base),
        ("transposed", base.t()),                 # non-contiguous, same storage
        ("rows", base[1:3]),                      # contiguous view at storage offset 6
        ("cols", base[:, 2:5]),                   # non-contiguous view at storage offset 2
        ("expanded", torch.randn(3, generator=g).expand(4, 3)),  # stride 0
        ("channels_last", torch.randn(1, 3, 2, 2, generator=g).to(memory_format=torch.channels_last)),
        ("scalar", torch.tensor(3.25)),
        ("ints", torch.arange(-3, 3, dtype=torch.int64)),
        ("mask", torch.tensor([True, False, True])),
        ("empty", torch.zeros(0, 4)),
    ])
    assert not views["transposed"].is_contiguous() and views["rows"].storage_offset() == 6
    torch.save(views, d / "views.pth")
    torch_expect("views.pth", views, {})

    # dtypes (float8 and uint16 go through _rebuild_tensor_v3 with an UntypedStorage)
    src = torch.randn(2, 3, generator=g)
    dtypes = collections.OrderedDict([
        ("f16", src.half()), ("bf16", src.bfloat16()), ("f64", src.double()),
        ("i32", torch.tensor([-7, 0, 7], dtype=torch.int32)), ("i16", torch.tensor([-300, 300], dtype=torch.int16)),
        ("i8", torch.tensor([-5, 5], dtype=torch.int8)), ("u8", torch.tensor([0, 255], dtype=torch.uint8)),
        ("u16", torch.tensor([1, 65535], dtype=torch.uint16)),
        ("f8e4m3", src.to(torch.float8_e4m3fn)), ("f8e5m2", src.to(torch.float8_e5m2)),
        ("bf16_t", src.bfloat16().t()),
    ])
    torch.save(dtypes, d / "dtypes.pth")
    torch_expect("dtypes.pth", dtypes, {})

    # nn.Parameter values (_rebuild_parameter)
    params = collections.OrderedDict([("weight", torch.nn.Parameter(torch.randn(3, 2, generator=g))),
                                      ("bias", torch.nn.Parameter(torch.randn(3, generator=g), requires_grad=False))])
    torch.save(params, d / "parameters.pth")
    torch_expect("parameters.pth", params, {})

    # big-endian rewrite of views.pth; torch.load itself must read it back equal
    rewrite_big_endian(d / "views.pth", d / "big_endian.pth")
    back = torch.load(d / "big_endian.pth", weights_only=True)
    assert list(back) == list(views)
    for k in views:
        assert back[k].dtype == views[k].dtype and torch.equal(back[k], views[k]), k
    torch_expect("big_endian.pth", views, {})

    # refusals
    torch.save({"w": torch.ones(2), "payload": Evil()}, d / "evil.pth")  # never torch.load'ed
    assert b"posix\nsystem" in zipfile.ZipFile(d / "evil.pth").read("evil/data.pkl")
    torch.save({"w": torch.ones(2)}, d / "legacy.pth", _use_new_zipfile_serialization=False)
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), d / "torchscript.pt")

    for f in ("plain.pth", "wrapped.pth", "views.pth", "dtypes.pth", "parameters.pth"):
        back = torch.load(d / f, weights_only=True)  # the files are what torch itself reads
        assert isinstance(back, dict)


# ---------------------------------------------------------------- main

def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    make_npz()
    sd = make_tiny_vit_and_jax()
    make_torch(sd)
    (OUT / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    files = sorted(p for p in OUT.rglob("*") if p.is_file() and p.name != "manifest.json")
    manifest = {
        "script": SCRIPT,
        "regenerate": "/work/main/tools/.venv/bin/python tools/fixtures_sources.py",
        "libraries": LIBS,
        "total_bytes": sum(p.stat().st_size for p in files),
        "not_byte_reproducible": {
            "torch/legacy.pth": "the legacy writer names storages by memory address (torch/serialization.py); "
                                "only its refusal is tested"},
        "files": [{"path": rel(p), "bytes": p.stat().st_size,
                   "sha256": hashlib.sha256(p.read_bytes()).hexdigest()} for p in files],
    }
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"fixtures/sources: {len(files)} files, {manifest['total_bytes']} bytes")


if __name__ == "__main__":
    main()
