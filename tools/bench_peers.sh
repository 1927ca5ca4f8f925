#!/usr/bin/env bash
# Forward pass: ViTKit (oneDNN GEMM, and OpenBLAS as before) beside ONNX Runtime and OpenVINO on timm's
# ONNX export (opset 17), 2 threads each, random weights, 224x224, alternating in the same run.
# fp32 rows: ViT-Ti/S/B batch 1, ViT-B batch 8; bf16 rows: ViT-B batch 1 and 8 (OpenVINO: inference
# precision hint bf16). Prints the CPU, the load average before and after, and one line per run.
# Usage: tools/bench_peers.sh [REPEAT] [ROUNDS]   (needs tools/.venv: timm, onnx, onnxruntime, openvino as in tools/requirements.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
R=${1:-10}; ROUNDS=${2:-2}
PY=tools/.venv/bin/python
swift build -c release --product vit-bench >/dev/null
B=.build/release/vit-bench
for m in tiny small base; do $PY tools/bench_peers.py export vit_${m}_patch16_224 2>/dev/null; done
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores;" \
     "avx512_bf16: $(grep -q avx512_bf16 /proc/cpuinfo && echo yes || echo no); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
row() {  # model batch repeat precision
  local m=$1 b=$2 r=$3 p=$4 n=vit_$1_patch16_224
  if [ "$p" = fp32 ]; then
    VITKIT_GEMM=dnnl $B forward $m --batch $b --repeat $r --threads 2
    VITKIT_GEMM=openblas $B forward $m --batch $b --repeat $r --threads 2
    $PY tools/bench_peers.py ort $n $b $r
    $PY tools/bench_peers.py openvino $n $b $r f32
  else
    $B forward $m --batch $b --repeat $r --threads 2 --precision bf16
    $PY tools/bench_peers.py openvino $n $b $r bf16
  fi
}
for round in $(seq "$ROUNDS"); do
  echo "# round $round"
  rb=$(( R < 4 ? R : 4 ))
  row tiny 1 "$R" fp32; row small 1 "$R" fp32; row base 1 "$R" fp32; row base 8 "$rb" fp32
  row base 1 "$R" bf16; row base 8 "$rb" bf16
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
