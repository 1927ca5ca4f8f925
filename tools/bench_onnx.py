"""ONNX Runtime: ViTKit's exported ViT-B/16 graph against timm's own ONNX export of the same model, same run.

Run: swift build && tools/.venv/bin/python tools/bench_onnx.py [--runs 20]   (the export is not timed, a debug build does)

Makes timm vit_base_patch16_224 with random weights (seed 0), saves it as safetensors, exports it with
`vit-convert MODEL OUT.onnx` and with timm.utils.onnx.onnx_export (torch.onnx.export, opset 17, dynamic batch),
checks both graphs give timm's logits (1e-4 relative), then times both in ONNX Runtime with the same session
options (CPU, all graph optimisations, the machine's cores as intra-op threads), batch 1 and 8, interleaved:
warm-up, then `runs` timed runs each, reporting median and min in ms.
"""
import argparse, os, statistics, subprocess, time

import numpy as np
import onnxruntime as ort
import timm
import torch
from safetensors.torch import save_file
from timm.utils.onnx import onnx_export

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def session(path, threads):
    o = ort.SessionOptions()
    o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    o.intra_op_num_threads = threads
    return ort.InferenceSession(path, o, providers=["CPUExecutionProvider"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vit-convert", default=ROOT + "/.build/debug/vit-convert")
    ap.add_argument("--out", default="/tmp/vitkit-bench")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.manual_seed(0)
    model = timm.create_model("vit_base_patch16_224", pretrained=False).eval()
    st = f"{a.out}/vit_base_patch16_224.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, st, metadata={"num_heads": "12"})
    ours = f"{a.out}/vit_b16_vitkit.onnx"
    subprocess.run([a.vit_convert, st, ours, "--force", "-q"], check=True)
    theirs = f"{a.out}/vit_b16_timm.onnx"
    onnx_export(model, theirs, example_input=torch.randn(1, 3, 224, 224), opset=17, check=True,
                input_names=["pixel_values"], output_names=["logits"])
    rng = np.random.default_rng(0)
    sessions = {"ViTKit export": session(ours, a.threads), "timm onnx_export": session(theirs, a.threads)}
    for batch in (1, 8):
        x = rng.standard_normal((batch, 3, 224, 224), dtype=np.float32)
        with torch.no_grad():
            ref = model(torch.from_numpy(x)).numpy()
        for name, s in sessions.items():
            y = s.run(None, {s.get_inputs()[0].name: x})[0]
            err = float(np.abs(y - ref).max() / max(1.0, np.abs(ref).max()))
            assert err <= 1e-4, f"{name} batch {batch}: relative error {err}"
            print(f"{name} batch {batch}: relative error vs timm {err:.2e}")
        times = {n: [] for n in sessions}
        for _ in range(3):
            for n, s in sessions.items():
                s.run(None, {s.get_inputs()[0].name: x})
        for _ in range(a.runs):
            for n, s in sessions.items():
                t = time.perf_counter()
                s.run(None, {s.get_inputs()[0].name: x})
                times[n].append((time.perf_counter() - t) * 1000)
        for n, ts in times.items():
            print(f"batch {batch} {n:18s} median {statistics.median(ts):8.1f} ms  min {min(ts):8.1f} ms")
    print(f"onnxruntime {ort.__version__}, torch {torch.__version__}, timm {timm.__version__}, threads {a.threads}")


if __name__ == "__main__":
    main()
