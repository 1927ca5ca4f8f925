"""Runs an ONNX model in ONNX Runtime (CPU) on a float32 .npy input and writes its first output as .npy.

Run: tools/.venv-ort/bin/python tools/run_onnx.py MODEL.onnx INPUT.npy OUTPUT.npy
Used by the Swift ONNX round-trip test (tools/.venv-ort holds only onnxruntime and numpy, tools/requirements-ort.txt).
"""
import sys

import numpy as np
import onnxruntime as ort

model, inp, out = sys.argv[1:4]
session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
name = session.get_inputs()[0].name
y = session.run(None, {name: np.load(inp).astype(np.float32)})[0]
np.save(out, y.astype(np.float32))
print(session.get_outputs()[0].name, list(y.shape))
