#!/usr/bin/env bash
# Shows that the RTL, the compiler and the machine model all follow
# sw/isa/isa.def: in a scratch copy of the source tree, moves the PARAM
# record's shift byte from 8 to 12, regenerates the package, builds the
# executors with only the 4x4 RTL plugin, the PARAM probe and a driver of
# random layers (tests/sw/contract/follow_driver.cc), then checks
#  1. the regenerated rtl/sparq_isa_pkg.sv puts the shift at bit 120;
#  2. the compiler packs the probe's record with the shift at byte 15
#     (expected bytes written out by hand below), so the edit took effect;
#  3. twelve seeded random conv and fc layers match golden on every output
#     element on the machine model and on the 4x4 RTL. A consumer that kept
#     the old offset reads the shift from a zero byte and mismatches.
#
#   contract_follow_test.sh <source dir> <scratch dir>
#
# Cost: the verilated 4x4 top and everything that includes sw/isa.h are
# rebuilt; the rest comes from ccache when CCACHE_DIR is shared.
set -euo pipefail

src="$(cd "$1" && pwd)"
work="$2"
jobs="${SPARQ_CONTRACT_JOBS:-2}"

rm -rf "$work"
mkdir -p "$work/src"
work="$(cd "$work" && pwd)"
copy="$work/src"
for d in CMakeLists.txt golden sw sim rtl bench tests configs; do
  cp -r "$src/$d" "$copy/"
done

# ccache hits need the same relative paths: mirror <src>/build by <copy>/build
# and rewrite both under their common parent.
if [ -z "${CCACHE_BASEDIR:-}" ]; then
  base="$src"
  while [ "$base" != / ] && [ "${copy#"$base"/}" = "$copy" ]; do
    base="$(dirname "$base")"
  done
  export CCACHE_BASEDIR="$base"
fi

def="$copy/sw/isa/isa.def"
sed -i 's/^SPARQ_PARAM_FIELD(Shift, *8, 1, 1,/SPARQ_PARAM_FIELD(Shift, 15, 1, 1,/' "$def"
if [ "$(grep -c '^SPARQ_PARAM_FIELD(Shift, 15, 1, 1,' "$def")" -ne 1 ]; then
  echo "contract_follow_test: could not move the shift field in isa.def" >&2
  exit 1
fi

start=$(date +%s)
cmake -S "$copy" -B "$copy/build" -DCMAKE_BUILD_TYPE=Release \
      -DSPARQ_RTL_CONFIGS=4x4 -DSPARQ_SHARED_DIR="$work/no_shared" >"$work/configure.log"
cmake --build "$copy/build" --target isa_regen >"$work/regen.log"
if ! grep -q 'localparam int ParamShiftLsb = 120;' "$copy/rtl/sparq_isa_pkg.sv"; then
  echo "contract_follow_test: isa_regen did not move ParamShiftLsb to 120" >&2
  exit 1
fi
cmake --build "$copy/build" -j"$jobs" --target contract_follow_driver sparq_rtl_4x4 contract_param_probe \
      >"$work/build.log" 2>&1 || { tail -40 "$work/build.log" >&2; exit 1; }
echo "contract_follow_test: scratch build in $(( $(date +%s) - start )) s"

# bias 0x11223344 | M0 0x55667788 | bytes 8..14 zero (the old shift byte,
# A16W8's BiasHi and Mult15) | shift -5 at byte 15
want="4433221188776655""00000000000000""fb"
got="$("$copy/build/tests/sw/contract_param_probe")"
if [ "$got" != "$want" ]; then
  echo "contract_follow_test: PARAM record $got, expected $want" >&2
  exit 1
fi
echo "contract_follow_test: compiler packs the PARAM record as $got"

"$copy/build/tests/sw/contract_follow_driver"
echo "contract_follow_test: passed in $(( $(date +%s) - start )) s"
