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
#                backends, and the bench on it (WIDE_BENCH_ARGS: its options;
#                CI runs one layer of it); and the 4x4 array without the 2:4
#                mode (4x4-nonm): nonm_rtl_test
#   make regress seeded random layers on the RTL against golden, every output
#                compared; N layers (default 1000) on the ARRAY build (default
#                4x4), split over JOBS worker processes; SHARD=i/n runs only
#                the seeds with seed % n == i (a farm gives each machine one
#                shard); SEED0 is the first seed. Failures are shrunk and
#                written as repro bundles under $(BUILD)/regress/
#   make wave    open the newest FST trace in GTKWave with the saved layout
#   make lint    verilator --lint-only -Wall on every RTL module, and an
#                Icarus (iverilog -g2012) compile of sparq_top
#   make synth   Yosys synthesis of sparq_top: latch check, cells per module
#   make sanitize  a build of its own (BUILD_SAN, clang) with ASan + UBSan over
#                the C++ code and the verilated 4x4 model's plugin: the unit
#                tests, the bad-input corpus and a short RTL slice under it
#   make sanitize-ci  CI's size of it (.ci/run), in the same BUILD_SAN: only
#                the unit tests (golden, sw, sim, compress; the bad-input
#                corpus) and a short RTL slice on the 4x4 model are built and
#                run (SAN_CI_DIRS, SAN_CI_TARGETS, SAN_CI_EXCLUDE)
#   make fuzz    the libFuzzer harnesses (in BUILD_SAN too), each run for
#                FUZZ_SECONDS (default 600) from its seed corpus in tests/fuzz/
#   make clean   remove build outputs
#
# Both `sim` and `test` first install any missing Debian packages
# (scripts/install-deps.sh). Variables: BUILD (build dir), JOBS, CONFIG,
# BENCH_ARGS, TRACE (make sim: an FST of cycles TRACE_FROM..TRACE_TO; off by
# default so that the run shows the untraced speed), N, SHARD, SEED0, ARRAY.

BUILD  ?= build
JOBS   ?= $(shell nproc)
CONFIG ?= configs/default.yaml
BENCH_ARGS ?=
SPARQ  := $(BUILD)/sim/sparq

TRACE ?=
TRACE_FROM ?= 0
TRACE_TO ?= 20000
N ?= 1000
SHARD ?= 0/1
SEED0 ?= 0
ARRAY ?= 4x4

.PHONY: all deps configure build sim test test-wide bench wave lint synth clean regress \
        sanitize sanitize-ci fuzz

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
	$(SPARQ) run $(CONFIG) $(if $(TRACE),--trace $(BUILD)/waves/sim.fst --trace-from $(TRACE_FROM) --trace-to $(TRACE_TO)) --json $(BUILD)/sim_report.json --outputs $(BUILD)/sim_outputs

test: build
	cd $(BUILD) && ctest -j $(JOBS) --output-on-failure

# The configuration larger than the default and on a non-128-bit port, in a
# build of its own so that `make test` does not verilate it.
BUILD_WIDE ?= build-wide
WIDE_BENCH_ARGS ?=
test-wide: deps
	cmake -S . -B $(BUILD_WIDE) -DCMAKE_BUILD_TYPE=Release -DSPARQ_RTL_CONFIGS="4x4;32x32@256;4x4-nonm"
	cmake --build $(BUILD_WIDE) -j $(JOBS) --target rtl_golden_test nonm_rtl_test sparq sparq_bench sparq_rtl_32x32_256 sparq_rtl_4x4_nonm
	cd $(BUILD_WIDE) && ctest -j $(JOBS) --output-on-failure -R "Rtl32x32|sparq_run_wide_port_rtl|Nonm"
	$(BUILD_WIDE)/bench/sparq_bench --array 32x32 --dram-bits 256 $(WIDE_BENCH_ARGS)

bench: deps configure
	cmake --build $(BUILD) -j $(JOBS) --target sparq_bench
	$(BUILD)/bench/sparq_bench $(BENCH_ARGS)

regress: deps configure
	cmake --build $(BUILD) -j $(JOBS) --target sparq sparq_regress sparq_rtl_$(subst @,_,$(ARRAY))
	$(BUILD)/sim/regress/sparq_regress run --count $(N) --first $(SEED0) --shard $(SHARD) --jobs $(JOBS) --array $(ARRAY) --out $(BUILD)/regress

# One instrumented build (BUILD_SAN, clang 14, ASan + UBSan, libFuzzer's
# coverage hooks) serves both `make sanitize` and `make fuzz`, so that CI
# compiles the code twice (plain and instrumented), not three times.
BUILD_SAN ?= build-sanitize
SAN_CMAKE := -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSPARQ_SANITIZE=ON \
  -DSPARQ_FUZZ=ON -DSPARQ_BUILD_RTL=ON -DSPARQ_RTL_CONFIGS="4x4" \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14

# Under ASan + UBSan (halting on the first report): every test but the
# trainer's long runs, the contract test (a CMake build of its own) and the
# fuzzers (label fuzz). That includes the bad-input corpus and the RTL slice:
# the 4x4 array's block tests, end-to-end runs and random layers.
SAN_EXCLUDE ?= contract_follow_test|CompressRunTest|TrainTest|FashionMnist|RtlElabTest
SAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
sanitize: deps
	cmake -S . -B $(BUILD_SAN) $(SAN_CMAKE) -DSPARQ_RTL_BLOCK_TESTS=ON
	cmake --build $(BUILD_SAN) -j $(JOBS)
	cd $(BUILD_SAN) && $(SAN_ENV) \
	  ctest -j $(JOBS) --output-on-failure -LE fuzz -E "$(SAN_EXCLUDE)"

# CI's run (.ci/run), as small as the requirement allows: it builds only the
# unit tests' folders (golden, sw, sim with the CLI and the bad-input
# corpus, compress) and the RTL slice's targets (the 4x4 model's plugin, the
# 4x4 top's test, the random-layer e2e test), not the block-level RTL
# testbenches, the regression's fault model or the other RTL e2e tests
# (make sanitize runs those; make test runs everything uninstrumented).
# Tests whose program is not built (CTest's <target>_NOT_BUILT) and the
# Icarus tests (not C++) are skipped, and so are the runs that take minutes
# each under the sanitizers: the networks and compressed models on the RTL
# (person_detect, ds_cnn_s, the Fashion-MNIST models and the `sparq
# compress` fixtures they need) and all but the first ten seeds of each
# random RTL layer suite. The RTL slice that runs: 40 random layers (10 of
# the random suite, 10 of each of the a8w4, a8w2, a4w4 mode suites), the
# CMSIS-NN vectors and small networks on the 4x4 RTL, the 4x4 top's tests
# and the CLI's RTL runs of the small examples.
SAN_CI_DIRS ?= tests/golden tests/sw tests/sim tests/compress
SAN_CI_TARGETS ?= sparq sparq_isagen sparq_rtl_4x4 sparq_top_test rtl_golden_test
SAN_CI_EXCLUDE ?= OnRtl$$|RtlReproduces|_ds_cnn_s_rtl|_person_detect_rtl|compress_|_compressed_|SparseModelsRtlTest|RtlDepthwiseNetworkTest|regress_slice|Seeds/Rtl.*[/_][1-9][0-9]+( |$$)|_NOT_BUILT$$|^IcarusTest[.]
sanitize-ci: deps
	cmake -S . -B $(BUILD_SAN) $(SAN_CMAKE) -DSPARQ_RTL_BLOCK_TESTS=OFF
	cmake --build $(BUILD_SAN) -j $(JOBS) --target $(SAN_CI_TARGETS)
	for d in $(SAN_CI_DIRS); do $(MAKE) -C $(BUILD_SAN)/$$d -j $(JOBS) all || exit 1; done
	cd $(BUILD_SAN) && $(SAN_ENV) \
	  ctest -j $(JOBS) --output-on-failure -LE fuzz -E "$(SAN_EXCLUDE)|$(SAN_CI_EXCLUDE)"

# libFuzzer harnesses (tests/fuzz), one after the other, in BUILD_SAN.
BUILD_FUZZ ?= $(BUILD_SAN)
FUZZ_SECONDS ?= 600
FUZZERS ?= npy isa run_config recipe tflite
fuzz: deps
	cmake -S . -B $(BUILD_FUZZ) $(SAN_CMAKE)
	cmake --build $(BUILD_FUZZ) -j $(JOBS) --target $(addprefix fuzz_,$(FUZZERS))
	@for f in $(FUZZERS); do \
	  echo "fuzz: $$f for $(FUZZ_SECONDS) s"; \
	  scripts/fuzz.sh $(BUILD_FUZZ)/tests/fuzz/fuzz_$$f tests/fuzz/corpus/$$f \
	    $(BUILD_FUZZ)/tests/fuzz/work/$$f $(FUZZ_SECONDS) || exit 1; \
	done

wave:
	@scripts/wave.sh $(BUILD)/waves

lint:
	@scripts/lint.sh

synth:
	@scripts/synth.sh

clean:
	rm -rf $(BUILD) $(BUILD_WIDE) $(BUILD_SAN) $(BUILD_FUZZ)

# Compression on Fashion-MNIST (docs/compression.md). Full training runs, not
# part of `make test`:
#   make train      retrain models/baseline (15 epochs, about 20 min on one core)
#   make compress   apply RECIPE to the baseline; writes $(BUILD)/compress/<name>/
#                   (model.yaml for `sparq run`, model_a8w8.yaml, weights/,
#                   report.md)
RECIPE ?= models/recipes/combined.yaml

.PHONY: train compress plots plots-data

# Plots of the compressed models (docs/compression.md, gnuplot from Debian):
#   make plots-data  runs every PLOT_RECIPES model written by `make compress`
#                    ($(BUILD)/compress/<recipe>/, or MODELS=...) on the
#                    16x16 RTL in its modes and as int8, and writes
#                    docs/plots/compression.dat (scripts/plots/collect.py)
#   make plots       draws docs/plots/accuracy_vs_{bytes,cycles}.svg from it
PLOT_RECIPES ?= int8 int4 ternary binary binary_act combined
MODELS ?= $(BUILD)/compress

plots-data: deps configure
	cmake --build $(BUILD) -j $(JOBS) --target sparq sparq_rtl_16x16
	scripts/plots/collect.py --sparq $(SPARQ) --models $(MODELS) \
	  --out docs/plots/compression.dat $(PLOT_RECIPES)

plots: deps
	gnuplot -e "data='docs/plots/compression.dat'; outdir='docs/plots'" \
	  scripts/plots/compression.gp

train: deps configure
	cmake --build $(BUILD) -j $(JOBS) --target sparq_train
	$(BUILD)/golden/compress/sparq_train --out models/baseline

compress: deps configure
	cmake --build $(BUILD) -j $(JOBS) --target sparq
	$(SPARQ) compress $(RECIPE) --out $(BUILD)/compress/$(basename $(notdir $(RECIPE)))
