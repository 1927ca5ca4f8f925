"""Makes a large sharded safetensors checkpoint in an instant, for memory and speed checks of vit-convert:
timm's ViT-g/14 layout (`vit_giant_patch14_224`: D=1408, 40 blocks, MLP 6144, 16 heads, 1000 classes,
~1.01 B parameters, 4.05 GB in F32) split into shards of at most ~1 GB behind `model.safetensors.index.json`.
The tensor data is one sparse run of zeros per shard (nothing is written but the headers), so the files
take no disk space; reading them still goes through the page cache like any file. Python standard library only.

Run: python3 tools/make_sparse_sharded.py [OUT_DIR] [--shard-gb 1.0]   (default /tmp/vitkit-giant)
"""
import argparse, json, os, struct


def layout(d=1408, depth=40, mlp=6144, classes=1000, patch=14, image=224):
    tokens = (image // patch) ** 2 + 1
    t = [("cls_token", [1, 1, d]), ("pos_embed", [1, tokens, d]),
         ("patch_embed.proj.weight", [d, 3, patch, patch]), ("patch_embed.proj.bias", [d])]
    for i in range(depth):
        b = f"blocks.{i}."
        t += [(b + "norm1.weight", [d]), (b + "norm1.bias", [d]), (b + "attn.qkv.weight", [3 * d, d]),
              (b + "attn.qkv.bias", [3 * d]), (b + "attn.proj.weight", [d, d]), (b + "attn.proj.bias", [d]),
              (b + "norm2.weight", [d]), (b + "norm2.bias", [d]), (b + "mlp.fc1.weight", [mlp, d]),
              (b + "mlp.fc1.bias", [mlp]), (b + "mlp.fc2.weight", [d, mlp]), (b + "mlp.fc2.bias", [d])]
    return t + [("norm.weight", [d]), ("norm.bias", [d]), ("head.weight", [classes, d]), ("head.bias", [classes])]


def nbytes(shape):
    n = 4
    for s in shape:
        n *= s
    return n


def write_shard(path, tensors, metadata):
    header, offset = {"__metadata__": metadata}, 0
    for name, shape in tensors:
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + nbytes(shape)]}
        offset += nbytes(shape)
    text = json.dumps(header, separators=(",", ":"))
    text += " " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text.encode())
        f.truncate(8 + len(text) + offset)
    return offset


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out", nargs="?", default="/tmp/vitkit-giant")
    ap.add_argument("--shard-gb", type=float, default=1.0)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    limit = int(a.shard_gb * 1e9)
    shards, current, size = [], [], 0
    for t in layout():
        if current and size + nbytes(t[1]) > limit:
            shards.append(current)
            current, size = [], 0
        current.append(t)
        size += nbytes(t[1])
    shards.append(current)
    weight_map, total = {}, 0
    for i, tensors in enumerate(shards):
        name = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
        total += write_shard(os.path.join(a.out, name), tensors, {"format": "pt", "num_heads": "16"})
        weight_map.update({n: name for n, _ in tensors})
    with open(os.path.join(a.out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=1)
    largest = max(nbytes(s) for _, s in layout())
    print(f"{a.out}: {len(shards)} shards, {total / 1e9:.2f} GB, largest tensor {largest / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
