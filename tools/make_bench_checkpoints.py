"""Makes the large checkpoints the benchmarks use (not committed): timm ViT-Ti/S/B at 224 with random
weights, as safetensors (timm names, config in __metadata__) and as flat HDF5 (h5py, dotted names).

Run: tools/.venv/bin/python tools/make_bench_checkpoints.py [OUT_DIR]   (default /tmp/vitkit-bench)
"""
import json, os, sys
import h5py, timm, torch
from safetensors.torch import save_file

out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/vitkit-bench"
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
for name, (d, depth, heads) in {"vit_tiny_patch16_224": (192, 12, 3), "vit_small_patch16_224": (384, 12, 6),
                                "vit_base_patch16_224": (768, 12, 12)}.items():
    st = os.path.join(out, f"{name}.safetensors")
    if os.path.exists(st):
        continue
    m = timm.create_model(name, pretrained=False).eval()
    sd = {k: v.contiguous() for k, v in m.state_dict().items()}
    meta = {"num_heads": str(heads), "timm_model": name}
    save_file(sd, st, metadata=meta)
    with h5py.File(os.path.join(out, f"{name}.h5"), "w") as f:
        for k, v in sd.items():
            f.create_dataset(k, data=v.numpy())
        f.attrs["num_heads"] = heads
    print("wrote", name, sum(v.numel() for v in sd.values()), "params")
