#!/usr/bin/env bash
# Runs one libFuzzer harness for SECONDS: FUZZER SEEDS WORK SECONDS.
# The seeds are copied into WORK/corpus (the fuzzer grows that copy, never
# tests/), crashes go to WORK/ and fail the run. Prints exec/s at the end.
set -euo pipefail
fuzzer=$1 seeds=$2 work=$3 seconds=$4
mkdir -p "$work/corpus"
cp -n "$seeds"/* "$work/corpus/" 2>/dev/null || true
# -rss_limit_mb: the readers cap every allocation far below this.
set +e
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=3072 \
  -max_len=65536 -print_final_stats=1 -artifact_prefix="$work/" \
  "$work/corpus" >"$work/log" 2>&1
status=$?
set -e
grep -E "^(stat::|#[0-9]+ +DONE|==[0-9]+==|SUMMARY)" "$work/log" || true
if ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* >/dev/null 2>&1; then
  echo "fuzz.sh: $(basename "$fuzzer") found a failure, see $work/ and $work/log" >&2
  exit 1
fi
exit "$status"
