#!/usr/bin/env bash
# The former name of tools/bench_forward.sh (ViTKit beside ONNX Runtime, OpenVINO and PyTorch); same arguments.
exec "$(dirname "$0")/bench_forward.sh" "$@"
