"""Exports every plain fixture (fixtures/conventions, fixtures/families) to each layout with vit-convert, loads it
with the target library itself, compares with the fixture's reference output, and writes the manifests CI checks.

Run: tools/.venv/bin/python tools/check_export.py [--vit-convert .build/debug/vit-convert] [--only CASE]

For each case and layout:
  timm         timm.create_model("local-dir:OUT", pretrained=True) (timm loads strictly), then eval forward;
  hf           <config.architectures[0]>.from_pretrained(OUT, output_loading_info=True): no missing, unexpected or
               mismatched keys; output: logits / image_embeds / pooler_output;
  torchvision  torch.load(OUT.pth, weights_only=True) into torchvision.models.VisionTransformer(...) with
               strict=True (and the same for OUT.safetensors);
  onnx         onnxruntime.InferenceSession(OUT.onnx) on CPU.
The measure is max|out - ref| / max(1, max|ref|) <= 1e-4 (as every ViTKit parity test). A layout that cannot hold
a case must refuse it (vit-convert exits 1 with "cannot export"); that is recorded too.

Manifests (fixtures/export/<layout>.json), made by the libraries: per case, the tensor names and shapes the library
itself writes for the loaded model (timm/torchvision: state_dict(); transformers: the keys save_pretrained writes),
the config keys the library accepts (timm: VisionTransformer's arguments and PretrainedCfg's fields;
transformers: the config class's to_dict() keys; torchvision: VisionTransformer's arguments), the class or
architecture, and the measured error. Exit status 0 when every export that was written loaded and matched.
"""
import argparse, dataclasses, glob, inspect, json, os, shutil, subprocess, sys, tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAYOUTS = ["timm", "hf", "torchvision", "onnx"]


def rel(a, b):
    a = np.asarray(a, dtype=np.float64); b = np.asarray(b, dtype=np.float64)
    return float(np.abs(a - b).max() / max(1.0, np.abs(b).max()))


def compact(text):
    """Puts every list of numbers or strings, and every [name, shape] pair, on one line."""
    import re
    flat = r'\[\s*(?:-?[\d.e+-]+|"[^"\n]*")?(?:\s*,\s*(?:-?[\d.e+-]+|"[^"\n]*"))*\s*\]'
    text = re.sub(flat, lambda m: re.sub(r'\s*\n\s*', ' ', m.group(0)).replace('[ ', '[').replace(' ]', ']'), text)
    pair = r'\[\s*"[^"\n]*",\s*\[[^\]\n]*\]\s*\]'
    return re.sub(pair, lambda m: re.sub(r'\s*\n\s*', ' ', m.group(0)).replace('[ ', '[').replace(' ]', ']'), text)


def cases():
    """(name, checkpoint, vit-convert options, input.npy, reference output) for every fixture with a case.json."""
    for d in sorted(glob.glob(ROOT + "/fixtures/conventions/*/")):
        c = json.load(open(d + "case.json"))
        files = c["checkpoint"]["files"]
        weights = next(f for f in files if not f.endswith(".json"))
        ck = d + (weights.split("/")[0] if "/" in weights else weights)
        opts = []
        f = c["facts"]
        if not f["heads_recoverable_from_metadata"]:
            opts += ["--heads", str(f["num_heads"])]
        img = c["expected_config"]["image_size"]
        if img[0] != img[1] and not any(x.endswith("config.json") for x in files):
            opts += ["--source-image-size", f"{img[0]}x{img[1]}"]
        if os.path.basename(d.rstrip("/")) == "handwritten_mha":
            opts += ["--eps", "1e-6"]
        yield os.path.basename(d.rstrip("/")), ck, opts, d + c["input"]["file"], d + c["output"]["file"]
    for d in sorted(glob.glob(ROOT + "/fixtures/families/*/")):
        c = json.load(open(d + "case.json"))
        opts = []
        for k, v in (c.get("options") or {}).items():
            opts += ["--" + {"activation": "act"}.get(k, k), str(v)]
        yield os.path.basename(d.rstrip("/")), d + c["checkpoint"], opts, d + "input.npy", d + "output.npy"


def export(tool, ck, out, layout, opts):
    r = subprocess.run([tool, ck, out, "--to", layout, "--force", "-q"] + opts, capture_output=True, text=True)
    return r.returncode, (r.stderr or r.stdout).strip()


def timm_check(out, x):
    import timm, torch
    from timm.models.vision_transformer import VisionTransformer
    from timm.models._pretrained import PretrainedCfg
    model = timm.create_model(f"local-dir:{out}", pretrained=True).eval()
    from safetensors.torch import load_file
    model.load_state_dict(load_file(out + "/model.safetensors"), strict=True)
    with torch.no_grad():
        y = model(torch.from_numpy(x)).numpy()
    cfg = json.load(open(out + "/config.json"))
    schema = {"config": ["architecture", "num_classes", "num_features", "global_pool", "model_args", "pretrained_cfg",
                         "label_names", "label_descriptions"],
              "model_args": sorted(list(inspect.signature(VisionTransformer.__init__).parameters)[1:]),
              "pretrained_cfg": sorted(f.name for f in dataclasses.fields(PretrainedCfg))}
    keys = [[k, list(v.shape)] for k, v in model.state_dict().items()]
    return y, keys, schema, cfg["architecture"]


HF_OUTPUT = {"ViTForImageClassification": "logits", "DeiTForImageClassificationWithTeacher": "logits",
             "CLIPVisionModelWithProjection": "image_embeds"}


def hf_check(out, x):
    import torch, transformers
    from safetensors import safe_open
    cfg = json.load(open(out + "/config.json"))
    cls_name = cfg["architectures"][0]
    cls = getattr(transformers, cls_name)
    model, info = cls.from_pretrained(out, output_loading_info=True)
    problems = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys", "mismatched_keys", "error_msgs")}
    if problems:
        raise RuntimeError(f"{cls_name} loading info: {problems}")
    model.eval()
    with torch.no_grad():
        o = model(pixel_values=torch.from_numpy(x))
    y = getattr(o, HF_OUTPUT.get(cls_name, "pooler_output")).numpy()
    with tempfile.TemporaryDirectory() as t:
        model.save_pretrained(t)
        with safe_open(t + "/model.safetensors", "pt") as f:
            keys = [[k, list(f.get_slice(k).get_shape())] for k in f.keys()]
    schema = {"config": sorted(set(type(model.config)().to_dict()) | {"architectures", "model_type", "transformers_version", "dtype", "num_labels"}),
              "preprocessor": sorted(transformers.AutoImageProcessor.from_pretrained(out).to_dict())}
    return y, keys, schema, cls_name


def torchvision_check(out_pth, out_st, x):
    import torch, torchvision
    from functools import partial
    from safetensors import safe_open
    from safetensors.torch import load_file
    with safe_open(out_st, "pt") as f:
        args = json.loads(f.metadata()["vitkit_torchvision_args"])
    eps = args.pop("norm_layer_eps")
    model = torchvision.models.VisionTransformer(**args, norm_layer=partial(torch.nn.LayerNorm, eps=eps)).eval()
    sd = torch.load(out_pth, weights_only=True)
    model.load_state_dict(sd, strict=True)
    sd2 = load_file(out_st)
    for k in sd:
        if not torch.equal(sd[k], sd2[k]):
            raise RuntimeError(f"{k} differs between the .pth and the .safetensors export")
    with torch.no_grad():
        y = model(torch.from_numpy(x)).numpy()
    keys = [[k, list(v.shape)] for k, v in model.state_dict().items()]
    schema = {"constructor": sorted(list(inspect.signature(torchvision.models.VisionTransformer.__init__).parameters)[1:])}
    return y, keys, schema, "torchvision.models.VisionTransformer"


def onnx_check(out, x):
    import onnx, onnxruntime as ort
    m = onnx.load(out)
    onnx.checker.check_model(m)
    s = ort.InferenceSession(out, providers=["CPUExecutionProvider"])
    y = s.run(None, {"pixel_values": x})[0]
    meta = {p.key for p in m.metadata_props}
    schema = {"opset": [o.version for o in m.opset_import], "inputs": [i.name for i in m.graph.input],
              "outputs": [o.name for o in m.graph.output], "metadata": sorted(meta), "producer": m.producer_name}
    return y, [], schema, f"onnx opset {m.opset_import[0].version}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vit-convert", default=ROOT + "/.build/debug/vit-convert")
    ap.add_argument("--only")
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    import timm, torch, torchvision, transformers, onnxruntime, onnx
    versions = {"timm": timm.__version__, "torch": torch.__version__, "torchvision": torchvision.__version__,
                "transformers": transformers.__version__, "onnxruntime": onnxruntime.__version__, "onnx": onnx.__version__,
                "numpy": np.__version__}
    manifests = {l: {"what": f"vit-convert --to {l}: what {l} itself loads and writes for each fixture",
                     "regenerate": "tools/.venv/bin/python tools/check_export.py (after swift build)", "libraries": versions, "cases": {}}
                 for l in LAYOUTS}
    failures = 0
    work = tempfile.mkdtemp(prefix="vitkit-export-")
    for name, ck, opts, inp, ref_path in cases():
        if a.only and name != a.only:
            continue
        x = np.load(inp).astype(np.float32)
        ref = np.load(ref_path).astype(np.float32)
        for layout in LAYOUTS:
            out = f"{work}/{name}-{layout}" + {"torchvision": ".pth", "onnx": ".onnx"}.get(layout, "")
            rc, msg = export(a.vit_convert, ck, out, layout, opts)
            entry = {"options": opts}
            if rc != 0:
                entry.update(status="refused", message=msg.replace(ROOT + "/", ""))
                print(f"{name:40s} {layout:12s} refused: {msg[:150]}")
                manifests[layout]["cases"][name] = entry
                if "cannot export" not in msg:
                    failures += 1
                continue
            try:
                if layout == "timm":
                    y, keys, schema, target = timm_check(out, x)
                elif layout == "hf":
                    y, keys, schema, target = hf_check(out, x)
                elif layout == "torchvision":
                    st = out[:-4] + ".safetensors"
                    rc2, msg2 = export(a.vit_convert, ck, st, layout, opts)
                    if rc2 != 0:
                        raise RuntimeError(msg2)
                    y, keys, schema, target = torchvision_check(out, st, x)
                else:
                    y, keys, schema, target = onnx_check(out, x)
                err = rel(y, ref) if y.shape == ref.shape else float("inf")
                ok = err <= 1e-4
                entry.update(status="ok" if ok else "mismatch", target=target, relative_error=float(f"{err:.3g}"),
                             output_shape=list(y.shape), keys=keys, schema=schema)
                print(f"{name:40s} {layout:12s} {target:40s} rel {err:.2e}{'' if ok else '  MISMATCH'}")
                failures += 0 if ok else 1
            except Exception as e:  # a load failure is a failure of the export
                entry.update(status="load-failed", message=str(e)[:2000])
                print(f"{name:40s} {layout:12s} LOAD FAILED: {str(e)[:300]}")
                failures += 1
            manifests[layout]["cases"][name] = entry
    shutil.rmtree(work, ignore_errors=True)
    if not a.no_write and not a.only:
        for l, m in manifests.items():
            with open(f"{ROOT}/fixtures/export/{l}.json", "w") as f:
                f.write(compact(json.dumps(m, indent=1)) + "\n")
    print(f"{failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
