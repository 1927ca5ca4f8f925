"""Decode + timm eval transform (ViT-B/16 at 224: Resize(248, bicubic), CenterCrop(224), ToTensor, Normalize 0.5)
of one image with Pillow + torchvision, as timm's loader does (`Image.open(f).convert("RGB")`, no draft mode).
Makes the 4000x3000 test JPEG first when asked.

  tools/.venv/bin/python tools/bench_preprocess.py make OUT.jpg
  tools/.venv/bin/python tools/bench_preprocess.py time IMAGE REPEAT
Prints `python-pil-timm median_ms=<x> min_ms=<y> ...` (one thread, as a DataLoader worker runs).
"""
import sys, time

import numpy as np
import torch

_lib = torch.library.Library("torchvision", "DEF")  # see tools/fixtures_images.py: CUDA torchvision wheel on CPU torch
_lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
_lib.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
import PIL
from PIL import Image
from timm.data import create_transform


def make(path):
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:3000, 0:4000].astype(np.float32)
    img = np.stack([128 + 90 * np.sin(x / 97 + c) * np.cos(y / 131 - c) for c in range(3)], -1)
    img += rng.normal(0, 8, img.shape).astype(np.float32)
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(path, quality=90)


def bench(path, repeat):
    torch.set_num_threads(1)
    t = create_transform(input_size=(3, 224, 224), interpolation="bicubic", crop_pct=0.9, mean=(0.5,) * 3, std=(0.5,) * 3)
    times = []
    for i in range(repeat + 1):
        t0 = time.perf_counter()
        x = t(Image.open(path).convert("RGB"))
        if i:
            times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    print(f"python-pil-timm median_ms={times[len(times) // 2]:.2f} min_ms={times[0]:.2f} pillow={PIL.__version__} shape={tuple(x.shape)}")
    dec = []
    for i in range(repeat + 1):
        t0 = time.perf_counter()
        Image.open(path).convert("RGB")
        if i:
            dec.append((time.perf_counter() - t0) * 1e3)
    dec.sort()
    print(f"python-pil-decode median_ms={dec[len(dec) // 2]:.2f}")
    np.save(path + ".timm.npy", x.numpy()[None])


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        bench(sys.argv[2], int(sys.argv[3]))
