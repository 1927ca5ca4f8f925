#!/usr/bin/env bash
# Forward pass, ViTKit vs PyTorch eager (timm, 2 threads), random weights, 224x224, in the same run.
# Usage: tools/bench_forward.sh [REPEAT]   (needs tools/.venv from tools/venv)
set -euo pipefail
cd "$(dirname "$0")/.."
R=${1:-10}
PY=tools/.venv/bin/python
swift build -c release --product vit-bench >/dev/null
for m in tiny small base; do
  for b in 1 8; do
    r=$R; [ "$m" = base ] && [ "$b" = 8 ] && r=$(( R < 5 ? R : 5 ))
    .build/release/vit-bench forward $m --batch $b --repeat $r
    $PY tools/bench_python.py forward vit_${m}_patch16_224 $b $r
  done
done
