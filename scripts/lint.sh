#!/usr/bin/env bash
# make lint: `verilator --lint-only -Wall` with rtl/sparq_waivers.vlt, once per
# module of rtl/ as the top (default parameters), plus sparq_top in the 4x4
# test configuration. Exits non-zero if any run reports a warning or error.
#
# SPARQ_RTL_EXTRA: optional extra .sv files (e.g. a module under development
# elsewhere) added to every run.
set -uo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
rtl="$root/rtl"
pkg="$rtl/sparq_isa_pkg.sv"
waivers="$rtl/sparq_waivers.vlt"

mapfile -t modules < <(ls "$rtl"/sparq_*.sv | grep -v '/sparq_isa_pkg\.sv$')
# shellcheck disable=SC2206
extra=(${SPARQ_RTL_EXTRA:-})
sources=("$pkg" "${modules[@]}" "${extra[@]}")

lint() {  # lint TOP [extra verilator args...]
  local top="$1"
  shift
  local log
  log="$(verilator --lint-only -Wall -I"$rtl" "$waivers" "${sources[@]}" \
         --top-module "$top" "$@" 2>&1)"
  if [ $? -ne 0 ] || [ -n "$log" ]; then
    echo "lint: FAIL $top $*"
    echo "$log"
    return 1
  fi
  echo "lint: ok   $top $*"
}

failed=0
for f in "${modules[@]}"; do
  lint "$(basename "$f" .sv)" || failed=1
done
lint sparq_top -GArrayRows=4 -GArrayCols=4 || failed=1

if [ "$failed" -ne 0 ]; then
  echo "lint: warnings found" >&2
  exit 1
fi
echo "lint: clean"
