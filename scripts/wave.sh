#!/usr/bin/env bash
# make wave: open the newest FST trace under DIR (default build/waves) in
# GTKWave with the saved layout rtl/sparq.gtkw (array, DMA, controller groups).
set -euo pipefail
dir="${1:-build/waves}"
fst=$(ls -t "$dir"/*.fst 2>/dev/null | head -n 1 || true)
if [ -z "$fst" ]; then
  echo "wave: no .fst trace in $dir; make one with 'make sim' or" >&2
  echo "      build/sim/sparq run CONFIG.yaml --backend rtl --trace $dir/run.fst --trace-from 0 --trace-to 5000" >&2
  exit 1
fi
layout="$(dirname "$0")/../rtl/sparq.gtkw"
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "wave: no display; on a desktop run: gtkwave $fst $layout" >&2
  exit 1
fi
echo "wave: gtkwave $fst"
exec gtkwave "$fst" "$layout"
