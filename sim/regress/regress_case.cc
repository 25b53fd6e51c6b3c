#include "sim/regress/regress_case.h"

#include <dlfcn.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <utility>

#include "golden/errors.h"
#include "golden/npy.h"
#include "sim/checker.h"
#include "golden/precision.h"
#include "sw/compiler.h"
#include "sw/lower_sparse.h"
#include "sw/runtime.h"
#include "tests/common/random_layers.h"

namespace sparq {
namespace {

namespace fs = std::filesystem;

// A stream of the seed that the layer generator does not use, so adding
// DRAM timing leaves the layer of a seed unchanged.
constexpr uint64_t kTimingStream = 0x9e3779b97f4a7c15ull;
// Likewise for the precision and sparsity draws.
constexpr uint64_t kModeStream = 0xc2b2ae3d27d4eb4full;

// Prunes the layer's weights to `density` (0: all zero; below one weight:
// exactly one non-zero) and, when `zero_acts`, sets about half of the input
// to raw 0 (the sparse engine skips raw-zero activations).
void Sparsify(SplitMix64* rng, double density, bool zero_acts,
              RegressCase* c) {
  Layer& l = c->net.layers.front();
  std::vector<int8_t>& w = l.weights.data;
  if (density > 0 && density * static_cast<double>(w.size()) < 1) {
    const size_t keep = static_cast<size_t>(
        RandInt(rng, 0, static_cast<int>(w.size()) - 1));
    const int8_t v = w[keep] != 0 ? w[keep] : int8_t{1};
    std::fill(w.begin(), w.end(), int8_t{0});
    w[keep] = v;
  } else {
    for (int8_t& v : w) {
      if (!Coin(rng, density)) v = 0;
    }
  }
  if (zero_acts) {
    for (int8_t& v : c->net.input.data) {
      if (Coin(rng, 0.5)) v = 0;
    }
  }
}

// The precision / sparsity draw of a case (RegressDims::modes).
void DrawModes(uint64_t seed, RegressCase* c) {
  SplitMix64 rng(seed ^ kModeStream);
  Layer& l = c->net.layers.front();
  const int pick = RandInt(&rng, 0, 9);
  if (pick < 2) {
    std::vector<Precision> narrow;
    // A1W1 takes grouped convs only with Cin_g a multiple of 8. A16W8 reads
    // int16 inputs, which these cases do not draw (its random layers:
    // tests/rtl/e2e/rtl_a16w8_test.cc).
    const bool a1w1_fits = l.kind != LayerKind::kConv || l.geom.groups == 1 ||
                           l.weights.dim(3) % 8 == 0;
    for (Precision p : {Precision::kA8W4, Precision::kA8W2, Precision::kA4W4,
                        Precision::kA1W1}) {
      if (PrecisionOnAccelerator(p) && (p != Precision::kA1W1 || a1w1_fits)) {
        narrow.push_back(p);
      }
    }
    if (narrow.empty()) return;
    const Precision p = narrow[static_cast<size_t>(
        RandInt(&rng, 0, static_cast<int>(narrow.size()) - 1))];
    NarrowLayer(&rng, p, &l);
    if (p == Precision::kA4W4) {  // int4 activations (NarrowLayer's rule)
      c->net.input = RandomTensor(&rng, c->net.input.shape, -8, 7);
    }
    if (p == Precision::kA1W1) RandomizeSigns(&rng, &c->net.input);
  } else if (pick < 4) {
    const double densities[] = {0.0, 1e-9, 0.05, 0.1, 0.25, 0.5, 1.0};
    const double d = densities[RandInt(&rng, 0, 6)];
    Sparsify(&rng, d, Coin(&rng, 0.5), c);
    // The sparse engine where it takes the layer, else the compiler's choice.
    try {
      l.engine = LayerEngine::kSparse;
      Compile(c->net, c->hw);
    } catch (const InputError&) {
      l.engine = LayerEngine::kAuto;
    }
  }
}

// Keeps the entries `keep` of dimension `dim`.
Tensor<int8_t> Slice(const Tensor<int8_t>& t, int dim,
                     const std::vector<int>& keep) {
  Shape shape = t.shape;
  shape[static_cast<size_t>(dim)] = static_cast<int>(keep.size());
  Tensor<int8_t> out(shape);
  size_t outer = 1, inner = 1;
  for (int d = 0; d < dim; ++d) outer *= static_cast<size_t>(t.dim(d));
  for (int d = dim + 1; d < t.rank(); ++d) inner *= static_cast<size_t>(t.dim(d));
  const size_t n = static_cast<size_t>(t.dim(dim));
  size_t o = 0;
  for (size_t a = 0; a < outer; ++a) {
    for (int k : keep) {
      const size_t src = (a * n + static_cast<size_t>(k)) * inner;
      std::copy(t.data.begin() + static_cast<std::ptrdiff_t>(src),
                t.data.begin() + static_cast<std::ptrdiff_t>(src + inner),
                out.data.begin() + static_cast<std::ptrdiff_t>(o));
      o += inner;
    }
  }
  return out;
}

std::vector<int> FirstN(int n) {
  std::vector<int> v;
  for (int i = 0; i < n; ++i) v.push_back(i);
  return v;
}

template <typename T>
std::vector<T> Pick(const std::vector<T>& v, const std::vector<int>& keep) {
  if (v.empty()) return v;
  std::vector<T> out;
  for (int k : keep) out.push_back(v[static_cast<size_t>(k)]);
  return out;
}

// Keeps output channels `keep` (weights dim 0, bias, multipliers, shifts).
void KeepOutputs(Layer* l, const std::vector<int>& keep) {
  l->weights = Slice(l->weights, 0, keep);
  l->bias = Pick(l->bias, keep);
  l->quant.multiplier = Pick(l->quant.multiplier, keep);
  l->quant.shift = Pick(l->quant.shift, keep);
}

// Smaller values to try for a size n >= lo: lo, n/2, n-1 (distinct, < n).
std::vector<int> Smaller(int n, int lo) {
  std::vector<int> v;
  for (int c : {lo, n / 2, n - 1}) {
    if (c >= lo && c < n && std::find(v.begin(), v.end(), c) == v.end()) {
      v.push_back(c);
    }
  }
  return v;
}

// Every one-step reduction of a case, biggest first.
std::vector<RegressCase> Candidates(const RegressCase& c) {
  std::vector<RegressCase> out;
  const Layer& l = c.net.layers.front();
  const Tensor<int8_t>& x = c.net.input;
  const auto with = [&](const std::function<void(RegressCase*)>& f) {
    RegressCase n = c;
    f(&n);
    out.push_back(std::move(n));
  };
  if (x.dim(0) > 1) {
    with([](RegressCase* n) { n->net.input = Slice(n->net.input, 0, {0}); });
  }
  if (l.kind == LayerKind::kConv) {
    const int g = l.geom.groups;
    const int cin_g = x.dim(3) / g;
    const int cout_g = l.weights.dim(0) / g;
    // Spatial size.
    for (int dim : {1, 2}) {
      for (int s : Smaller(x.dim(dim), 1)) {
        with([=](RegressCase* n) {
          n->net.input = Slice(n->net.input, dim, FirstN(s));
        });
      }
    }
    // Groups: drop the last ones.
    for (int ng : Smaller(g, 1)) {
      with([=](RegressCase* n) {
        Layer& m = n->net.layers.front();
        n->net.input = Slice(n->net.input, 3, FirstN(ng * cin_g));
        KeepOutputs(&m, FirstN(ng * cout_g));
        m.geom.groups = ng;
      });
    }
    // Output channels per group.
    for (int nc : Smaller(cout_g, 1)) {
      with([=](RegressCase* n) {
        std::vector<int> keep;
        for (int grp = 0; grp < g; ++grp) {
          for (int j = 0; j < nc; ++j) keep.push_back(grp * cout_g + j);
        }
        KeepOutputs(&n->net.layers.front(), keep);
      });
    }
    // Input channels per group.
    for (int nc : Smaller(cin_g, 1)) {
      with([=](RegressCase* n) {
        std::vector<int> keep;
        for (int grp = 0; grp < g; ++grp) {
          for (int j = 0; j < nc; ++j) keep.push_back(grp * cin_g + j);
        }
        n->net.input = Slice(n->net.input, 3, keep);
        Layer& m = n->net.layers.front();
        m.weights = Slice(m.weights, 3, FirstN(nc));
      });
    }
    // Kernel.
    for (int dim : {1, 2}) {
      for (int k : Smaller(l.weights.dim(dim), 1)) {
        with([=](RegressCase* n) {
          Layer& m = n->net.layers.front();
          m.weights = Slice(m.weights, dim, FirstN(k));
        });
      }
    }
    // Geometry to its plainest.
    const std::vector<int ConvGeometry::*> fields = {
        &ConvGeometry::stride_h,   &ConvGeometry::stride_w,
        &ConvGeometry::dilation_h, &ConvGeometry::dilation_w};
    for (auto f : fields) {
      if (l.geom.*f > 1) {
        with([=](RegressCase* n) { n->net.layers.front().geom.*f = 1; });
      }
    }
    const std::vector<int ConvGeometry::*> pads = {
        &ConvGeometry::pad_top, &ConvGeometry::pad_left,
        &ConvGeometry::pad_bottom, &ConvGeometry::pad_right};
    for (auto f : pads) {
      if (l.geom.*f > 0) {
        with([=](RegressCase* n) { n->net.layers.front().geom.*f = 0; });
      }
    }
  } else {
    if (x.rank() == 4) {  // fc flattens NHWC: the same data as [N, H*W*C]
      with([](RegressCase* n) {
        Tensor<int8_t>& in = n->net.input;
        in.shape = {in.dim(0), static_cast<int>(in.size()) / in.dim(0)};
      });
    } else {
      for (int f : Smaller(x.dim(1), 1)) {
        with([=](RegressCase* n) {
          n->net.input = Slice(n->net.input, 1, FirstN(f));
          Layer& m = n->net.layers.front();
          m.weights = Slice(m.weights, 1, FirstN(f));
        });
      }
    }
    for (int o : Smaller(l.weights.dim(0), 1)) {
      with([=](RegressCase* n) { KeepOutputs(&n->net.layers.front(), FirstN(o)); });
    }
  }
  // Modes to their plainest: the narrow weights are valid int8 weights, and
  // the dense array computes what the sparse engine does.
  if (l.precision != Precision::kA8W8) {
    with([](RegressCase* n) {
      n->net.layers.front().precision = Precision::kA8W8;
    });
  }
  if (l.engine == LayerEngine::kSparse) {
    with([](RegressCase* n) {
      n->net.layers.front().engine = LayerEngine::kDense;
    });
  }
  if (c.hw.dram_stall > 0) {
    with([](RegressCase* n) { n->hw.dram_stall = 0; });
  }
  if (c.hw.dram_latency > 1) {
    with([](RegressCase* n) { n->hw.dram_latency = 1; });
  }
  return out;
}

bool Valid(const RegressCase& c) {
  try {
    InferOutputShape(c.net.layers.front(), {c.net.input.shape});
    return true;
  } catch (const InputError&) {
    return false;
  }
}

template <typename T>
std::string List(const std::vector<T>& v) {
  std::ostringstream s;
  s << "[";
  for (size_t i = 0; i < v.size(); ++i) s << (i ? ", " : "") << v[i];
  s << "]";
  return s.str();
}

}  // namespace

RegressCase DrawCase(uint64_t seed, const RegressDims& dims) {
  RegressCase c;
  c.seed = seed;
  RandomLayerOptions opts;
  opts.max_channels = dims.max_channels;
  c.net = RandomLayerNetwork(seed, opts);
  c.hw = HwConfig::ForArray(dims.rows, dims.cols, dims.dram_bits);
  if (dims.dram_timing) {
    SplitMix64 rng(seed ^ kTimingStream);
    const DramTiming t = RandomDramTiming(&rng);
    c.hw.dram_latency = t.latency;
    c.hw.dram_stall = t.stall;
  }
  c.hw.dram_stall_seed = seed + 1;
  if (dims.modes) DrawModes(seed, &c);
  return c;
}

CaseOutcome RunCase(const RegressCase& c, const RtlMaker& make_rtl) {
  CaseOutcome o;
  CompiledNetwork compiled;
  try {
    compiled = Compile(c.net, c.hw);
  } catch (const InputError& e) {
    o.pass = false;
    o.invalid = true;
    o.what = std::string("does not compile: ") + e.what();
    return o;
  }
  const auto ref = RunNetworkReference(c.net);
  RtlOptions ro;
  ro.max_idle_wait = 20000000;
  try {
    std::unique_ptr<Device> rtl = make_rtl(c.hw, ro);
    const std::vector<LayerRun> runs = RunNetwork(c.net, compiled, *rtl);
    for (const LayerRun& r : runs) {
      const Tensor<int8_t>& want = ref.at(r.name);
      const CompareResult cmp = CompareTensors(want, r.output);
      o.outputs += cmp.compared;
      o.rtl_cycles += r.counters[kCtrCycles];
      if (!cmp.ok() || cmp.compared != want.size()) {
        o.pass = false;
        o.what = DescribeMismatch(r.name, cmp);
        return o;
      }
    }
  } catch (const DeviceError& e) {
    o.pass = false;
    o.device_error = true;
    o.what = std::string("device error: ") + e.what();
  }
  return o;
}

std::vector<RegressCase> Reductions(const RegressCase& c) {
  std::vector<RegressCase> out;
  for (RegressCase& r : Candidates(c)) {
    if (Valid(r)) out.push_back(std::move(r));
  }
  return out;
}

RtlMaker PluginMaker(const std::string& path) {
  if (path.empty()) {
    return [](const HwConfig& hw, const RtlOptions& o) {
      return MakeRtlDevice(hw, o);
    };
  }
  using MakeFn = Device* (*)(const HwConfig&, const RtlOptions&);
  void* h = dlopen(fs::absolute(path).c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) throw InputError("--plugin " + path + ": " + dlerror());
  auto make = reinterpret_cast<MakeFn>(dlsym(h, "sparq_make_rtl_device"));
  if (!make) {
    throw InputError("--plugin " + path + ": no sparq_make_rtl_device");
  }
  return [make](const HwConfig& hw, const RtlOptions& o) {
    return std::unique_ptr<Device>(make(hw, o));
  };
}

RegressCase Shrink(const RegressCase& c,
                   const std::function<bool(const RegressCase&)>& fails,
                   int max_runs, int* runs_used) {
  RegressCase cur = c;
  int runs = 0;
  bool progress = true;
  while (progress && runs < max_runs) {
    progress = false;
    for (const RegressCase& cand : Reductions(cur)) {
      if (runs >= max_runs) break;
      ++runs;
      if (fails(cand)) {
        cur = cand;
        progress = true;
        break;
      }
    }
  }
  if (runs_used) *runs_used = runs;
  return cur;
}

std::string DescribeCase(const RegressCase& c) {
  const Layer& l = c.net.layers.front();
  std::string engine;
  if (l.engine == LayerEngine::kSparse) {
    size_t nz = 0;
    for (int8_t v : l.weights.data) nz += v != 0;
    engine = " sparse engine (" + std::to_string(nz) + " of " +
             std::to_string(l.weights.size()) + " weights non-zero)";
  }
  return DescribeLayer(c.net) + engine + " on " + c.hw.BuildName() + ", " +
         c.hw.TimingString();
}

void WriteCaseYaml(const RegressCase& c, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    throw InputError(dir + ": cannot create the folder (" + ec.message() + ")");
  }
  const Layer& l = c.net.layers.front();
  const fs::path d(dir);
  SaveNpy((d / "input.npy").string(), c.net.input);
  SaveNpy((d / "weights.npy").string(), l.weights);
  if (!l.bias.empty()) {
    Tensor<int32_t> b({static_cast<int>(l.bias.size())});
    b.data = l.bias;
    SaveNpy((d / "bias.npy").string(), b);
  }
  std::ostringstream y;
  y << std::setprecision(17);
  y << "# sparq_regress repro case: seed " << c.seed << "\n"
    << "# " << DescribeCase(c) << "\n"
    << "# The DRAM stall pattern is `--seed " << c.hw.dram_stall_seed
    << "` of sparq run.\n\n";
  y << "hardware:\n  array: [" << c.hw.rows << ", " << c.hw.cols << "]\n"
    << "  dram:\n    bits: " << c.hw.dram_bits << "\n    latency: "
    << c.hw.dram_latency << "\n    stall: " << c.hw.dram_stall << "\n\n";
  y << "network:\n  name: " << c.net.name << "\n  input:\n    npy: input.npy\n"
    << "    zero_point: " << l.quant.in_zp << "\n\n";
  y << "layers:\n  - name: " << l.name << "\n";
  if (l.kind == LayerKind::kConv) {
    const ConvGeometry& g = l.geom;
    y << "    type: conv\n    out_channels: " << l.weights.dim(0) << "\n"
      << "    kernel: [" << l.weights.dim(1) << ", " << l.weights.dim(2)
      << "]\n    stride: [" << g.stride_h << ", " << g.stride_w << "]\n"
      << "    dilation: [" << g.dilation_h << ", " << g.dilation_w << "]\n"
      << "    padding: [" << g.pad_top << ", " << g.pad_left << ", "
      << g.pad_bottom << ", " << g.pad_right << "]\n"
      << "    groups: " << g.groups << "\n";
  } else {
    y << "    type: fc\n    out_features: " << l.weights.dim(0) << "\n";
  }
  if (l.precision != Precision::kA8W8) {
    y << "    precision: " << PrecisionName(l.precision) << "\n";
  }
  if (l.engine != LayerEngine::kAuto) {
    y << "    engine: "
      << (l.engine == LayerEngine::kSparse ? "sparse" : "dense") << "\n";
  }
  y << "    weights: {npy: weights.npy}\n";
  if (!l.bias.empty()) y << "    bias: {npy: bias.npy}\n";
  y << "    multiplier: " << List(l.quant.multiplier) << "\n"
    << "    shift: " << List(l.quant.shift) << "\n"
    << "    output_zero_point: " << l.quant.out_zp << "\n"
    << "    act_min: " << l.quant.act_min << "\n"
    << "    act_max: " << l.quant.act_max << "\n";
  const std::string path = (d / "case.yaml").string();
  std::ofstream out(path);
  out << y.str();
  out.close();
  if (!out) throw InputError(path + ": cannot write");
}

}  // namespace sparq
