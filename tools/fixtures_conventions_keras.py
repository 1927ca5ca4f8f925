"""Keras convention fixtures: one vit-keras/JAX-named tiny ViT in two file layouts.

    tools/.venv-tf/bin/python tools/fixtures_conventions_keras.py legacy        # Keras 2 (tf-keras) legacy .h5
    tools/.venv/bin/python tools/fixtures_conventions_keras.py verify-legacy    # map + cross-check, write case.json
    KERAS_BACKEND=torch tools/.venv/bin/python tools/fixtures_conventions_keras.py keras3   # Keras 3 .weights.h5

tools/fixtures_conventions.py runs all three. The model follows the original JAX/vit-keras names: `embedding` (Conv2D,
HWIO kernel), `class_token` (var `cls`), `Transformer/posembed_input` (var `pos_embedding`),
`Transformer/encoderblock_{i}` holding `LayerNorm_0`, `MultiHeadDotProductAttention_1` (`query`/`key`/`value`
kernels (D, H, hd) and biases (H, hd), `out` kernel (H, hd, D)), `LayerNorm_2`, `MlpBlock_3/Dense_0|Dense_1`, then
`Transformer/encoder_norm`, `ExtractToken` and `head`. Keras 3 forbids `/` in layer names, so there the layer names
use `_` (`Transformer_encoderblock_0`). Every LayerNorm has epsilon 1e-6; GELU is exact. Inputs are NHWC in Keras;
input.npy stores the same images as NCHW (input.npy.transpose(0, 2, 3, 1) is what Keras was given).
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fixtures_conventions_common as common  # noqa: E402

D, HEADS, M, K, IMG, P, DEPTH = 32, 2, 48, 10, 32, 8, 2
HD = D // HEADS
G = (IMG // P) ** 2
EPS = 1e-6
LEGACY, KERAS3 = "keras_legacy_h5", "keras3_weights_h5"
SEEDS = {LEGACY: 51, KERAS3: 52}


def build(keras, ops, sep: str):
    """The model; `ops` = (concat, broadcast_to, einsum, softmax, batch size) for the running Keras."""
    concat, broadcast_to, einsum, softmax, batch = ops
    L = keras.layers

    class ClassToken(L.Layer):
        def build(self, input_shape):
            self.cls = self.add_weight(name="cls", shape=(1, 1, D), initializer="zeros")

        def call(self, x):
            return concat([broadcast_to(self.cls, (batch(x), 1, D)), x], 1)

    class AddPositionEmbs(L.Layer):
        def build(self, input_shape):
            self.pos_embedding = self.add_weight(name="pos_embedding", shape=(1, G + 1, D), initializer="zeros")

        def call(self, x):
            return x + self.pos_embedding

    class DenseGeneral(L.Layer):
        def __init__(self, kernel_shape, bias_shape, equation, **kw):
            super().__init__(**kw)
            self.kernel_shape, self.bias_shape, self.equation = kernel_shape, bias_shape, equation

        def build(self, input_shape):
            self.kernel = self.add_weight(name="kernel", shape=self.kernel_shape, initializer="zeros")
            self.bias = self.add_weight(name="bias", shape=self.bias_shape, initializer="zeros")

        def call(self, x):
            return einsum(self.equation, x, self.kernel) + self.bias

    class MultiHeadDotProductAttention(L.Layer):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.query = DenseGeneral((D, HEADS, HD), (HEADS, HD), "bnd,dhk->bnhk", name="query")
            self.key = DenseGeneral((D, HEADS, HD), (HEADS, HD), "bnd,dhk->bnhk", name="key")
            self.value = DenseGeneral((D, HEADS, HD), (HEADS, HD), "bnd,dhk->bnhk", name="value")
            self.out = DenseGeneral((HEADS, HD, D), (D,), "bnhk,hkd->bnd", name="out")

        def call(self, x):
            q = self.query(x) * (HD ** -0.5)
            k, v = self.key(x), self.value(x)
            w = softmax(einsum("bqhk,bshk->bhqs", q, k))
            return self.out(einsum("bhqs,bshk->bqhk", w, v))

    class MlpBlock(L.Layer):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.dense_0 = L.Dense(M, activation="gelu", name="Dense_0")
            self.dense_1 = L.Dense(D, name="Dense_1")

        def call(self, x):
            return self.dense_1(self.dense_0(x))

    class TransformerBlock(L.Layer):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.layernorm_0 = L.LayerNormalization(epsilon=EPS, name="LayerNorm_0")
            self.attention = MultiHeadDotProductAttention(name="MultiHeadDotProductAttention_1")
            self.layernorm_2 = L.LayerNormalization(epsilon=EPS, name="LayerNorm_2")
            self.mlpblock = MlpBlock(name="MlpBlock_3")

        def call(self, x):
            x = x + self.attention(self.layernorm_0(x))
            return x + self.mlpblock(self.layernorm_2(x))

    class ExtractToken(L.Layer):
        def call(self, x):
            return x[:, 0]

    inp = L.Input(shape=(IMG, IMG, 3))
    y = L.Conv2D(D, P, strides=P, padding="valid", name="embedding")(inp)
    y = L.Reshape((G, D))(y)
    y = ClassToken(name="class_token")(y)
    y = AddPositionEmbs(name=f"Transformer{sep}posembed_input")(y)
    for i in range(DEPTH):
        y = TransformerBlock(name=f"Transformer{sep}encoderblock_{i}")(y)
    y = L.LayerNormalization(epsilon=EPS, name=f"Transformer{sep}encoder_norm")(y)
    y = ExtractToken(name="ExtractToken")(y)
    y = L.Dense(K, name="head")(y)
    return keras.Model(inp, y, name="vit")


def randomize(model, seed: int) -> None:
    """LayerNorm gammas 1+N(0,0.25), everything else N(0,0.2), in model.weights order."""
    rng = np.random.default_rng(seed)
    values = []
    for w in model.weights:
        name = w.name if ":" not in w.name else w.name.split(":")[0]
        shape = tuple(w.shape)
        if name.endswith("gamma"):
            values.append((1 + 0.25 * rng.standard_normal(shape)).astype(np.float32))
        elif name.endswith("beta"):
            values.append((0.2 * rng.standard_normal(shape)).astype(np.float32))
        else:
            values.append((0.2 * rng.standard_normal(shape)).astype(np.float32))
    model.set_weights(values)


def expected_config() -> dict:
    return common.vit_config(embed_dim=D, num_heads=HEADS, attn_dim=D, mlp_hidden_dim=M)


# ----------------------------------------------------------------------------------------------- Keras 2

def legacy() -> None:
    import h5py
    import tensorflow as tf
    import tf_keras as keras
    ops = (lambda xs, a: tf.concat(xs, a), tf.broadcast_to, tf.einsum, lambda t: tf.nn.softmax(t, axis=-1),
           lambda t: tf.shape(t)[0])
    seed = SEEDS[LEGACY]
    tf.random.set_seed(seed)
    model = build(keras, ops, "/")
    randomize(model, seed)
    x = common.make_input(seed, 3, IMG, IMG)
    x_nhwc = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    logits = model(x_nhwc, training=False).numpy()
    d = common.case_dir(LEGACY)
    model.save_weights(str(d / "model.h5"))  # .h5 suffix -> the legacy HDF5 writer (layer_names / weight_names)
    m2 = build(keras, ops, "/")
    m2.load_weights(str(d / "model.h5"))
    again = m2(x_nhwc, training=False).numpy()
    if not np.array_equal(logits, again):
        raise AssertionError(f"{LEGACY}: reloaded logits differ by {np.abs(logits - again).max()}")
    common.save_npy(d / "input.npy", x)
    common.save_npy(d / "logits.npy", logits.astype(np.float32))
    import importlib.metadata as md
    info = {"seed": seed, "libraries": {n: md.version(n) for n in ("tensorflow-cpu", "tf-keras", "h5py", "numpy")},
            "variables": [w.name for w in model.weights]}
    (d / "_legacy_info.json").write_text(json.dumps(info))
    print(f"{LEGACY}: written; weight names e.g. {info['variables'][:3]}")


def read_legacy_h5(path: Path) -> tuple[dict, list[dict], dict]:
    """Read a Keras 2 legacy weights file the way Keras does: root `layer_names`, then each group's `weight_names`."""
    import h5py
    src, tensors = {}, []
    with h5py.File(path, "r") as f:
        root_attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items() if k != "layer_names"}
        layer_names = [n.decode() if isinstance(n, bytes) else n for n in f.attrs["layer_names"]]
        for layer in layer_names:
            g = f[layer]
            for wn in g.attrs["weight_names"]:
                wn = wn.decode() if isinstance(wn, bytes) else wn
                arr = g[wn][()]
                src[wn] = arr.astype(np.float32)
                tensors.append({"name": wn, "hdf5_path": f"/{layer}/{wn}", "layer": layer,
                                "dtype": str(arr.dtype), "shape": list(arr.shape)})
    return src, tensors, {"root_attributes": root_attrs, "layer_names": layer_names}


def verify_legacy() -> None:
    import fixtures_conventions as fc
    import fixtures_conventions_mapping as mapping
    d = common.OUT / LEGACY
    info = json.loads((d / "_legacy_info.json").read_text())
    x = np.load(d / "input.npy")
    logits = np.load(d / "logits.npy")
    src, tensors, layout = read_legacy_h5(d / "model.h5")
    cfg = expected_config()
    names = {"embedding": "embedding", "class_token": "class_token", "pos": "Transformer/posembed_input",
             "block": "Transformer/encoderblock_{i}", "norm": "Transformer/encoder_norm", "suffix": ":0"}
    fc.finish(
        LEGACY, convention="keras-legacy-h5", libraries=info["libraries"],
        constructor="tools/fixtures_conventions_keras.py build(tf_keras, ..., sep='/') (vit-keras/JAX layer names)",
        checkpoint={"files": ["model.h5"], "format": "legacy Keras HDF5 (Keras 2 save_weights)",
                    "saved_with": "model.save_weights('model.h5') with tf-keras (Keras 2)", **layout},
        x=x, logits=logits, reloaded_logits=logits, cfg=cfg,
        facts=common.facts(cfg, eps=EPS, heads_from_metadata=True,
                           heads_how="attention kernel shape (D, H, hd): query/kernel:0 is (32, 2, 16)"),
        rules=mapping.keras_rules(DEPTH, names), source=src, tensors=tensors,
        input_note="input.npy is NCHW; Keras was given input.npy.transpose(0, 2, 3, 1) (NHWC)",
        notes=["reload check done in the tf-keras venv: a fresh model with load_weights('model.h5') gave bit-identical "
               "logits", "weight names end in ':0'; a '/' in a layer name makes nested HDF5 groups",
               "read order: root attribute layer_names, then each layer group's weight_names",
               "all kernels are (in, out); conv kernel HWIO"],
        script="tools/fixtures_conventions_keras.py", extra={"seed": info["seed"]})
    (d / "_legacy_info.json").unlink()


# ----------------------------------------------------------------------------------------------- Keras 3

def keras3() -> None:
    import h5py
    import keras
    import fixtures_conventions as fc
    import fixtures_conventions_mapping as mapping
    ko = keras.ops
    ops = (ko.concatenate, ko.broadcast_to, ko.einsum, lambda t: ko.softmax(t, axis=-1), lambda t: ko.shape(t)[0])
    seed = SEEDS[KERAS3]
    keras.utils.set_random_seed(seed)
    model = build(keras, ops, "_")
    randomize(model, seed)
    x = common.make_input(seed, 3, IMG, IMG)
    x_nhwc = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    logits = ko.convert_to_numpy(model(x_nhwc, training=False))
    d = common.case_dir(KERAS3)
    path = d / "model.weights.h5"
    model.save_weights(str(path))
    m2 = build(keras, ops, "_")
    m2.load_weights(str(path))
    again = ko.convert_to_numpy(m2(x_nhwc, training=False))
    # name every variable by its Keras path, then find its dataset in the file (values are random, so unique)
    by_path = {v.path: ko.convert_to_numpy(v) for v in model.weights}
    src, tensors = {}, []
    with h5py.File(path, "r") as f:
        datasets = []
        f.visititems(lambda n, o: datasets.append(n) if isinstance(o, h5py.Dataset) else None)
        for n in datasets:
            arr = f[n][()]
            match = [p for p, v in by_path.items() if v.shape == arr.shape and np.array_equal(v, arr)]
            if len(match) != 1:
                raise AssertionError(f"{n}: {len(match)} variables match")
            src[match[0]] = arr
            tensors.append({"name": n, "keras_path": match[0], "vars_group_name_attr": f[n].parent.attrs.get("name"),
                            "dtype": str(arr.dtype), "shape": list(arr.shape)})
    names = {"embedding": "embedding", "class_token": "class_token", "pos": "Transformer_posembed_input",
             "block": "Transformer_encoderblock_{i}", "norm": "Transformer_encoder_norm", "suffix": ""}
    rules = mapping.keras_rules(DEPTH, names)
    # the file's dataset paths are the source names; translate the rules through the value match
    to_dataset = {t["keras_path"]: t["name"] for t in tensors}
    file_rules = [dict(r, sources=[to_dataset[s] for s in r["sources"]]) for r in rules]
    import importlib.metadata as md
    cfg = expected_config()
    fc.finish(
        KERAS3, convention="keras3-weights-h5", libraries={n: md.version(n) for n in ("keras", "torch", "h5py", "numpy")},
        constructor="tools/fixtures_conventions_keras.py build(keras, ..., sep='_') (KERAS_BACKEND=torch)",
        checkpoint={"files": ["model.weights.h5"], "format": "Keras 3 .weights.h5",
                    "saved_with": "model.save_weights('model.weights.h5') with Keras 3, KERAS_BACKEND=torch",
                    "variable_paths_in_model_order": [v.path for v in model.weights]},
        x=x, logits=logits, reloaded_logits=again, cfg=cfg,
        facts=common.facts(cfg, eps=EPS, heads_from_metadata=True,
                           heads_how="attention kernel shape (D, H, hd) of the query/key/value datasets"),
        rules=file_rules, source={t["name"]: src[t["keras_path"]] for t in tensors}, tensors=tensors,
        input_note="input.npy is NCHW; Keras was given input.npy.transpose(0, 2, 3, 1) (NHWC)",
        notes=["dataset paths are layers/<snake_case class name + counter>/.../vars/<index>, not layer names; the "
               "layer name is the 'name' attribute of each vars group (vars_group_name_attr); each tensor's Keras "
               "variable path is in keras_path", "variables: kernel = vars/0, bias = vars/1; LayerNorm gamma = "
               "vars/0, beta = vars/1", "all kernels are (in, out); conv kernel HWIO"],
        script="tools/fixtures_conventions_keras.py", extra={"seed": seed})


if __name__ == "__main__":
    {"legacy": legacy, "verify-legacy": verify_legacy, "keras3": keras3}[sys.argv[1]]()
