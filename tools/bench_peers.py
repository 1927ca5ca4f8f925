"""ONNX Runtime and OpenVINO on timm's ONNX export of a ViT, for tools/bench_forward.sh.

Usage (tools/.venv/bin/python tools/bench_peers.py ...):
  export MODEL                     torch.onnx.export (opset 17) of timm MODEL (random weights) into
                                   tools/.bench/MODEL.onnx, unless it is there already
  ort MODEL BATCH REPEAT           ONNX Runtime CPU, 2 intra-op threads, 1 inter-op
  openvino MODEL BATCH REPEAT PREC OpenVINO CPU, LATENCY hint, 2 threads, inference precision f32 or bf16
Each run prints one line `name model batch=<b> median_ms=<x> min_ms=<y>` (as vit-bench does).
"""
import os, sys

from bench_python import timed  # the same warm-up, median and minimum as the Python side of the other benchmarks

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(HERE, ".bench")


def onnx_path(name):
    return os.path.join(CACHE, f"{name}.onnx")


def import_timm():
    """timm imports torchvision, and PyPI's torchvision wheel is a CUDA build whose C ops do not load
    beside the CPU torch wheel: its fake-kernel registrations for those ops are skipped (timm's ViT
    uses none of them)."""
    import torch.library as lib
    orig = lib.register_fake

    def safe(op, fn=None, **kw):
        def deco(f):
            try:
                return orig(op, **kw)(f)
            except RuntimeError:
                return f
        return deco(fn) if fn is not None else deco
    lib.register_fake = safe
    import timm
    lib.register_fake = orig
    return timm


def export(name):
    path = onnx_path(name)
    if os.path.exists(path):
        return
    import torch
    timm = import_timm()
    os.makedirs(CACHE, exist_ok=True)
    m = timm.create_model(name, pretrained=False).eval()
    x = torch.randn(1, 3, 224, 224)
    torch.onnx.export(m, x, path, opset_version=17, input_names=["x"], output_names=["logits"],
                      dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}}, dynamo=False)


def main():
    task, name = sys.argv[1], sys.argv[2]
    if task == "export":
        export(name)
        return
    import numpy as np
    batch, repeat = int(sys.argv[3]), int(sys.argv[4])
    x = np.random.default_rng(0).standard_normal((batch, 3, 224, 224), dtype=np.float32)
    if task == "ort":
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.intra_op_num_threads, so.inter_op_num_threads = 2, 1
        s = ort.InferenceSession(onnx_path(name), so, providers=["CPUExecutionProvider"])
        med, mn = timed(lambda: s.run(None, {"x": x}), repeat)
        print(f"onnxruntime-{ort.__version__} {name} batch={batch} median_ms={med:.2f} min_ms={mn:.2f}")
    elif task == "openvino":
        import openvino as ov
        prec = sys.argv[5]
        core = ov.Core()
        cfg = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": 2, "NUM_STREAMS": 1,
               "INFERENCE_PRECISION_HINT": prec}
        model = core.read_model(onnx_path(name))
        model.reshape([batch, 3, 224, 224])
        c = core.compile_model(model, "CPU", cfg)
        req = c.create_infer_request()
        got = c.get_property("INFERENCE_PRECISION_HINT")
        med, mn = timed(lambda: req.infer({0: x}), repeat)
        print(f"openvino-{ov.__version__.split('-')[0]}-{prec}(runs {got}) {name} batch={batch} "
              f"median_ms={med:.2f} min_ms={mn:.2f}")
    else:
        sys.exit(f"unknown task {task}")


if __name__ == "__main__":
    main()
