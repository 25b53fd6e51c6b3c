#!/usr/bin/env bash
# make synth: Yosys synthesis of sparq_top with constraints/synth.ys.
# Fails if synthesis fails or a latch is inferred; prints the cell count of
# every module and of the whole hierarchy. Log and statistics go to
# $BUILD/synth (default build/synth).
#
#   ARRAY=4x4 scripts/synth.sh      synthesize another array size
#   SPARQ_RTL_EXTRA="a.sv b.sv"      extra sources (a module developed elsewhere)
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

# The PE alone: multi-precision against the int8-only one it replaced.
for pe in sparq_pe sparq_pe_int8; do
  sed -e "s/-top TOP/-top $pe/" -e "s|tee -o pe_stat.txt|tee -o $out/${pe}_stat.txt|" \
    constraints/synth_pe.ys > "$out/synth_$pe.ys"
  if ! yosys -q -l "$out/yosys_$pe.log" -s "$out/synth_$pe.ys" >/dev/null 2>"$out/yosys_$pe.err"; then
    echo "synth: FAILED on $pe alone" >&2
    tail -20 "$out/yosys_$pe.log" >&2
    exit 1
  fi
  cells=$(awk '/Number of cells:/ { n = $4 } END { print n }' "$out/${pe}_stat.txt")
  flops=$(awk '$1 ~ /DFF/ { n += $2 } END { print n + 0 }' "$out/${pe}_stat.txt")
  printf "synth: PE alone (SumW 20): %9d cells %6d flops  %s\n" "$cells" "$flops" "$pe"
done
# The PE of a build without the 2:4 mode (sparq_top NmSparse = 0).
sed -e "s/-top TOP/-top sparq_pe/" -e "s/-chparam SumW 20/-chparam SumW 20 -chparam NmSparse 0/" \
  -e "s|tee -o pe_stat.txt|tee -o $out/sparq_pe_nonm_stat.txt|" \
  constraints/synth_pe.ys > "$out/synth_sparq_pe_nonm.ys"
if ! yosys -q -l "$out/yosys_sparq_pe_nonm.log" -s "$out/synth_sparq_pe_nonm.ys" >/dev/null \
     2>"$out/yosys_sparq_pe_nonm.err"; then
  echo "synth: FAILED on sparq_pe without N:M alone" >&2
  exit 1
fi
cells=$(awk '/Number of cells:/ { n = $4 } END { print n }' "$out/sparq_pe_nonm_stat.txt")
flops=$(awk '$1 ~ /DFF/ { n += $2 } END { print n + 0 }' "$out/sparq_pe_nonm_stat.txt")
printf "synth: PE alone (SumW 20): %9d cells %6d flops  sparq_pe (NmSparse 0, no 2:4 mode)\n" \
  "$cells" "$flops"
