"""ONNX Runtime and OpenVINO on timm's ONNX export of a ViT, for tools/bench_forward.sh.

Usage (tools/.venv/bin/python tools/bench_peers.py ...):
  export MODEL                     torch.onnx.export (opset 17) of timm MODEL (random weights) into
                                   tools/.bench/MODEL.onnx, unless it is there already
  ort MODEL BATCH REPEAT           ONNX Runtime CPU, 2 intra-op threads, 1 inter-op
  openvino MODEL BATCH REPEAT PREC OpenVINO CPU, LATENCY hint, 2 threads, inference precision f32 or bf16
Each run prints one line `name model batch=<b> median_ms=<x> min_ms=<y>` (as vit-bench does).
  serve ort|openvino MODEL BATCH [PREC]
                                   the same session, driven by tools/bench_paired.py: a warm-up, `ready`, then
                                   for each line N on standard input N timed runs, their times (ms) on one line
                                   (the protocol of `vit-bench forward --serve`)
"""
import os, sys

import time

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
    if task == "serve":
        runtime, name, batch = sys.argv[2], sys.argv[3], int(sys.argv[4])
        label, run = session(runtime, name, batch, sys.argv[5] if len(sys.argv) > 5 else "f32")
        serve(run)
        return
    batch, repeat = int(sys.argv[3]), int(sys.argv[4])
    label, run = session(task, name, batch, sys.argv[5] if len(sys.argv) > 5 else "f32")
    med, mn = timed(run, repeat)
    print(f"{label} {name} batch={batch} median_ms={med:.2f} min_ms={mn:.2f}")


def session(runtime, name, batch, prec):
    """(label, run): one inference of MODEL at BATCH on a random input, ready to time."""
    import numpy as np
    x = np.random.default_rng(0).standard_normal((batch, 3, 224, 224), dtype=np.float32)
    if runtime == "ort":
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.intra_op_num_threads, so.inter_op_num_threads = 2, 1
        s = ort.InferenceSession(onnx_path(name), so, providers=["CPUExecutionProvider"])
        return f"onnxruntime-{ort.__version__}", lambda: s.run(None, {"x": x})
    if runtime == "openvino":
        import openvino as ov
        core = ov.Core()
        cfg = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": 2, "NUM_STREAMS": 1,
               "INFERENCE_PRECISION_HINT": prec}
        model = core.read_model(onnx_path(name))
        model.reshape([batch, 3, 224, 224])
        c = core.compile_model(model, "CPU", cfg)
        req = c.create_infer_request()
        got = c.get_property("INFERENCE_PRECISION_HINT")
        return f"openvino-{ov.__version__.split('-')[0]}-{prec}(runs {got})", lambda: req.infer({0: x})
    sys.exit(f"unknown runtime {runtime}")


def serve(run):
    """The protocol of `vit-bench forward --serve`: a warm-up, `ready`, then N timed runs per input line N."""
    run()
    print("ready", flush=True)
    for line in sys.stdin:
        n = int(line) if line.strip().isdigit() else 0
        if n <= 0:
            break
        ts = []
        for _ in range(n):
            t0 = time.perf_counter()
            run()
            ts.append((time.perf_counter() - t0) * 1000)
        print(" ".join(f"{t:.3f}" for t in ts), flush=True)


if __name__ == "__main__":
    main()
