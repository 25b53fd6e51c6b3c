# sparq: thin wrapper over CMake, CTest, Verilator and Yosys.
#
#   make sim     build the sparq binary and the 16x16 RTL plugin only, and run
#                the default demo (configs/default.yaml) on the machine model
#                and the RTL, every output compared
#   make test    build everything (every RTL configuration) and run every
#                test (CTest)
#   make bench   simulated cycles/s and array utilization (ResNet-18 layers,
#                then person_detect and ds_cnn_s per layer and whole network);
#                BENCH_ARGS passes options, e.g.
#                BENCH_ARGS="--array 32x32 --dram-bits 256" (that plugin must
#                be configured: -DSPARQ_RTL_CONFIGS="4x4;16x16;32x32@256")
#   make test-wide  a second build (BUILD_WIDE) with the 32x32 array on a
#                256-bit DRAM port: its random RTL layers, its example on both
#                backends, and the bench on it
#   make wave    open the newest FST trace in GTKWave with the saved layout
#   make lint    verilator --lint-only -Wall on every RTL module, and an
#                Icarus (iverilog -g2012) compile of sparq_top
#   make synth   Yosys synthesis of sparq_top: latch check, cells per module
#   make clean   remove build outputs
#
# Both `sim` and `test` first install any missing Debian packages
# (scripts/install-deps.sh). Variables: BUILD (build dir), JOBS, CONFIG,
# BENCH_ARGS.

BUILD  ?= build
JOBS   ?= $(shell nproc)
CONFIG ?= configs/default.yaml
BENCH_ARGS ?=
SPARQ  := $(BUILD)/sim/sparq

.PHONY: all deps configure build sim test test-wide bench wave lint synth clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

configure: $(BUILD)/CMakeCache.txt

build: deps configure
	cmake --build $(BUILD) -j $(JOBS)

# Only what the demo runs: a CONFIG on another array names the plugin to build.
sim: deps configure
	cmake --build $(BUILD) -j $(JOBS) --target sparq sparq_rtl_16x16
	@mkdir -p $(BUILD)/waves
	$(SPARQ) run $(CONFIG) --trace $(BUILD)/waves/sim.fst --trace-to 20000 --json $(BUILD)/sim_report.json --outputs $(BUILD)/sim_outputs

test: build
	cd $(BUILD) && ctest -j $(JOBS) --output-on-failure

# The configuration larger than the default and on a non-128-bit port, in a
# build of its own so that `make test` does not verilate it.
BUILD_WIDE ?= build-wide
test-wide: deps
	cmake -S . -B $(BUILD_WIDE) -DCMAKE_BUILD_TYPE=Release -DSPARQ_RTL_CONFIGS="4x4;32x32@256"
	cmake --build $(BUILD_WIDE) -j $(JOBS) --target rtl_golden_test sparq sparq_bench sparq_rtl_32x32_256
	cd $(BUILD_WIDE) && ctest -j $(JOBS) --output-on-failure -R "Rtl32x32|sparq_run_wide_port_rtl"
	$(BUILD_WIDE)/bench/sparq_bench --array 32x32 --dram-bits 256

bench: deps configure
	cmake --build $(BUILD) -j $(JOBS) --target sparq_bench
	$(BUILD)/bench/sparq_bench $(BENCH_ARGS)

wave:
	@scripts/wave.sh $(BUILD)/waves

lint:
	@scripts/lint.sh

synth:
	@scripts/synth.sh

clean:
	rm -rf $(BUILD) $(BUILD_WIDE)

# Compression on Fashion-MNIST (docs/compression.md). Full training runs, not
# part of `make test`:
#   make train      retrain models/baseline (15 epochs, about 20 min on one core)
#   make compress   apply RECIPE to the baseline; writes $(BUILD)/compress/<name>/
#                   (model.yaml for `sparq run`, weights/, report.md)
RECIPE ?= models/recipes/combined.yaml

.PHONY: train compress

train: deps configure
	cmake --build $(BUILD) -j $(JOBS) --target sparq_train
	$(BUILD)/golden/compress/sparq_train --out models/baseline

compress: deps configure
	cmake --build $(BUILD) -j $(JOBS) --target sparq
	$(SPARQ) compress $(RECIPE) --out $(BUILD)/compress/$(basename $(notdir $(RECIPE)))
