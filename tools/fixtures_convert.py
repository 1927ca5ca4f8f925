"""Makes the vit-convert resize fixtures: tiny timm models created at a new image size and loaded from a
32px state dict the way timm itself does it, with their logits.

Run: tools/.venv/bin/python tools/fixtures_convert.py   (writes fixtures/convert/)

Sources are the committed convention fixtures (fixtures/conventions/timm_plain, timm_deit_distilled,
timm_no_class_token) plus one new tiny model written here (noembed_registers: 4 register tokens and
no_embed_class=True, so pos_embed has 0 prefix rows).

Each case folder under fixtures/convert/resize/ holds
  case.json      source checkpoint, target size, resize settings, the expected ViTConfig after conversion
  input.npy      float32 NCHW, batch 1, at the new size (numpy default_rng, seed in case.json)
  logits.npy     the new-size timm model's output (eval, no_grad)
  pos_embed.npy  the new-size model's pos_embed after loading (what timm's resampler produced)

How the new-size model gets its weights ("how" in case.json):
  filter  : timm.models.vision_transformer.checkpoint_filter_fn(state_dict, model) then
            load_state_dict(strict=True): bicubic, antialias=True, align_corners=False (timm's choice).
            For a non-square source, model.pretrained_model_args['img_size'] tells timm the old size
            (timm 1.0.31 reads the old grid from there; without it it assumes a square grid).
  resample: timm.layers.resample_abs_pos_embed(pos_embed, new_size, old_size, num_prefix_tokens,
            interpolation, antialias) with the settings in case.json, then load_state_dict(strict=True):
            the other --interpolation / --antialias choices.
"""
import json, os

import numpy as np
import safetensors, timm, torch
from safetensors.torch import load_file, save_file
from timm.layers import resample_abs_pos_embed
from timm.models.deit import VisionTransformerDistilled
from timm.models.vision_transformer import VisionTransformer, checkpoint_filter_fn

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
OUT = os.path.join(ROOT, "convert")

torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)


def conventions_case(name):
    with open(os.path.join(ROOT, "conventions", name, "case.json")) as f:
        return json.load(f)


# Source models: (constructor class, kwargs at 32px, checkpoint path relative to fixtures/, expected config).
SOURCES = {}
for name, cls in [("timm_plain", VisionTransformer), ("timm_deit_distilled", VisionTransformerDistilled),
                  ("timm_no_class_token", VisionTransformer)]:
    c = conventions_case(name)
    kwargs = eval(c["constructor"].split("(", 1)[1].rsplit(")", 1)[0].join(["dict(", ")"]))
    SOURCES[name] = dict(cls=cls, kwargs=kwargs, checkpoint=f"conventions/{name}/model.safetensors",
                         config=c["expected_config"], heads=c["facts"]["num_heads"])


def make_noembed_registers():
    """A new tiny source: class token + 4 registers, no_embed_class (pos_embed covers the patches only)."""
    kwargs = dict(img_size=32, patch_size=8, num_classes=10, depth=2, embed_dim=32, num_heads=2, mlp_ratio=1.5,
                  reg_tokens=4, no_embed_class=True)
    torch.manual_seed(7)
    model = VisionTransformer(**kwargs).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.5)
    folder = os.path.join(OUT, "noembed_registers")
    os.makedirs(folder, exist_ok=True)
    save_file(model.state_dict(), os.path.join(folder, "model.safetensors"))
    config = dict(SOURCES["timm_plain"]["config"])
    config.update(register_tokens=4, no_embed_class=True)
    SOURCES["noembed_registers"] = dict(cls=VisionTransformer, kwargs=kwargs,
                                        checkpoint="convert/noembed_registers/model.safetensors",
                                        config=config, heads=2)
    with open(os.path.join(folder, "source.json"), "w") as f:
        json.dump(dict(constructor=f"VisionTransformer(**{kwargs})", seed=7,
                       init="every parameter torch.randn * 0.5 (torch.manual_seed(7))",
                       saved_with="safetensors.torch.save_file(model.state_dict(), 'model.safetensors')",
                       expected_config=config), f, indent=1)
        f.write("\n")


# (case, source, new (H, W), how, interpolation, antialias, seed)
CASES = [
    ("plain_48_timm", "timm_plain", (48, 48), "filter", "bicubic", True, 11),
    ("plain_40x64_timm", "timm_plain", (40, 64), "filter", "bicubic", True, 12),
    ("plain_24_timm", "timm_plain", (24, 24), "filter", "bicubic", True, 13),
    ("plain_48_bicubic", "timm_plain", (48, 48), "resample", "bicubic", False, 14),
    ("plain_56x40_bilinear", "timm_plain", (56, 40), "resample", "bilinear", False, 15),
    ("deit_48_timm", "timm_deit_distilled", (48, 48), "filter", "bicubic", True, 16),
    ("noembed_registers_40x48_timm", "noembed_registers", (40, 48), "filter", "bicubic", True, 17),
    ("noclass_32x48_to_48x64_timm", "timm_no_class_token", (48, 64), "filter", "bicubic", True, 18),
]


def make_case(case, source, size, how, interpolation, antialias, seed):
    s = SOURCES[source]
    kwargs = dict(s["kwargs"])
    old_size = kwargs["img_size"] if isinstance(kwargs["img_size"], tuple) else (kwargs["img_size"],) * 2
    kwargs["img_size"] = size
    model = s["cls"](**kwargs).eval()
    state = load_file(os.path.join(ROOT, s["checkpoint"]))
    patch = kwargs["patch_size"]
    prefix = 0 if model.no_embed_class else model.num_prefix_tokens
    if how == "filter":
        # Tell timm the old size (it would assume a square old grid otherwise; only matters for 32x48).
        model.pretrained_model_args = {"img_size": old_size}
        state = checkpoint_filter_fn(state, model)
    else:
        state["pos_embed"] = resample_abs_pos_embed(
            state["pos_embed"], new_size=[size[0] // patch, size[1] // patch],
            old_size=[old_size[0] // patch, old_size[1] // patch], num_prefix_tokens=prefix,
            interpolation=interpolation, antialias=antialias)
    model.load_state_dict(state, strict=True)
    x = np.random.default_rng(seed).standard_normal((1, 3, size[0], size[1])).astype(np.float32)
    with torch.no_grad():
        logits = model(torch.from_numpy(x)).numpy()
    folder = os.path.join(OUT, "resize", case)
    os.makedirs(folder, exist_ok=True)
    np.save(os.path.join(folder, "input.npy"), x)
    np.save(os.path.join(folder, "logits.npy"), logits.astype(np.float32))
    np.save(os.path.join(folder, "pos_embed.npy"), model.pos_embed.detach().numpy().astype(np.float32))
    config = dict(s["config"])
    config["image_size"] = list(size)
    info = dict(
        case=case, source=s["checkpoint"], source_heads=s["heads"], source_image_size=list(old_size),
        image_size=list(size), interpolation=interpolation, antialias=antialias, align_corners=False,
        prefix_rows=prefix, old_grid=[old_size[0] // patch, old_size[1] // patch],
        new_grid=[size[0] // patch, size[1] // patch], how=how,
        timm_call=("checkpoint_filter_fn(state_dict, model); model.load_state_dict(strict=True)" if how == "filter" else
                   f"resample_abs_pos_embed(..., interpolation='{interpolation}', antialias={antialias}); "
                   "model.load_state_dict(strict=True)"),
        constructor=f"{s['cls'].__name__}(**{kwargs})", seed=seed,
        input_shape=list(x.shape), logits_shape=list(logits.shape), max_abs_logit=float(np.abs(logits).max()),
        expected_config=config)
    with open(os.path.join(folder, "case.json"), "w") as f:
        json.dump(info, f, indent=1)
        f.write("\n")
    return info


def main():
    os.makedirs(OUT, exist_ok=True)
    make_noembed_registers()
    cases = [make_case(*c) for c in CASES]
    files = []
    for dirpath, _, names in os.walk(OUT):
        for n in sorted(names):
            if n != "manifest.json":
                p = os.path.join(dirpath, n)
                files.append(dict(path=os.path.relpath(p, OUT), bytes=os.path.getsize(p)))
    manifest = dict(
        what="Resize fixtures for vit-convert --image-size: timm models created at a new size, loaded from a 32px "
             "state dict as timm does it, and their logits.",
        script="tools/fixtures_convert.py",
        regenerate="tools/.venv/bin/python tools/fixtures_convert.py",
        libraries={"torch": torch.__version__, "timm": timm.__version__, "numpy": np.__version__,
                   "safetensors": safetensors.__version__},
        tolerance="max|swift - timm| / max(1, max|timm|) <= 1e-4 on logits",
        cases=[dict(case=c["case"], source=c["source"], image_size=c["image_size"], how=c["how"],
                    interpolation=c["interpolation"], antialias=c["antialias"], prefix_rows=c["prefix_rows"])
               for c in cases],
        files=sorted(files, key=lambda f: f["path"]),
        total_bytes=sum(f["bytes"] for f in files))
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases, {manifest['total_bytes']} bytes")


if __name__ == "__main__":
    main()
