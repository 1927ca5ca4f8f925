"""Reference data for ViTKit's native .bin format, made with the xxHash C library (libxxhash) itself.

Run: /work/main/tools/.venv/bin/python tools/fixtures_bin.py   (writes fixtures/bin/)

- xxh64_vectors.json: XXH64 of deterministic byte strings (byte i = (i*7 + 3) mod 256) of many
  lengths, for seeds 0 and 2654435761, computed by libxxhash (ctypes), plus "abc".
- tiny.bin: a small file written by this independent Python implementation of docs/bin-format.md
  (checksums by libxxhash), so the Swift reader is tested on bytes it did not write, and the Swift
  writer can be checked to produce the identical file from the same inputs.
"""
import ctypes
import ctypes.util
import json
import os
import struct

import numpy as np

lib = ctypes.CDLL(ctypes.util.find_library("xxhash") or "libxxhash.so.0")
lib.XXH64.restype = ctypes.c_uint64
lib.XXH64.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint64]
lib.XXH_versionNumber.restype = ctypes.c_uint


def xxh64(data: bytes, seed: int = 0) -> int:
    buf = ctypes.create_string_buffer(data, len(data))
    return lib.XXH64(buf, len(data), seed)


out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "bin")
os.makedirs(out_dir, exist_ok=True)

lengths = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 35, 36, 39, 40, 63, 64, 65, 100, 127, 128, 1000, 4097]
vectors = []
for seed in (0, 2654435761):
    for n in lengths:
        data = bytes((i * 7 + 3) & 0xFF for i in range(n))
        vectors.append({"length": n, "seed": seed, "xxh64": f"{xxh64(data, seed):016x}"})
vectors.append({"text": "abc", "seed": 0, "xxh64": f"{xxh64(b'abc'):016x}"})
with open(os.path.join(out_dir, "xxh64_vectors.json"), "w") as f:
    json.dump({"pattern": "byte i = (i*7 + 3) mod 256", "vectors": vectors}, f, indent=1)

# ---- tiny.bin, following docs/bin-format.md (version 1) ----
MAGIC = b"\x89VITKIT\n"
END_MAGIC = b"\nTIKTIV\x89"
ALIGN = 64


def align(n):
    return (n + ALIGN - 1) // ALIGN * ALIGN


def string(s: str) -> bytes:
    b = s.encode("utf-8")
    return struct.pack("<I", len(b)) + b


config = '{"embed_dim":4,"patch_size":[2,2]}'
metadata = {"source": "tools/fixtures_bin.py", "format": "pt", "\u00e9t\u00e9": "caf\u00e9"}
rng = np.random.default_rng(11)
tensors = [
    ("pos_embed", "F32", np.float32, (1, 5, 4)),
    ("cls_token", "BF16", None, (1, 1, 4)),
    ("norm.weight", "F16", np.float16, (4,)),
    ("scalar", "F64", np.float64, ()),
    ("empty", "I64", np.int64, (0, 3)),
    ("mask", "BOOL", np.bool_, (3,)),
]
arrays = []
for name, dtype, np_type, shape in tensors:
    if dtype == "BF16":
        raw = rng.standard_normal(shape).astype(np.float32).view(np.uint32) >> 16
        data = raw.astype("<u2").tobytes()
    elif dtype == "BOOL":
        data = np.array([True, False, True]).tobytes()
    else:
        data = rng.standard_normal(shape).astype(np_type).astype(np.dtype(np_type).newbyteorder("<")).tobytes()
    arrays.append((name, dtype, shape, data))

# header without offsets first, to know its length (offsets are fixed width)
def header_bytes(offsets):
    h = struct.pack("<IIB", len(arrays), len(metadata), 1) + string(config)
    for k in sorted(metadata, key=lambda s: s.encode("utf-8")):
        h += string(k) + string(metadata[k])
    for (name, dtype, shape, data), off in zip(arrays, offsets):
        h += string(name) + string(dtype) + struct.pack("<I", len(shape))
        h += b"".join(struct.pack("<Q", d) for d in shape)
        h += struct.pack("<QQ", off, len(data))
    return h

hlen = len(header_bytes([0] * len(arrays)))
data_start = align(24 + hlen + 8)
offsets, pos = [], data_start
for name, dtype, shape, data in arrays:
    offsets.append(pos)
    pos = align(pos + len(data))
header = header_bytes(offsets)
assert len(header) == hlen
pre = MAGIC + struct.pack("<IIQ", 1, 0, hlen) + header
blob = bytearray(pre + struct.pack("<Q", xxh64(pre)))
blob += b"\0" * (data_start - len(blob))
for (name, dtype, shape, data), off in zip(arrays, offsets):
    assert len(blob) == off
    blob += data
    blob += b"\0" * (align(len(blob)) - len(blob))
blob += struct.pack("<Q", xxh64(bytes(blob))) + END_MAGIC
with open(os.path.join(out_dir, "tiny.bin"), "wb") as f:
    f.write(blob)
with open(os.path.join(out_dir, "tiny.json"), "w") as f:
    json.dump({"config": config, "metadata": metadata,
               "tensors": [{"name": n, "dtype": d, "shape": list(s), "offset": o, "hex": data.hex()}
                           for (n, d, s, data), o in zip(arrays, offsets)],
               "file_size": len(blob)}, f, indent=1)

with open(os.path.join(out_dir, "manifest.json"), "w") as f:
    json.dump({"script": "tools/fixtures_bin.py",
               "libraries": {"libxxhash": str(lib.XXH_versionNumber()), "numpy": np.__version__},
               "files": {"xxh64_vectors.json": "XXH64 reference values from libxxhash",
                         "tiny.bin": "a .bin file written by the script's own writer (docs/bin-format.md v1)",
                         "tiny.json": "what tiny.bin holds (config, metadata, tensors as hex)"}}, f, indent=1)
print(f"{len(vectors)} vectors, tiny.bin {len(blob)} bytes")
