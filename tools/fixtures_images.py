"""Makes the image fixtures: small JPEG/PNG files of odd sizes, what Pillow decodes them to, Pillow's resize of them
with each filter, and the preprocessed batches and outputs of three tiny models through their libraries' own
preprocessing (timm's eval transform from `pretrained_cfg`; transformers' ViTImageProcessorPil and
CLIPImageProcessorPil, the Pillow backends, whose batches ViTKit reproduces exactly, plus the batch of the default
torchvision backend of transformers 5, which differs from Pillow by a level on a few pixels).

Run: tools/.venv/bin/python tools/fixtures_images.py   (writes fixtures/images/)

  images/*.jpg, *.png      the inputs (synthetic "photos": gradients, discs, stripes and noise; a few KB each)
  bad/*                    headers claiming 100000x100000 pixels (refused before allocating)
  decoded.npz              NAME: uint8 H x W x 3: `Image.open(f).convert("RGB")` (after `ImageOps.exif_transpose` for the
                           EXIF-rotated file, as transformers' `load_image` does)
  resized.npz              NAME_FILTER_WxH: uint8: Pillow's `Image.resize((W, H), FILTER)` of a decoded image (or of a crop)
  models/CASE/             the checkpoint with its config (timm config.json with pretrained_cfg; save_pretrained
                           folders with preprocessor_config.json), input.npy (the library's preprocessed batch of
                           every image, float32 NCHW) and output.npy (the model's output on it)
  manifest.json            every case, the library versions
Every image is smaller than 300 px on a side so that decoded truths stay small.

The PyPI torchvision wheel is built for CUDA; with the CPU torch its C extension does not load and its import
fails on two fake-kernel registrations (nms, qnms). They are defined here first: the transforms used are pure
Python on PIL images and never call them.
"""
import io, json, os, shutil, struct, zlib

import numpy as np
import torch

_lib = torch.library.Library("torchvision", "DEF")
_lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
_lib.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")

import PIL
from PIL import Image, ImageOps
import timm
import transformers
from timm.data import create_transform, resolve_data_config
from transformers import (CLIPImageProcessor, CLIPImageProcessorPil, CLIPVisionConfig, CLIPVisionModelWithProjection,
                          ViTConfig, ViTForImageClassification, ViTImageProcessor, ViTImageProcessorPil)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "images")
FILTERS = {"nearest": Image.Resampling.NEAREST, "box": Image.Resampling.BOX, "bilinear": Image.Resampling.BILINEAR,
           "hamming": Image.Resampling.HAMMING, "bicubic": Image.Resampling.BICUBIC, "lanczos": Image.Resampling.LANCZOS}


def synthetic(w, h, seed, noise=6.0):
    """A photo-like RGB array: smooth gradients, a few discs and stripes, mild noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.zeros((h, w, 3))
    for c in range(3):
        a, b, p = rng.uniform(-1, 1, 3)
        img[..., c] = 128 + 80 * np.sin(a * x / 17 + b * y / 23 + p * 6)
    for _ in range(4):
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(1, max(2, min(w, h) / 3))
        img[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = rng.uniform(0, 255, 3)
    img[(x.astype(int) // 7) % 5 == 0, :] *= 0.6
    img += rng.normal(0, noise, img.shape) if noise else 0
    return np.clip(img, 0, 255).astype(np.uint8)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_16bit(arr, color_type):
    """A 16-bit PNG (Pillow cannot write 16-bit RGB): `arr` uint16 H x W (grey) or H x W x 3."""
    h, w = arr.shape[:2]
    raw = b"".join(b"\x00" + arr[i].astype(">u2").tobytes() for i in range(h))
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, color_type, 0, 0, 0))
            + png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b""))


def png_adam7(arr):
    """An 8-bit RGB Adam7-interlaced PNG (Pillow does not write interlaced files)."""
    h, w = arr.shape[:2]
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    raw = b""
    for x0, y0, dx, dy in passes:
        sub = arr[y0::dy, x0::dx]
        if sub.size == 0:
            continue
        raw += b"".join(b"\x00" + sub[i].tobytes() for i in range(sub.shape[0]))
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 1))
            + png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b""))


def exif_orientation(value):
    """A minimal little-endian EXIF block with IFD0 Orientation = value."""
    ifd = struct.pack("<H", 1) + struct.pack("<HHII", 0x0112, 3, 1, value) + struct.pack("<I", 0)
    return b"Exif\x00\x00" + b"II*\x00" + struct.pack("<I", 8) + ifd


def write_images():
    os.makedirs(f"{OUT}/images", exist_ok=True)
    files = {}

    def save(name, img, **kw):
        path = f"{OUT}/images/{name}"
        img.save(path, **kw)
        files[name] = path

    save("landscape.jpg", Image.fromarray(synthetic(257, 191, 1)), quality=88)
    save("portrait_progressive.jpg", Image.fromarray(synthetic(131, 263, 2)), quality=80, progressive=True)
    save("grey.jpg", Image.fromarray(synthetic(123, 97, 3)).convert("L"), quality=90)
    save("cmyk.jpg", Image.fromarray(synthetic(90, 70, 4)).convert("CMYK"), quality=90)
    save("exif_rotated.jpg", Image.fromarray(synthetic(120, 80, 5)), quality=90, exif=exif_orientation(6))
    save("rgb.png", Image.fromarray(synthetic(200, 133, 6, noise=0)), optimize=True)
    save("exif_rotated.png", Image.fromarray(synthetic(50, 30, 20, noise=0)), exif=exif_orientation(8))
    rgba = np.dstack([synthetic(97, 140, 7, noise=0), synthetic(97, 140, 8, noise=0)[..., 0]])
    save("rgba.png", Image.fromarray(rgba, "RGBA"))
    pal = Image.fromarray(synthetic(160, 120, 9)).quantize(colors=32)
    save("palette.png", pal, transparency=3)
    save("grey_alpha.png", Image.fromarray(np.dstack([synthetic(64, 48, 10, noise=0)[..., 1], synthetic(64, 48, 11, noise=0)[..., 2]]), "LA"))
    save("bilevel.png", Image.fromarray(synthetic(70, 50, 12)[..., 0] > 128).convert("1"))
    low = (np.arange(61)[None, :, None] * 37 + np.arange(47)[:, None, None] * 11 + np.arange(3) * 5) % 256
    rgb16 = synthetic(61, 47, 13, noise=0).astype(np.uint16) * 256 + low.astype(np.uint16)
    with open(f"{OUT}/images/rgb16.png", "wb") as f:
        f.write(png_16bit(rgb16, 2))
    files["rgb16.png"] = f"{OUT}/images/rgb16.png"
    with open(f"{OUT}/images/interlaced.png", "wb") as f:
        f.write(png_adam7(synthetic(45, 29, 18, noise=0)))
    files["interlaced.png"] = f"{OUT}/images/interlaced.png"
    grey16 = (synthetic(33, 21, 19, noise=0)[..., 0].astype(np.uint16) * 256 + 77)
    with open(f"{OUT}/images/grey16.png", "wb") as f:
        f.write(png_16bit(grey16, 0))
    save("tiny.png", Image.fromarray(synthetic(5, 7, 15)))
    save("tiny.jpg", Image.fromarray(synthetic(6, 3, 16)), quality=90)
    return files


def write_bad():
    os.makedirs(f"{OUT}/bad", exist_ok=True)
    ihdr = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0))
    with open(f"{OUT}/bad/huge_header.png", "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + ihdr + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + png_chunk(b"IEND", b""))
    # A real JPEG whose SOF0 claims 65000x65000 (the largest a JPEG can say is 65535).
    buf = io.BytesIO()
    Image.fromarray(synthetic(16, 16, 17)).save(buf, "JPEG", quality=90)
    data = bytearray(buf.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", 65000, 65000)
    with open(f"{OUT}/bad/huge_header.jpg", "wb") as f:
        f.write(bytes(data))


def decoded(path):
    im = Image.open(path)
    if os.path.basename(path).startswith("exif_rotated."):
        im = ImageOps.exif_transpose(im)
    return im.convert("RGB")


def write_decoded(files):
    cases, arrays = [], {}
    for name, path in sorted(files.items()):
        arr = np.asarray(decoded(path))
        if name == "grey16.png":
            # Pillow opens 16-bit grey as I;16 and convert("RGB") clips at 255; ViTKit keeps the high byte
            # (docs/images.md): the truth is the high byte, replicated
            raw = np.asarray(Image.open(path)).astype(np.uint16)
            arr = np.repeat((raw >> 8).astype(np.uint8)[..., None], 3, axis=2)
        stem = os.path.splitext(name)[0] + "_" + os.path.splitext(name)[1][1:]
        arrays[stem] = arr
        note = None
        if name == "rgb16.png":
            note = "Pillow reads 16-bit RGB as its high bytes"
        if name == "grey16.png":
            note = "not Pillow's convert('RGB') (which clips I;16 at 255): the high byte, as docs/images.md says"
        cases.append({"image": f"images/{name}", "truth": stem, "shape": list(arr.shape),
                      "exif_transposed": name.startswith("exif_rotated."), "note": note})
    np.savez_compressed(f"{OUT}/decoded.npz", **arrays)
    return cases


def write_resized(files):
    cases, arrays = [], {}
    src = decoded(files["landscape.jpg"])
    for fname, f in FILTERS.items():
        # crop: left, top, width, height of the region resized (None: the whole image)
        for region, size in [(None, (61, 45)), ([30, 40, 90, 70], (37, 70)), ([30, 40, 90, 70], (90, 29)),
                             ([100, 60, 23, 17], (50, 37)), ([5, 9, 40, 30], (53, 21)),
                             # both shrink, the height by more than twice the columns the width loses: vertical first
                             ([0, 0, 131, 191], (36, 72)), ([0, 0, 40, 70], (35, 50)), ([0, 0, 40, 70], (36, 62))]:
            base = src if region is None else src.crop((region[0], region[1], region[0] + region[2], region[1] + region[3]))
            name = f"landscape_{fname}_{size[0]}x{size[1]}{'_crop' if region else ''}"
            arrays[name] = np.asarray(base.resize(size, f))
            cases.append({"image": "images/landscape.jpg", "crop": region, "filter": fname, "size": list(size), "truth": name})
    np.savez_compressed(f"{OUT}/resized.npz", **arrays)
    return cases


def randomize(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.randn(p.shape, generator=g) * (0.3 if p.dim() > 1 else 0.2)
                    + (1.0 if "norm" in name and name.endswith("weight") else 0.0))


BATCH = ["landscape.jpg", "portrait_progressive.jpg", "grey.jpg", "rgb.png", "rgba.png", "palette.png"]


def timm_model_case(files, folder, args, cfg, seed, model_args=None):
    """A timm ViT with `args` and pretrained_cfg `cfg`, random weights (`seed`), saved as model.safetensors and a
    hub config.json in `folder`; the batch preprocessed by the transform timm builds from that config."""
    d = f"{OUT}/models/{folder}"
    os.makedirs(d, exist_ok=True)
    model = timm.create_model("vit_tiny_patch16_224", pretrained=False, **args).eval()
    randomize(model, seed)
    model.pretrained_cfg = {**model.pretrained_cfg, **cfg}
    from safetensors.torch import save_file
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, f"{d}/model.safetensors")
    hub = {"architecture": "vit_tiny_patch16_224", "num_classes": args["num_classes"],
           "num_features": args["embed_dim"], "global_pool": "token", "model_args": model_args or args,
           "pretrained_cfg": cfg}
    with open(f"{d}/config.json", "w") as f:
        json.dump(hub, f, indent=2)
    transform = create_transform(**resolve_data_config({}, model=model))
    x = torch.stack([transform(decoded(files[n])) for n in BATCH])
    with torch.no_grad():
        y = model(x)
    return d, x, y, repr(transform), None


def timm_case(files):
    """timm ViT, 32 px, crop_pct 0.875 (resize shorter side to 36), bicubic, ImageNet mean/std."""
    args = dict(img_size=32, patch_size=8, embed_dim=32, depth=2, num_heads=2, mlp_ratio=2.0, num_classes=10)
    cfg = {"input_size": [3, 32, 32], "interpolation": "bicubic", "crop_pct": 0.875, "crop_mode": "center",
           "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "num_classes": 10}
    return timm_model_case(files, "timm_vit", args, cfg, 21)


def timm_nonsquare_case(files):
    """timm ViT at 32x48 (a 4x6 grid), crop_pct 0.9, bilinear, mean/std 0.5: timm's ResizeKeepRatio path."""
    args = dict(img_size=(32, 48), patch_size=8, embed_dim=16, depth=1, num_heads=2, mlp_ratio=2.0, num_classes=5)
    cfg = {"input_size": [3, 32, 48], "interpolation": "bilinear", "crop_pct": 0.9, "crop_mode": "center",
           "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "num_classes": 5}
    return timm_model_case(files, "timm_vit_32x48", args, cfg, 24, model_args={**args, "img_size": [32, 48]})


def hf_vit_case(files):
    """transformers ViTForImageClassification, 32 px, ViTImageProcessor: resize to 32x32 bilinear, mean/std 0.5."""
    d = f"{OUT}/models/hf_vit"
    config = ViTConfig(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                       intermediate_size=64, num_labels=4, id2label={0: "tench", 1: "goldfish", 2: "great white shark", 3: "tiger shark"},
                       label2id={"tench": 0, "goldfish": 1, "great white shark": 2, "tiger shark": 3})
    model = ViTForImageClassification(config).eval()
    randomize(model, 22)
    model.save_pretrained(d)
    proc = ViTImageProcessorPil(size={"height": 32, "width": 32})
    proc.save_pretrained(d)
    # ViTImageProcessor does not convert to RGB (do_convert_rgb unset): its users pass RGB images
    images = [decoded(files[n]) for n in BATCH]
    x = proc(images, return_tensors="pt")["pixel_values"]
    default = ViTImageProcessor(size={"height": 32, "width": 32})(images, return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        y = model(pixel_values=x).logits
    return d, x, y, repr(proc), default


def hf_clip_case(files):
    """transformers CLIPVisionModelWithProjection, 16 px, CLIPImageProcessor: shortest edge 20 bicubic, crop 16."""
    d = f"{OUT}/models/hf_clip"
    config = CLIPVisionConfig(image_size=16, patch_size=4, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                              intermediate_size=64, projection_dim=24)
    model = CLIPVisionModelWithProjection(config).eval()
    randomize(model, 23)
    model.save_pretrained(d)
    kw = dict(size={"shortest_edge": 20}, crop_size={"height": 16, "width": 16})
    proc = CLIPImageProcessorPil(**kw)
    proc.save_pretrained(d)
    # the files as opened: CLIP's do_convert_rgb composites RGBA and palette transparency onto white
    images = [Image.open(files[n]) for n in BATCH]
    x = proc(images, return_tensors="pt")["pixel_values"]
    default = CLIPImageProcessor(**kw)(images, return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        y = model(pixel_values=x).image_embeds
    return d, x, y, repr(proc), default


def write_models(files):
    cases = []
    for make, library, output, std in [(timm_case, "timm", "logits", [0.229, 0.224, 0.225]),
                                       (timm_nonsquare_case, "timm", "logits", [0.5, 0.5, 0.5]),
                                       (hf_vit_case, "ViTImageProcessor", "logits", [0.5, 0.5, 0.5]),
                                       (hf_clip_case, "CLIPImageProcessor", "image_embeds", [0.26862954, 0.26130258, 0.27577711])]:
        d, x, y, transform, default = make(files)
        np.save(f"{d}/input.npy", x.numpy().astype(np.float32))
        if default is not None:  # transformers 5's default (torchvision) backend, for the figures in docs/images.md
            np.save(f"{d}/input_torchvision_backend.npy", default.numpy().astype(np.float32))
        np.save(f"{d}/output.npy", y.numpy().astype(np.float32))
        cases.append({"case": os.path.basename(d), "preprocessing": library, "images": [f"images/{n}" for n in BATCH],
                      "input": f"models/{os.path.basename(d)}/input.npy", "output_kind": output,
                      "output": f"models/{os.path.basename(d)}/output.npy", "transform": transform, "std": std,
                      "input_torchvision_backend": f"models/{os.path.basename(d)}/input_torchvision_backend.npy" if default is not None else None})
    return cases


def main():
    torch.manual_seed(0)
    for sub in ("images", "bad", "models"):  # plots/ is tools/fixtures_plots.py's
        shutil.rmtree(os.path.join(OUT, sub), ignore_errors=True)
    files = write_images()
    write_bad()
    manifest = {
        "script": "tools/fixtures_images.py",
        "libraries": {"Pillow": PIL.__version__, "torch": torch.__version__, "timm": timm.__version__,
                      "transformers": transformers.__version__, "numpy": np.__version__},
        "decoded": write_decoded(files),
        "resized": write_resized(files),
        "models": write_models(files),
        "tolerances": {"decoded": "exact", "resized": "exact",
                       "input": "within 2/255 in pixel units on >= 99.9% of values",
                       "output": "max|swift - library| / max(1, max|library|) <= 1e-2"},
    }
    with open(f"{OUT}/manifest.json", "w") as f:
        json.dump(manifest, f, indent=1)
    total = sum(os.path.getsize(os.path.join(r, n)) for r, _, ns in os.walk(OUT) for n in ns)
    print(f"wrote {OUT} ({total / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
