"""Writes the HDF5 fixtures with h5py (and Keras 3 for the two genuine Keras files), plus expected.json.

Run: KERAS_BACKEND=torch tools/.venv/bin/python tools/fixtures_hdf5.py   (writes fixtures/hdf5/)

expected.json holds, per file:
  "names":      flattened tensor names (path without the leading '/', '/' -> '.') in h5py visititems order,
  "datasets":   per dataset path: the ViTKit dtype, shape, and the exact little-endian bytes ViTKit must
                return (hex), read back here with h5py/numpy (BF16 as its uint16 bit patterns),
  "unreadable": per dataset path: the reason ViTKit must give instead of a tensor,
  "attributes": per object path: every attribute as {"kind": int|float|string|ints|floats|strings, "value"}.
Everything is deterministic (fixed seeds, no time stamps); running the script twice gives identical files.
"""
import json, os, shutil
import numpy as np
import h5py
import ml_dtypes

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "hdf5")
shutil.rmtree(out, ignore_errors=True)
os.makedirs(out)
rng = np.random.default_rng(20240611)
expected = {}

VITKIT_DTYPE = {"<f2": "F16", "<f4": "F32", "<f8": "F64", "<i8": "I64", "<i4": "I32", "<i2": "I16", "|i1": "I8",
                "|u1": "U8", "<u2": "U16", "<u4": "U32", "<u8": "U64", "|b1": "BOOL"}


def path_of(name):
    return os.path.join(out, name)


def vitkit_view(obj):
    """(dtype, little-endian bytes) that ViTKit must return for an h5py dataset, or None when unreadable."""
    arr = obj[()]
    arr = np.asarray(arr)
    if obj.dtype.kind == "V" and obj.attrs.get("dtype") == "bfloat16":
        return "BF16", arr.view(np.uint16).astype("<u2")
    if obj.dtype.kind == "u" and obj.dtype.itemsize == 2 and obj.attrs.get("dtype") == "bfloat16":
        return "BF16", arr.astype("<u2")
    le = arr.astype(arr.dtype.newbyteorder("<")) if arr.dtype.byteorder == ">" else arr
    key = le.dtype.str
    if key not in VITKIT_DTYPE:
        return None
    return VITKIT_DTYPE[key], le


def attr_entry(value):
    if isinstance(value, (bytes, np.bytes_)):
        return {"kind": "string", "value": bytes(value).decode("utf-8")}
    if isinstance(value, str):
        return {"kind": "string", "value": value}
    a = np.asarray(value)
    if a.dtype.kind in "SUO":
        items = [x.decode("utf-8") if isinstance(x, bytes) else str(x) for x in a.ravel()]
        return {"kind": "string", "value": items[0]} if a.ndim == 0 else {"kind": "strings", "value": items}
    if a.dtype.kind in "iub":
        items = [int(x) for x in a.ravel()]
        return {"kind": "int", "value": items[0]} if a.ndim == 0 else {"kind": "ints", "value": items}
    if a.dtype.kind == "f":
        items = [float(x) for x in a.ravel()]
        return {"kind": "float", "value": items[0]} if a.ndim == 0 else {"kind": "floats", "value": items}
    raise ValueError(f"unexpected attribute {value!r}")


def record(name, unreadable=None):
    """Reads the finished file back with h5py and records what ViTKit must see."""
    unreadable = unreadable or {}
    entry = {"names": [], "datasets": {}, "unreadable": {}, "attributes": {}}
    with h5py.File(path_of(name), "r") as f:
        def visit(objname, obj):
            p = "/" + objname
            if isinstance(obj, h5py.Dataset):
                if p in unreadable:
                    entry["unreadable"][p] = unreadable[p]
                    return
                view = vitkit_view(obj)
                assert view is not None, (name, p, obj.dtype)
                dtype, le = view
                entry["names"].append(objname.replace("/", "."))
                entry["datasets"][p] = {"dtype": dtype, "shape": list(obj.shape),
                                        "hex": np.ascontiguousarray(le).tobytes().hex()}
            if obj.attrs:
                entry["attributes"][p] = {k: attr_entry(obj.attrs[k]) for k in sorted(obj.attrs)}
        if f.attrs:
            entry["attributes"]["/"] = {k: attr_entry(f.attrs[k]) for k in sorted(f.attrs)}
        f.visititems(visit)
    expected[name] = entry


# A small timm-like state dict used by the flat and nested layouts.
STATE = {
    "cls_token": rng.standard_normal((1, 1, 8)).astype(np.float32),
    "pos_embed": rng.standard_normal((1, 5, 8)).astype(np.float32),
    "patch_embed.proj.weight": rng.standard_normal((8, 3, 2, 2)).astype(np.float32),
    "patch_embed.proj.bias": rng.standard_normal((8,)).astype(np.float32),
    "blocks.0.norm1.weight": np.ones(8, np.float32),
    "blocks.0.attn.qkv.weight": rng.standard_normal((24, 8)).astype(np.float32),
    "blocks.0.attn.qkv.bias": np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, 3.4028235e38, -1.5]
                                       + [0.25] * 16, np.float32),
    "head.weight": rng.standard_normal((3, 8)).astype(np.float32),
}

# 1. Flat dotted names at the root, with every kind of root attribute.
with h5py.File(path_of("flat.h5"), "w") as f:
    for k, v in STATE.items():
        f.create_dataset(k, data=v)
    f.attrs["vitkit_config"] = json.dumps({"embed_dim": 8, "depth": 1, "num_heads": 2})
    f.attrs["epoch"] = np.int64(7)
    f.attrs["small_int"] = np.uint8(200)
    f.attrs["lr"] = np.float64(0.001)
    f.attrs["lr32"] = np.float32(0.1)
    f.attrs["img_size"] = np.array([224, 160], np.int32)
    f.attrs["mean"] = np.array([0.485, 0.456, 0.406], np.float64)
    f.attrs["tags"] = ["vit", "tiny", "naïve"]                       # vlen UTF-8 array
    f.attrs["fixed"] = np.bytes_(b"abc")                              # fixed-length ASCII scalar
    f.attrs["fixed_utf8"] = np.array("grüße".encode("utf-8"), dtype=h5py.string_dtype("utf-8", 10))
    f.attrs["note"] = "naïve ☃"                                        # vlen UTF-8 scalar
    f.attrs["ascii_vlen"] = np.array(b"legacy", dtype=h5py.string_dtype("ascii"))
    f.attrs["flag"] = np.bool_(True)
record("flat.h5")

# 2. The same tensors as nested groups (blocks/0/attn/qkv/weight), with group and dataset attributes.
with h5py.File(path_of("nested.h5"), "w") as f:
    for k, v in STATE.items():
        f.create_dataset(k.replace(".", "/"), data=v)
    f["blocks/0"].attrs["kind"] = "block"
    f["blocks/0/attn/qkv/weight"].attrs["units"] = np.array([24, 8], np.int64)
    f.create_group("empty_group")
record("nested.h5")

# 3. Chunked storage: gzip + shuffle, gzip only, chunked without a filter, f16 with gzip.
big = rng.standard_normal((32, 24)).astype(np.float32)
with h5py.File(path_of("chunked_gzip.h5"), "w") as f:
    f.create_dataset("gzip_shuffle", data=big, chunks=(16, 16), compression="gzip", compression_opts=6, shuffle=True)
    f.create_dataset("gzip_only", data=big[:, :7], chunks=(20, 7), compression="gzip", compression_opts=9)
    f.create_dataset("chunked_plain", data=big[:5], chunks=(2, 24))
    f.create_dataset("f16_gzip", data=big.astype(np.float16), chunks=(32, 8), compression="gzip")
    f.create_dataset("f64_contiguous", data=big[:3, :3].astype(np.float64))
record("chunked_gzip.h5")

# 4. Big-endian floats and integers (libhdf5 converts them to little-endian).
special = np.array([1.0, -2.5, 0.0, -0.0, np.inf, -np.inf, np.nan, 65504.0, 6.1e-5, 1e-7], np.float64)
with h5py.File(path_of("big_endian.h5"), "w") as f:
    f.create_dataset("f4_be", data=np.concatenate([special, rng.standard_normal(6)]).astype(">f4").reshape(4, 4))
    f.create_dataset("f8_be", data=np.concatenate([special, [np.pi, 1e300]]).astype(">f8").reshape(3, 4))
    f.create_dataset("f2_be", data=special.astype(">f2"))
    f.create_dataset("i8_be", data=np.array([-(2**63), -1, 0, 1, 2**63 - 1], ">i8"))
    f.create_dataset("u4_be", data=np.array([0, 1, 2**32 - 1], ">u4"))
record("big_endian.h5")

# 5. IEEE half precision, little-endian (specials, subnormals, the largest half).
halves = np.array([0.0, -0.0, 1.0, -1.0, 65504.0, -65504.0, 6.104e-5, 5.96e-8, np.inf, -np.inf, np.nan, 0.333],
                  np.float16)
with h5py.File(path_of("f16.h5"), "w") as f:
    f.create_dataset("half", data=halves.reshape(3, 4))
    f.create_dataset("half_random", data=rng.standard_normal((2, 3, 5)).astype(np.float16))
record("f16.h5")

# 6. bfloat16 as Keras writes it: 2-byte OPAQUE with the dataset attribute dtype='bfloat16';
#    plus an untagged 2-byte opaque whose dtype cannot be told.
bf = np.concatenate([rng.standard_normal(10), [np.inf, -np.inf]]).astype(ml_dtypes.bfloat16).reshape(3, 4)
with h5py.File(path_of("bf16_opaque.h5"), "w") as f:
    d = f.create_dataset("kernel_bf16", data=bf)
    d.attrs["dtype"] = "bfloat16"
    f.create_dataset("untagged_opaque", data=bf)
record("bf16_opaque.h5", unreadable={"/untagged_opaque": "unknownOpaque"})

# 7. bfloat16 bit patterns stored as uint16 and tagged; an untagged uint16 stays U16.
with h5py.File(path_of("bf16_uint16.h5"), "w") as f:
    d = f.create_dataset("bf16_bits", data=bf.view(np.uint16))
    d.attrs["dtype"] = "bfloat16"
    f.create_dataset("plain_u16", data=bf.view(np.uint16)[0])
record("bf16_uint16.h5")

# 8. A 512-byte user block before the HDF5 signature.
with h5py.File(path_of("userblock.h5"), "w", userblock_size=512) as f:
    f.create_dataset("weight", data=STATE["head.weight"])
with open(path_of("userblock.h5"), "r+b") as fh:
    fh.write(b"ViTKit user block test\n")
record("userblock.h5")

# 9. Legacy-Keras-like layout built by hand: layer_names / weight_names as vlen ASCII string arrays,
#    ':0' weight names, and a layer whose weight_names are split into fixed-length weight_names0/1.
with h5py.File(path_of("keras_legacy_like.h5"), "w") as f:
    f.attrs["backend"] = "tensorflow"
    f.attrs["keras_version"] = "2.15.0"
    f.attrs["layer_names"] = [b"embedding", b"Transformer/encoderblock_0"]
    g = f.create_group("embedding")
    g.attrs["weight_names"] = [b"embedding/kernel:0", b"embedding/bias:0"]
    g.create_dataset("embedding/kernel:0", data=rng.standard_normal((2, 2, 3, 4)).astype(np.float32))
    g.create_dataset("embedding/bias:0", data=rng.standard_normal((4,)).astype(np.float32))
    g = f.create_group("Transformer/encoderblock_0")
    names = [b"Transformer/encoderblock_0/LayerNorm_0/scale:0", b"Transformer/encoderblock_0/LayerNorm_0/bias:0",
             b"Transformer/encoderblock_0/MlpBlock_3/Dense_0/kernel:0"]
    g.attrs["weight_names0"] = np.array(names[:2])
    g.attrs["weight_names1"] = np.array(names[2:])
    for n, shape in zip(names, [(4,), (4,), (4, 8)]):
        g.create_dataset(n.decode(), data=rng.standard_normal(shape).astype(np.float32))
record("keras_legacy_like.h5")

# 10. Scalars (shape ()).
with h5py.File(path_of("scalars.h5"), "w") as f:
    f.create_dataset("f32_scalar", data=np.float32(2.5))
    f.create_dataset("f64_scalar", data=np.float64(-1e-300))
    f.create_dataset("i64_scalar", data=np.int64(-42))
    f.create_dataset("bool_scalar", data=np.bool_(True))
record("scalars.h5")

# 11. Integers, booleans, and datasets ViTKit must refuse (strings, compound, vlen).
with h5py.File(path_of("ints_bools.h5"), "w") as f:
    f.create_dataset("int64", data=np.array([[-(2**40), -1, 0], [1, 2**40, 2**62]], np.int64))
    f.create_dataset("int32", data=np.arange(-3, 3, dtype=np.int32))
    f.create_dataset("int16", data=np.array([-32768, 32767], np.int16))
    f.create_dataset("int8", data=np.array([-128, 127, 0], np.int8))
    f.create_dataset("uint8", data=np.array([0, 255, 7], np.uint8))
    f.create_dataset("uint32", data=np.array([4294967295, 1], np.uint32))
    f.create_dataset("uint64", data=np.array([18446744073709551615, 1], np.uint64))
    f.create_dataset("bool", data=np.array([[True, False, True], [False, False, True]]))
    f.create_dataset("strings", data=np.array([b"ab", b"cd"]))
    f.create_dataset("vlen_strings", data=["x", "yz"], dtype=h5py.string_dtype())
    f.create_dataset("compound", data=np.array([(1, 2.0)], dtype=[("a", "<i4"), ("b", "<f8")]))
    f.create_dataset("vlen_ints", data=np.array([np.array([1, 2], np.int32), np.array([3], np.int32)],
                                                dtype=object), dtype=h5py.vlen_dtype(np.int32))
record("ints_bools.h5", unreadable={"/strings": "unsupportedType:STRING", "/vlen_strings": "unsupportedType:STRING",
                                    "/compound": "unsupportedType:COMPOUND", "/vlen_ints": "unsupportedType:VLEN"})

# 12. Two paths that flatten to the same name ('a.b' and 'a/b').
with h5py.File(path_of("collision.h5"), "w") as f:
    f.create_dataset("a.b", data=np.zeros(2, np.float32))
    f.create_dataset("a/b", data=np.ones(2, np.float32))
expected["collision.h5"] = {"collision": {"name": "a.b", "paths": ["/a/b", "/a.b"]}}

# 12b. Hostile shapes: chunked datasets with no chunk written (libhdf5 allocates nothing), whose element count,
#      byte count, or size compared to any machine's memory is absurd.
with h5py.File(path_of("hostile_shapes.h5"), "w") as f:
    f.create_dataset("count_overflow", shape=(2**40, 2**40, 2**40), dtype="<f4", chunks=(1, 1, 1))
    f.create_dataset("bytes_overflow", shape=(2**62,), dtype="<f4", chunks=(1,))
    f.create_dataset("four_tebibytes", shape=(2**20, 2**20), dtype="<f4", chunks=(1, 1))
    f.create_dataset("fine", data=np.arange(3, dtype=np.float32))
expected["hostile_shapes.h5"] = {"unreadable": {"/count_overflow": "tooLarge", "/bytes_overflow": "tooLarge"},
                                 "too_large_to_read": ["/four_tebibytes"]}

# 13. The newer file format (superblock 3, creation-order tracking) that libver='v110' writes.
with h5py.File(path_of("libver_v110.h5"), "w", libver=("v110", "v110"), track_order=True) as f:
    f.create_dataset("z_first", data=np.arange(4, dtype=np.float32))
    f.create_dataset("a/second", data=np.arange(3, dtype=np.float64))
    f.attrs["created_by"] = "libver v110"
record("libver_v110.h5")

# 14. Corrupt files: truncated (the superblock's end-of-file address lies past the end) and garbled
#     (the object headers and heaps after the superblock overwritten).
flat_bytes = open(path_of("flat.h5"), "rb").read()
with open(path_of("corrupt_truncated.h5"), "wb") as fh:
    fh.write(flat_bytes[:1500])
garbled = bytearray(flat_bytes)
g = np.random.default_rng(3).integers(0, 256, 2048, dtype=np.uint8).tobytes()
garbled[96:96 + len(g)] = g
with open(path_of("corrupt_garbled.h5"), "wb") as fh:
    fh.write(bytes(garbled))

# 15. Genuine Keras 3 files: a legacy model.save('x.h5') and a .weights.h5 with bfloat16 and float16 variables.
os.environ.setdefault("KERAS_BACKEND", "torch")
import keras

keras.utils.set_random_seed(1)
inp = keras.Input((4,))
x = keras.layers.Dense(3, name="first")(inp)
x = keras.layers.LayerNormalization(name="norm")(x)
model = keras.Model(inp, keras.layers.Dense(2, name="head")(x), name="tiny")
model.save(path_of("keras3_legacy.h5"))
record("keras3_legacy.h5")

keras.utils.set_random_seed(2)
inp = keras.Input((4,))
x = keras.layers.Dense(3, name="bf", dtype="bfloat16")(inp)
x = keras.layers.Dense(2, name="half", dtype="float16")(x)
model = keras.Model(inp, x, name="mixed")
model.save_weights(path_of("keras3_mixed.weights.h5"))
record("keras3_mixed.weights.h5")

with open(path_of("expected.json"), "w") as fh:
    json.dump(expected, fh, indent=1, sort_keys=True, ensure_ascii=False)
files = sorted(os.listdir(out)) + ["manifest.json"]
MADE_BY = {
    "keras3_legacy.h5": "Keras 3 model.save('x.h5') (legacy HDF5 format), torch backend",
    "keras3_mixed.weights.h5": "Keras 3 model.save_weights(), bfloat16 and float16 Dense layers",
    "corrupt_truncated.h5": "flat.h5 cut after 1,500 bytes",
    "hostile_shapes.h5": "h5py: chunked datasets with absurd shapes and no chunk written",
    "corrupt_garbled.h5": "flat.h5 with bytes 96..<2144 replaced by random bytes (seed 3)",
    "expected.json": "this script, reading every file back with h5py/numpy",
    "manifest.json": "this script",
}
with open(path_of("manifest.json"), "w") as fh:
    json.dump({"script": "tools/fixtures_hdf5.py",
               "h5py": h5py.__version__, "hdf5": h5py.version.hdf5_version, "numpy": np.__version__,
               "ml_dtypes": ml_dtypes.__version__, "keras": keras.__version__, "keras_backend": "torch",
               "files": {n: MADE_BY.get(n, "h5py (hand-built layout)") for n in files}}, fh, indent=1, ensure_ascii=False)
