"""Writes .npy fixtures with numpy itself (versions 1-3, byte orders, C/Fortran order, dtypes).

Run: tools/.venv/bin/python tools/fixtures_numpy.py   (writes fixtures/numpy/)
"""
import json, os
import numpy as np
from numpy.lib import format as npf

out = os.path.join(os.path.dirname(__file__), "..", "fixtures", "numpy")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)
base = rng.standard_normal((2, 3, 4)).astype(np.float32)
cases = {}

def save(name, arr, version=None):
    path = os.path.join(out, name)
    with open(path, "wb") as f:
        npf.write_array(f, arr, version=version)
    c_order = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<"))
    cases[name] = {"descr": arr.dtype.str, "shape": list(arr.shape),
                   "fortran": bool(arr.flags.f_contiguous and not arr.flags.c_contiguous),
                   "values": [float(v) for v in c_order.astype(np.float64).ravel()]}

save("f32_v1.npy", base, (1, 0))
save("f32_v2.npy", base, (2, 0))
save("f32_v3.npy", base, (3, 0))
save("f32_be.npy", base.astype(">f4"))
save("f32_fortran.npy", np.asfortranarray(base))
save("f64_be_fortran.npy", np.asfortranarray(base.astype(">f8")))
save("f16.npy", base.astype(np.float16))
save("i64.npy", np.arange(-3, 3, dtype=np.int64).reshape(2, 3))
save("u8_1d.npy", np.arange(5, dtype=np.uint8))
save("scalar.npy", np.array(2.5, dtype=np.float32))
save("bool.npy", np.array([True, False, True]))
with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump(cases, f, indent=1)
with open(os.path.join(out, "manifest.json"), "w") as f:
    json.dump({"script": "tools/fixtures_numpy.py", "numpy": np.__version__,
               "files": sorted(cases) + ["expected.json"]}, f, indent=1)
