#!/usr/bin/env bash
# Reading every tensor of a ViT-B/16 checkpoint (~350 MB f32) into Float32 buffers: ViTKit vs Python, same run.
# Needs tools/.venv (tools/venv) and the checkpoints from tools/make_bench_checkpoints.py.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-/tmp/vitkit-bench/vit_base_patch16_224}
PY=tools/.venv/bin/python
[ -f "$B.safetensors" ] || $PY tools/make_bench_checkpoints.py "$(dirname "$B")"
swift build -c release --product vit-bench >/dev/null
swift build -c release --product vit-hdf5-reader >/dev/null  # the isolated HDF5 reader vit-bench starts
for round in 1 2 3; do
  echo "round $round"
  .build/release/vit-bench read "$B.safetensors" --repeat 10 | sed 's/^/  safetensors /'
  $PY tools/bench_python.py read-safetensors "$B.safetensors" 10 | sed 's/^/  safetensors /'
  .build/release/vit-bench read "$B.h5" --repeat 10 | sed 's/^/  hdf5 (isolated reader) /'
  VITKIT_HDF5_IN_PROCESS=1 .build/release/vit-bench read "$B.h5" --repeat 10 | sed 's/^/  hdf5 (in-process) /'
  $PY tools/bench_python.py read-h5 "$B.h5" 10 | sed 's/^/  hdf5 /'
done
