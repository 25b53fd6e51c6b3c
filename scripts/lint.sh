#!/usr/bin/env bash
# make lint: `verilator --lint-only -Wall` with rtl/sparq_waivers.vlt, once per
# module of rtl/ as the top (default parameters), plus sparq_top in the 4x4
# test configuration; then Icarus Verilog (`iverilog -g2012 -Wall`) elaborates
# sparq_top in the 4x4 and the default 16x16 configuration. Exits non-zero if
# any run reports an error or a warning not listed in icarus_known below.
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

# Icarus 11 warnings that stay, each matched by its whole text:
# - "sorry: constant selects in always_* processes are not currently supported
#   (all bits will be included)": an always_comb that reads a fixed slice or a
#   struct field of a vector becomes sensitive to the whole vector under
#   Icarus 11. That only re-runs the block more often; it cannot change a
#   result, as none of these blocks reads a variable it assigns. Rewriting the
#   slices as separate continuous assignments would only serve this version.
icarus_known='^[^:]+:[0-9]+: sorry: constant selects in always_\* processes are not currently supported \(all bits will be included\)\.$'

icarus() {  # icarus ROWS COLS
  local rows="$1" cols="$2"
  local log rc unknown
  log="$(iverilog -g2012 -Wall -I"$rtl" -o /dev/null -s sparq_top \
         -Psparq_top.ArrayRows="$rows" -Psparq_top.ArrayCols="$cols" \
         "${sources[@]}" 2>&1)"
  rc=$?
  unknown="$(grep -Ev "$icarus_known" <<<"$log")"
  if [ "$rc" -ne 0 ] || [ -n "$unknown" ]; then
    echo "lint: FAIL iverilog sparq_top ${rows}x${cols}"
    echo "$log"
    return 1
  fi
  echo "lint: ok   iverilog sparq_top ${rows}x${cols} ($(grep -c . <<<"$log") known warnings)"
}

failed=0
for f in "${modules[@]}"; do
  lint "$(basename "$f" .sv)" || failed=1
done
lint sparq_top -GArrayRows=4 -GArrayCols=4 || failed=1
icarus 4 4 || failed=1
icarus 16 16 || failed=1

if [ "$failed" -ne 0 ]; then
  echo "lint: warnings found" >&2
  exit 1
fi
echo "lint: clean"
