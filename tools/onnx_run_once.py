"""Creates an ONNX Runtime session (CPU, all optimisations, one intra-op thread) and runs MODEL RUNS times on a
fixed random batch. Used under callgrind by tools/bench_onnx_instructions.sh: the instructions of one steady-state
run are those of RUNS=2 minus those of RUNS=1 (session creation and the first run cancel out).

Run: tools/.venv/bin/python tools/onnx_run_once.py MODEL.onnx BATCH RUNS
"""
import sys

import numpy as np
import onnxruntime as ort

model, batch, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
o = ort.SessionOptions()
o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
o.intra_op_num_threads = 1
o.inter_op_num_threads = 1
s = ort.InferenceSession(model, o, providers=["CPUExecutionProvider"])
x = np.random.default_rng(0).standard_normal((batch, 3, 224, 224), dtype=np.float32)
for _ in range(runs):
    s.run(None, {s.get_inputs()[0].name: x})
