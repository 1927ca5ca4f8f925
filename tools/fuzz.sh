#!/usr/bin/env bash
# Builds one libFuzzer target with AddressSanitizer and runs it.
#
#   tools/fuzz.sh TARGET SECONDS [extra libFuzzer flags...]
#   TARGET: safetensors | bin | npy | pickle | zip | jpeg | png | hdf5-stream  (the executable is fuzz-TARGET)
#
# Build: its own scratch path (.build-fuzz), `-DFUZZING` selects the LLVMFuzzerTestOneInput entry point
# (without it each fuzz-* target is a plain corpus replayer). Corpus: tools/fuzz-corpus/TARGET/seeds
# (committed, small) and the dictionary tools/fuzz-corpus/TARGET.dict (if any) are read; new inputs go to .build-fuzz/corpus/TARGET (not committed); crashes,
# timeouts and out-of-memory inputs go to tools/fuzz-corpus/TARGET/crashes. The libFuzzer log is
# .build-fuzz/logs/TARGET.log; the last line with cov/ft is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

target=${1:?usage: tools/fuzz.sh TARGET SECONDS}
seconds=${2:?usage: tools/fuzz.sh TARGET SECONDS}
shift 2

case "$target" in
  safetensors) max_len=16384 ;;
  bin)         max_len=8192 ;;
  npy)         max_len=4096 ;;
  pickle)      max_len=8192 ;;
  zip)         max_len=16384 ;;
  jpeg)        max_len=16384 ;;
  png)         max_len=16384 ;;
  hdf5-stream) max_len=8192 ;;
  *) echo "unknown target '$target' (safetensors, bin, npy, pickle, zip, jpeg, png, hdf5-stream)" >&2; exit 2 ;;
esac

scratch=.build-fuzz
swift build --scratch-path "$scratch" -c debug --product "fuzz-$target" \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING 2>&1 | grep -v 'Cannot export local symbol' >&2

seeds=tools/fuzz-corpus/$target/seeds
crashes=tools/fuzz-corpus/$target/crashes
work=$scratch/corpus/$target
mkdir -p "$seeds" "$crashes" "$work" "$scratch/logs"
log=$scratch/logs/$target.log
dict=()
[ -f "tools/fuzz-corpus/$target.dict" ] && dict=(-dict="tools/fuzz-corpus/$target.dict")

set +e
"$scratch/debug/fuzz-$target" "$work" "$seeds" \
  -max_total_time="$seconds" -rss_limit_mb=2048 -max_len="$max_len" -timeout=10 \
  -print_final_stats=1 \
  -artifact_prefix="$crashes/" "${dict[@]}" "$@" >"$log" 2>&1
status=$?
set -e

grep -E '^#[0-9]+' "$log" | tail -1 || true
grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$log" | tail -2 || true
ls "$crashes" | grep -v '^README' || true
exit $status
