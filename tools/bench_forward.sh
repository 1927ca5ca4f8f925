#!/usr/bin/env bash
# Forward pass: ViTKit beside ONNX Runtime, OpenVINO and PyTorch eager, 2 threads each, random weights, 224x224,
# process after process in the same run, row by row.
#   fp32 rows: ViT-Ti/S/B batch 1, ViT-B batch 8 — ViTKit on its own kernels (CPUID: avx512 here), ViTKit's
#              portable path (VITKIT_KERNELS=off: oneDNN dnnl_sgemm, the state before the kernels), ONNX Runtime
#              and OpenVINO on timm's ONNX export (opset 17), PyTorch eager (timm, torch.set_num_threads(2)).
#   bf16 rows: ViT-B batch 1 and 8 — ViTKit --precision bf16, OpenVINO with the bf16 inference precision hint.
# Prints the CPU, the kernels, the load average before and after, and one line per run (median and min in ms).
# On a machine whose speed drifts from minute to minute, tools/bench_paired.py gives the paired comparison
# (the same tools as serving processes, short bursts in turn); this script makes the ONNX exports it needs.
# Usage: tools/bench_forward.sh [REPEAT] [ROUNDS] [ROWS]
#   ROWS: any of fp32 bf16 (default both); needs tools/.venv with timm, torch, onnx, onnxruntime, openvino
#   (tools/requirements.txt); PYTORCH_PYTHON=/path/to/python picks another interpreter for the PyTorch rows;
#   QUICK=1 leaves out the portable-path and PyTorch rows (more rounds of the rows that compete).
set -euo pipefail
cd "$(dirname "$0")/.."
R=${1:-10}; ROUNDS=${2:-1}; ROWS=${3:-"fp32 bf16"}
PY=tools/.venv/bin/python
PYTORCH=${PYTORCH_PYTHON:-$PY}   # a Python with torch + timm for the PyTorch rows (default: tools/.venv)
swift build -c release --product vit-bench >/dev/null
B=.build/release/vit-bench
for m in tiny small base; do $PY tools/bench_peers.py export vit_${m}_patch16_224 2>/dev/null; done
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores;" \
     "avx512_bf16: $(grep -q avx512_bf16 /proc/cpuinfo && echo yes || echo no); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
row() {  # model batch repeat precision
  local m=$1 b=$2 r=$3 p=$4 n=vit_$1_patch16_224
  if [ "$p" = fp32 ]; then
    $B forward $m --batch $b --repeat $r --threads 2
    [ -n "${QUICK:-}" ] || VITKIT_KERNELS=off VITKIT_GEMM=dnnl $B forward $m --batch $b --repeat $r --threads 2
    $PY tools/bench_peers.py ort $n $b $r
    $PY tools/bench_peers.py openvino $n $b $r f32
    [ -n "${QUICK:-}" ] || $PYTORCH tools/bench_python.py forward $n $b $r 2>/dev/null || echo "torch-forward $n: unavailable in $PYTORCH"
  else
    $B forward $m --batch $b --repeat $r --threads 2 --precision bf16
    $PY tools/bench_peers.py openvino $n $b $r bf16
  fi
}
for round in $(seq "$ROUNDS"); do
  echo "# round $round"
  rb=$(( R < 4 ? R : 4 ))
  for p in $ROWS; do
    if [ "$p" = fp32 ]; then row tiny 1 "$R" fp32; row small 1 "$R" fp32; row base 1 "$R" fp32; row base 8 "$rb" fp32; fi
    if [ "$p" = bf16 ]; then row base 1 "$R" bf16; row base 8 "$rb" bf16; fi
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
