#!/usr/bin/env bash
# Instructions of one ONNX Runtime run (one thread) of ViTKit's ViT-B/16 graph and timm's onnx_export of the same
# model, counted by callgrind: repeatable whatever else the machine runs (the timings of tools/bench_onnx.py are
# not, on a shared machine). Run tools/bench_onnx.py first (it writes both graphs to /tmp/vitkit-bench).
# Usage: tools/bench_onnx_instructions.sh [BATCH]   (default 1)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
py="${PYTHON:-$here/.venv/bin/python}"
batch="${1:-1}"
dir=/tmp/vitkit-bench
count() {  # model runs -> total instructions (Ir)
  valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" "$py" "$here/onnx_run_once.py" "$1" "$batch" "$2" \
    >/dev/null 2>"$dir/cg.log"
  grep -E '^summary:' "$dir/cg.out" | awk '{print $2}'
}
for name in vitkit timm; do
  one=$(count "$dir/vit_b16_$name.onnx" 1)
  two=$(count "$dir/vit_b16_$name.onnx" 2)
  echo "$name batch $batch: $(( two - one )) instructions per run (1 thread)"
done
