#!/usr/bin/env bash
# make synth: Yosys synthesis of sparq_top with constraints/synth.ys.
# Fails if synthesis fails or a latch is inferred; prints the cell count of
# every module and of the whole hierarchy. Log and statistics go to
# $BUILD/synth (default build/synth).
#
#   ARRAY=4x4 scripts/synth.sh      synthesize another array size
#   SPARQ_RTL_EXTRA="a.sv b.sv"      extra sources (a module developed elsewhere)
#   PE_ARRAY=4x4 scripts/synth.sh   also whole arrays: sparq_array with and
#                                    without the 2:4 mode against an int8-only
#                                    array (constraints/sparq_array_int8.sv)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="${BUILD:-$root/build}/synth"
mkdir -p "$out"
cd "$root"

script="$out/synth.ys"
cp constraints/synth.ys "$script"
if [ -n "${ARRAY:-}" ]; then
  rows="${ARRAY%x*}"
  cols="${ARRAY#*x}"
  sed -i "s/-chparam ArrayRows 16 -chparam ArrayCols 16/-chparam ArrayRows $rows -chparam ArrayCols $cols/" "$script"
fi
if [ -n "${SPARQ_RTL_EXTRA:-}" ]; then
  extra=""
  for f in $SPARQ_RTL_EXTRA; do extra+=" $(realpath "$f")"; done
  sed -i "s|^read_verilog -sv -DSYNTHESIS -overwrite -Irtl rtl/sparq_\*.sv$|&\nread_verilog -sv -DSYNTHESIS -Irtl$extra|" "$script"
fi
sed -i "s|tee -o synth_stat.txt|tee -o $out/synth_stat.txt|" "$script"

echo "synth: yosys -s $script (log: $out/yosys.log)"
start=$(date +%s)
if ! yosys -q -l "$out/yosys.log" -s "$script" >/dev/null 2>"$out/yosys.err"; then
  echo "synth: FAILED" >&2
  grep -E "ERROR|Assertion failed|found [0-9]+ (cells|objects)" "$out/yosys.log" "$out/yosys.err" >&2 || tail -20 "$out/yosys.log" >&2
  exit 1
fi
echo "synth: done in $(( $(date +%s) - start )) s, no latches"

# Cells and flip-flops per module (counted once however often it is
# instantiated; "xN" gives the number of instances), named with the
# parameters Yosys hides behind a hash, then the totals of the flattened
# hierarchy under sparq_top. Reads the log (names), then the statistics
# twice (instance counts, then cells).
awk '
  FNR == 1 { file++ }
  file == 1 {
    if ($0 ~ /^Parameter \\/) {
      p = $0; sub(/^Parameter \\/, "", p); gsub(/ /, "", p)
      params = params sep p; sep = ","
      next
    }
    if ($0 ~ /^Generating RTLIL representation for module `\$paramod/) {
      m = $0; sub(/^[^`]*`/, "", m); sub(/..$/, "", m)
      base = m; sub(/.*\\/, "", base)
      if (m ~ /\\.*=/) { base = m; sub(/^\$paramod\\/, "", base); sub(/\\.*/, "", base) }
      pretty[m] = base "(" params ")"
    }
    params = ""; sep = ""
    next
  }
  file == 2 {
    if ($0 ~ /=== design hierarchy ===/) { inhier = 1; next }
    if (inhier && $0 ~ /Number of/) { inhier = 0 }
    if (inhier && NF == 2) {
      match($0, /^ */); depth = (RLENGTH - 3) / 2
      mult[depth] = $2 * (depth > 0 ? mult[depth - 1] : 1)
      inst[$1] += mult[depth]
    }
    next
  }
  /^=== / { mod = $2; hier = (mod == "design"); next }
  /Number of cells:/ { cells = $4; ffs = 0; next }
  $1 ~ /DFF/ { ffs += $2; next }
  /^$/ && cells != "" {
    name = (mod in pretty) ? pretty[mod] : mod
    count = (mod in inst) ? "x" inst[mod] : ""
    if (hier) { name = "TOTAL sparq_top hierarchy"; count = "" }
    printf "  %9d cells %8d flops %6s  %s\n", cells, ffs, count, name
    cells = ""
  }
' "$out/yosys.log" "$out/synth_stat.txt" "$out/synth_stat.txt"
echo "synth: memory macros (kept as \$mem_v2):"
grep -E '^\s+\$mem_v2' "$out/synth_stat.txt" | tail -1 || true
echo "synth: statistics in $out/synth_stat.txt"

# The PE alone: multi-precision (with and without the 2:4 mode) against the
# int8-only one it replaced, and the ratio. The 2:4 mode also costs each PE
# half a 16-bit pair-chain stage in sparq_array (8 flops), counted in its row.
pe_synth() {  # pe_synth NAME TOP CHPARAMS: prints "cells flops"
  sed -e "s/-top TOP/-top $2/" -e "s/-chparam SumW 20/-chparam SumW 20 $3/" \
    -e "s|tee -o pe_stat.txt|tee -o $out/$1_stat.txt|" \
    constraints/synth_pe.ys > "$out/synth_$1.ys"
  if ! yosys -q -l "$out/yosys_$1.log" -s "$out/synth_$1.ys" >/dev/null 2>"$out/yosys_$1.err"; then
    echo "synth: FAILED on $1 alone" >&2
    tail -20 "$out/yosys_$1.log" >&2
    exit 1
  fi
  awk '/Number of cells:/ { n = $4 } $1 ~ /DFF/ { f += $2 } END { print n, f + 0 }' \
    "$out/$1_stat.txt"
}
read -r c8 f8 < <(pe_synth sparq_pe_int8 sparq_pe_int8 "")
read -r cnm fnm < <(pe_synth sparq_pe sparq_pe "")
read -r cno fno < <(pe_synth sparq_pe_nonm sparq_pe "-chparam NmSparse 0")
printf "synth: PE alone (SumW 20): %6d cells %4d flops          int8-only (sparq_pe_int8)\n" \
  "$c8" "$f8"
awk -v c="$cno" -v f="$fno" -v b="$c8" 'BEGIN {
  printf "synth: PE alone (SumW 20): %6d cells %4d flops  %5.3fx  every mode but 2:4 (NmSparse 0)\n", c, f, c / b }'
awk -v c="$cnm" -v f="$fnm" -v b="$c8" 'BEGIN {
  printf "synth: PE alone (SumW 20): %6d cells %4d flops  %5.3fx  every mode with 2:4 (NmSparse 1, default)\n", c, f, c / b
  printf "synth: PE + 8 chain flops: %6d cells        (+8)  %5.3fx  the 2:4 PE with its pair-chain share\n", c + 8, (c + 8) / b }'

# Whole arrays (PE_ARRAY=RxC, e.g. 4x4; minutes): sparq_array with and
# without the 2:4 mode against constraints/sparq_array_int8.sv, flattened.
if [ -n "${PE_ARRAY:-}" ]; then
  rows="${PE_ARRAY%x*}"
  cols="${PE_ARRAY#*x}"
  sumw=$(awk -v r="$rows" 'BEGIN { b = 0; while (2 ^ b < r) b++; print 16 + b }')
  arr="-chparam ArrayRows $rows -chparam ArrayCols $cols"
  arr_synth() {  # arr_synth NAME TOP CHPARAMS
    sed -e "s#rtl/sparq_pe.sv#rtl/sparq_pe.sv rtl/sparq_array.sv constraints/sparq_array_int8.sv#" \
      -e "s/-top TOP/-top $2/" -e "s/-chparam SumW 20/$arr -chparam SumW $sumw $3/" \
      -e "s/^hierarchy.*/&\nflatten/" -e "s|tee -o pe_stat.txt|tee -o $out/$1_stat.txt|" \
      constraints/synth_pe.ys > "$out/synth_$1.ys"
    if ! yosys -q -l "$out/yosys_$1.log" -s "$out/synth_$1.ys" >/dev/null 2>"$out/yosys_$1.err"; then
      echo "synth: FAILED on $1" >&2
      tail -20 "$out/yosys_$1.log" >&2
      exit 1
    fi
    awk '/Number of cells:/ { n = $4 } $1 ~ /DFF/ { f += $2 } END { print n, f + 0 }' \
      "$out/$1_stat.txt"
  }
  read -r a8 g8 < <(arr_synth array_int8 sparq_array_int8 "")
  read -r ano gno < <(arr_synth array_nonm sparq_array "-chparam NmSparse 0")
  read -r anm gnm < <(arr_synth array sparq_array "")
  printf "synth: %s array (SumW %d): %7d cells %6d flops          int8-only (sparq_array_int8)\n" \
    "$PE_ARRAY" "$sumw" "$a8" "$g8"
  awk -v a="$PE_ARRAY" -v s="$sumw" -v c="$ano" -v f="$gno" -v b="$a8" 'BEGIN {
    printf "synth: %s array (SumW %d): %7d cells %6d flops  %5.3fx  every mode but 2:4\n", a, s, c, f, c / b }'
  awk -v a="$PE_ARRAY" -v s="$sumw" -v c="$anm" -v f="$gnm" -v b="$a8" 'BEGIN {
    printf "synth: %s array (SumW %d): %7d cells %6d flops  %5.3fx  every mode with 2:4\n", a, s, c, f, c / b }'
fi
