#!/usr/bin/env bash
# Decode + preprocess a 4000x3000 JPEG: ViTKit (exact, and DCT-scaled) beside Pillow + timm's transform, same run.
# Usage: tools/bench_preprocess.sh [REPEAT]   (needs tools/.venv)
set -euo pipefail
cd "$(dirname "$0")/.."
R=${1:-20}
PY=tools/.venv/bin/python
img=.build/bench/photo_4000x3000.jpg
mkdir -p .build/bench
[ -f "$img" ] || $PY tools/bench_preprocess.py make "$img"
swift build -c release --product vit-bench >/dev/null
uptime
.build/release/vit-bench preprocess "$img" --repeat "$R" --fast
$PY tools/bench_preprocess.py time "$img" "$R"
