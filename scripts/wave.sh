#!/usr/bin/env bash
# make wave: open the newest FST trace under DIR (default build/waves) in
# GTKWave with the saved layout rtl/sparq.gtkw (array, DMA, controller groups;
# instruction words through `sparq disasm --filter`), or with the layout saved
# beside the trace (a mismatch window's NAME.gtkw from --trace-on-mismatch or
# a sparq_regress bundle, which opens on its window).
set -euo pipefail
dir="${1:-build/waves}"
fst=$(ls -t "$dir"/*.fst 2>/dev/null | head -n 1 || true)
if [ -z "$fst" ]; then
  echo "wave: no .fst trace in $dir; make one with 'make sim TRACE=1' or" >&2
  echo "      build/sim/sparq run CONFIG.yaml --backend rtl --trace $dir/run.fst --trace-from 0 --trace-to 5000" >&2
  exit 1
fi
layout="${fst%.fst}.gtkw"
if [ ! -f "$layout" ]; then
  # The saved layout, its translate filter pointed at this build's sparq.
  sparq="$(cd "$dir/.." && pwd)/sim/sparq"
  layout="$(mktemp --suffix=.gtkw)"
  sed "s|^\^>1 .*|^>1 $sparq disasm --filter|" \
    "$(dirname "$0")/../rtl/sparq.gtkw" > "$layout"
fi
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "wave: no display; on a desktop run: gtkwave $fst $layout" >&2
  exit 1
fi
echo "wave: gtkwave $fst"
exec gtkwave "$fst" "$layout"
