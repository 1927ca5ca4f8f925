#!/usr/bin/env bash
# The whole test suite under a sanitizer (docs/RELIABILITY.md, "Sanitizers").
# Usage: tools/sanitize.sh address|thread
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  address)
    # Leak detection stays on; tools/lsan.supp names the toolchain (Foundation, XCTest) leaks, with reasons.
    LSAN_OPTIONS="suppressions=$PWD/tools/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}" \
      exec swift test --sanitize=address --scratch-path .build-asan ;;
  thread)
    exec swift test --sanitize=thread --scratch-path .build-tsan ;;
  *) echo "usage: $0 address|thread" >&2; exit 2 ;;
esac
