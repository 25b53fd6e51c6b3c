#include "golden/compress/recipe.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <sstream>

#include "golden/compress/lowrank.h"
#include "golden/compress/model_io.h"
#include "golden/compress/prune.h"
#include "golden/compress/quantize.h"
#include "golden/compress/train.h"
#include "golden/errors.h"
#include "golden/npy.h"
#include "golden/yaml_reader.h"

namespace sparq {
namespace {

constexpr Dims kInputDims{kImageSide, kImageSide, 1};

const std::vector<std::string> kMethods = {
    "svd", "tucker2",  "grouped_tucker2",   "cp", "prune", "prune_filters",
    "nm",  "quantize", "binary_activations"};
const std::vector<std::string> kWeights = {"int8", "int4", "ternary", "binary"};
const std::vector<std::string> kTopKeys = {
    "name",       "baseline",     "seed", "train_limit",
    "test_limit", "calib_images", "steps"};
const std::vector<std::string> kStepKeys = {
    "method",   "layers", "rank", "ranks", "energy",  "groups", "iterations",
    "sparsity", "keep",   "n",    "m",     "weights", "epochs", "lr"};

std::string Num(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

int LineOf(const std::map<std::string, int>& lines, const std::string& field) {
  auto it = lines.find(field);
  if (it == lines.end()) it = lines.find("");
  return it == lines.end() ? 0 : it->second;
}

// True when `what` already names the recipe file (a StepFail or TopFail).
bool NamesFile(const Recipe& r, const std::string& what) {
  return what.rfind(r.file + ":", 0) == 0;
}

[[noreturn]] void TopFail(const Recipe& r, const std::string& field,
                          const std::string& message) {
  throw InputError(
      FieldMessage(r.file, LineOf(r.lines, field), field, message));
}

// An error about one field of step `index` (the step itself when `field` is
// empty), at the line the field was written on.
[[noreturn]] void StepFail(const Recipe& r, size_t index,
                           const std::string& field,
                           const std::string& message) {
  const std::string step = "steps[" + std::to_string(index) + "]";
  throw InputError(FieldMessage(r.file, LineOf(r.steps[index].lines, field),
                                field.empty() ? step : step + "." + field,
                                message));
}

WeightQuant ParseWeights(const std::string& w) {
  if (w == "int4") return WeightQuant::kInt4;
  if (w == "ternary") return WeightQuant::kTernary;
  if (w == "binary") return WeightQuant::kBinary;
  return WeightQuant::kInt8;
}

// Indices of the target layers, each checked to be of the wanted kind.
std::vector<int> Targets(const Model& model, const Recipe& r, size_t index,
                         bool conv_ok, bool fc_ok) {
  const RecipeStep& s = r.steps[index];
  const std::string kinds = conv_ok && fc_ok ? "conv or fc"
                            : conv_ok        ? "conv"
                                             : "fc";
  std::vector<int> out;
  if (s.layers.empty()) {
    for (int i = 0; i < model.size(); ++i) {
      const std::string k = model.layer(i)->Kind();
      if ((k == "conv" && conv_ok) || (k == "fc" && fc_ok)) out.push_back(i);
    }
    return out;
  }
  for (const std::string& name : s.layers) {
    const int i = model.Find(name);
    if (i < 0) {
      std::vector<std::string> known;
      for (int j = 0; j < model.size(); ++j) {
        if (dynamic_cast<const WeightLayer*>(model.layer(j))) {
          known.push_back(model.layer(j)->name());
        }
      }
      StepFail(r, index, "layers",
               "expected layers of the model at this step (" +
                   JoinNames(known) + "), got '" + name + "'");
    }
    const std::string k = model.layer(i)->Kind();
    if (!((k == "conv" && conv_ok) || (k == "fc" && fc_ok))) {
      StepFail(r, index, "layers",
               "expected " + kinds + " layers for " + s.method + ", got '" +
                   name + "', a " + k + " layer");
    }
    out.push_back(i);
  }
  return out;
}

struct Sizes {
  int64_t params = 0, macs = 0, dense_macs = 0, conv_macs = 0;
  int64_t fp32_bytes = 0, int_bytes = 0;
};

Sizes Measure(const Model& model) {
  Sizes s;
  const std::vector<Dims> dims = model.Trace(kInputDims);
  for (int i = 0; i < model.size(); ++i) {
    const auto* wl = dynamic_cast<const WeightLayer*>(model.layer(i));
    if (wl == nullptr) continue;
    const Dims in = dims[static_cast<size_t>(i)];
    const Mat w = wl->EffectiveWeights();
    const int64_t size = w.size();
    const int64_t nnz = static_cast<int64_t>((w.array() != 0.0f).count());
    const int64_t outs = w.rows();
    s.params += nnz + outs;
    const int64_t macs = wl->Macs(in, true);
    s.macs += macs;
    s.dense_macs += wl->Macs(in, false);
    if (std::string(wl->Kind()) == "conv") s.conv_macs += macs;
    // Sparse layers store a bitmask of positions (or 2-bit indices inside
    // 2:4 groups) next to the non-zero codes, whichever is smallest.
    const int bits =
        wl->quant() == WeightQuant::kFloat ? 8 : WeightQuantBits(wl->quant());
    int64_t int_bits = size * bits;
    int64_t fp_bits = size * 32;
    if (nnz < size) {
      int_bits = std::min(int_bits, size + nnz * bits);
      fp_bits = std::min(fp_bits, size + nnz * 32);
      if (IsNmSparse(w, 2, 4)) {
        int_bits = std::min(int_bits, nnz * (bits + 2));
        fp_bits = std::min(fp_bits, nnz * (32 + 2));
      }
    }
    s.fp32_bytes += (fp_bits + 7) / 8 + 4 * outs;
    // int32 bias, int32 multiplier and int8 shift per output channel.
    s.int_bytes += (int_bits + 7) / 8 + 9 * outs;
  }
  return s;
}

// The Fashion-MNIST split, an error in it named after the recipe too (the
// data folder is not a recipe field: "(data)").
Dataset LoadData(const Recipe& r, const std::string& split, int limit) {
  try {
    return LoadFashionMnist(r.data, split, limit);
  } catch (const InputError& e) {
    throw InputError(FieldMessage(r.file, 1, "(data)",
                                  std::string("Fashion-MNIST: ") + e.what()));
  }
}

Model LoadBaseline(const Recipe& r) {
  Model model = MakeBaselineCnn(r.seed);
  try {
    LoadModelWeights(&model, r.baseline);
  } catch (const InputError& e) {
    // Without a 'baseline' field the default is used: the line of the top.
    const auto it = r.lines.find("baseline");
    throw InputError(FieldMessage(
        r.file, it == r.lines.end() ? 1 : it->second, "baseline",
        "expected the baseline's float weights (make train), got: " +
            std::string(e.what())));
  }
  return model;
}

class Runner {
 public:
  // `dry`: apply the steps to the baseline's structure only (no data, no
  // fine-tuning, no report), to find what does not fit before training.
  Runner(const Recipe& r, bool dry) : r_(r), dry_(dry) {}

  void Dry() {
    model_ = LoadBaseline(r_);
    for (size_t i = 0; i < r_.steps.size(); ++i) ApplyNamed(i);
  }

  CompressResult Run() {
    ValidateRecipe(r_);
    train_ = LoadData(r_, "train", r_.train_limit);
    test_ = LoadData(r_, "t10k", r_.test_limit);
    calib_ = LoadData(r_, "train", std::min(r_.calib_images, train_.count));
    model_ = LoadBaseline(r_);
    CompressResult result;
    AddRow(&result, "baseline", true, 0);
    for (size_t i = 0; i < r_.steps.size(); ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      const std::string label = ApplyNamed(i);
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
              .count();
      const bool last = i + 1 == r_.steps.size();
      AddRow(&result, label, r_.steps[i].method == "quantize" || last, secs);
    }
    QuantizedModel qm = QuantizeModel(model_, calib_);
    result.net = std::move(qm.net);
    result.input_scale = kInputScale;
    result.input_zero_point = kInputZeroPoint;
    result.binary_input = qm.binary_input;
    for (const ActQuant& a : qm.act) {
      result.output_scales.push_back(a.scale);
      result.output_zero_points.push_back(a.zero_point);
    }
    for (int i = 0; i < model_.size(); ++i) {
      const auto* wl = dynamic_cast<const WeightLayer*>(model_.layer(i));
      if (wl == nullptr) continue;
      LayerSummary ls;
      ls.name = wl->name();
      ls.kind = wl->Kind();
      ls.weights = wl->quant() == WeightQuant::kFloat
                       ? "int8"
                       : WeightQuantName(wl->quant());
      const Mat w = wl->EffectiveWeights();
      ls.size = w.size();
      ls.nonzeros = static_cast<int64_t>((w.array() != 0.0f).count());
      ls.nm_2_4 = ls.nonzeros < ls.size && IsNmSparse(w, 2, 4);
      if (const auto* c = dynamic_cast<const Conv2d*>(wl)) {
        const ConvSpec& s = c->spec();
        ls.shape = std::to_string(s.out_c) + "x" + std::to_string(s.kh) + "x" +
                   std::to_string(s.kw) + "x" +
                   std::to_string(s.in_c / s.groups);
        if (s.groups > 1) ls.shape += " g" + std::to_string(s.groups);
      } else {
        ls.shape = std::to_string(w.rows()) + "x" + std::to_string(w.cols());
      }
      result.layers.push_back(ls);
    }
    return result;
  }

 private:
  // Apply(), with the errors of the compression methods (which know nothing
  // of recipes) given the step's file, line and field.
  std::string ApplyNamed(size_t index) {
    try {
      return Apply(r_.steps[index], index);
    } catch (const InputError& e) {
      if (NamesFile(r_, e.what())) throw;
      StepFail(r_, index, r_.steps[index].lines.count("layers") ? "layers" : "",
               std::string("expected a step that fits the model, got: ") +
                   e.what());
    }
  }

  void FineTune(const RecipeStep& s, const std::string& label, int epochs) {
    if (epochs <= 0 || dry_) return;
    TrainOptions opt;
    opt.epochs = epochs;
    opt.sgd.lr = s.lr;
    opt.seed = r_.seed + static_cast<uint32_t>(++finetunes_);
    opt.progress = r_.progress;
    opt.label = label;
    Train(model_, train_, opt);
  }

  std::string Apply(const RecipeStep& s, size_t index) {
    std::ostringstream label;
    label << s.method;
    if (s.method == "svd") {
      std::vector<int> t = Targets(model_, r_, index, false, true);
      // Replace from the back so that earlier indices stay valid.
      for (auto it = t.rbegin(); it != t.rend(); ++it) {
        const auto* fc = dynamic_cast<const Linear*>(model_.layer(*it));
        int rank = s.rank;
        if (s.energy > 0) {
          Eigen::BDCSVD<Mat> svd(fc->weight().value);
          rank = RankForEnergy(svd.singularValues(), s.energy);
        }
        const int max_rank = std::min(fc->in_features(), fc->out_features());
        if (rank > max_rank) {
          StepFail(r_, index, s.energy > 0 ? "energy" : "rank",
                   "expected a rank <= " + std::to_string(max_rank) + " for '" +
                       fc->name() + "', got " + std::to_string(rank));
        }
        label << " " << fc->name() << " r" << rank;
        model_.Replace(*it, SvdDecompose(*fc, rank));
      }
    } else if (s.method == "tucker2" || s.method == "grouped_tucker2" ||
               s.method == "cp") {
      std::vector<int> t = Targets(model_, r_, index, true, false);
      for (auto it = t.rbegin(); it != t.rend(); ++it) {
        const auto* conv = dynamic_cast<const Conv2d*>(model_.layer(*it));
        const ConvSpec& cs = conv->spec();
        if (cs.groups != 1) {
          StepFail(r_, index, "layers",
                   "expected dense convs to decompose, got '" + conv->name() +
                       "', a grouped conv");
        }
        if (s.method == "cp") {
          CpOptions opt;
          opt.iterations = s.cp_iterations;
          opt.seed = r_.seed;
          double err = 0;
          ModuleList parts = CpDecompose(*conv, s.rank, opt, &err);
          label << " " << conv->name() << " r" << s.rank << " (rel err "
                << std::fixed;
          label.precision(3);
          label << err << ")";
          model_.Replace(*it, std::move(parts));
          continue;
        }
        int ri = s.rank_in, ro = s.rank_out;
        if (s.energy > 0) {
          ri = RankForEnergy(ModeSingularValues(*conv, true), s.energy);
          ro = RankForEnergy(ModeSingularValues(*conv, false), s.energy);
        }
        if (ri > cs.in_c || ro > cs.out_c) {
          StepFail(r_, index, s.energy > 0 ? "energy" : "ranks",
                   "expected rank_in <= " + std::to_string(cs.in_c) +
                       " and rank_out <= " + std::to_string(cs.out_c) +
                       " for '" + conv->name() + "', got [" +
                       std::to_string(ri) + ", " + std::to_string(ro) + "]");
        }
        label << " " << conv->name() << " (" << ri << "," << ro;
        if (s.method == "grouped_tucker2") {
          label << ", g" << s.groups << ")";
          model_.Replace(*it, GroupedTucker2Decompose(*conv, ri, ro, s.groups));
        } else {
          label << ")";
          model_.Replace(*it, Tucker2Decompose(*conv, ri, ro));
        }
      }
    } else if (s.method == "prune") {
      label << " " << std::lround(100 * s.sparsity) << "% x" << s.iterations;
      for (int round = 1; round <= s.iterations; ++round) {
        // Each round removes the same fraction of the surviving weights:
        // gentler than equal steps of sparsity, whose last round would
        // remove most of the survivors at once.
        const double sp =
            1.0 - std::pow(1.0 - s.sparsity,
                           static_cast<double>(round) / s.iterations);
        for (int i : Targets(model_, r_, index, true, true)) {
          MagnitudePrune(dynamic_cast<WeightLayer*>(model_.layer(i)), sp);
        }
        FineTune(s, label.str() + " round " + std::to_string(round), s.epochs);
      }
      return Label(s, label.str(), false);
    } else if (s.method == "prune_filters") {
      std::vector<int> t = Targets(model_, r_, index, true, false);
      std::vector<std::string> names;
      for (int i : t) names.push_back(model_.layer(i)->name());
      for (const std::string& n : names) {
        PruneFilters(&model_, n, s.keep, kInputDims);
        label << " " << n << " keep " << s.keep;
      }
    } else if (s.method == "nm") {
      label << " " << s.n << ":" << s.m;
      for (int i : Targets(model_, r_, index, true, true)) {
        NmPrune(dynamic_cast<WeightLayer*>(model_.layer(i)), s.n, s.m);
      }
    } else if (s.method == "binary_activations") {
      std::vector<int> t = Targets(model_, r_, index, true, true);
      for (auto it = t.rbegin(); it != t.rend(); ++it) {
        int i = *it;
        auto* wl = dynamic_cast<WeightLayer*>(model_.layer(i));
        if (wl->quant() != WeightQuant::kBinary) {
          StepFail(r_, index, "layers",
                   "expected layers with binary weights (binary activations "
                   "need binary weights; quantize them to binary in an earlier "
                   "step), got '" +
                       wl->name() + "' with " + WeightQuantName(wl->quant()) +
                       " weights");
        }
        if (i == 0) {
          StepFail(r_, index, "layers",
                   "expected layers after the first (the network input stays "
                   "int8), got '" +
                       wl->name() + "'");
        }
        // The sign of a ReLU output is always +1: the ReLU feeding this
        // layer goes, and the sign thresholds the pre-activation instead.
        for (int j = i - 1; j >= 0; --j) {
          const std::string k = model_.layer(j)->Kind();
          if (k == "relu") {
            model_.Erase(j);
            --i;
            break;
          }
          if (k != "maxpool" && k != "flatten") break;
        }
        model_.Insert(i, std::make_unique<SignAct>(wl->name() + "_sign"));
        label << " " << wl->name();
      }
    } else if (s.method == "quantize") {
      const WeightQuant q = ParseWeights(s.weights);
      label << " " << s.weights;
      for (int i : Targets(model_, r_, index, true, true)) {
        auto* wl = dynamic_cast<WeightLayer*>(model_.layer(i));
        wl->set_quant(q);
        if (!s.layers.empty()) label << " " << wl->name();
      }
    }
    return Label(s, label.str(), true);
  }

  std::string Label(const RecipeStep& s, const std::string& label, bool tune) {
    if (tune) FineTune(s, label, s.epochs);
    return s.epochs > 0 ? label + " + " + std::to_string(s.epochs) + " ep"
                        : label;
  }

  void AddRow(CompressResult* result, const std::string& label, bool integer,
              double secs) {
    ReportRow row;
    row.step = label;
    const Sizes sz = Measure(model_);
    row.params = sz.params;
    row.macs = sz.macs;
    row.dense_macs = sz.dense_macs;
    row.conv_macs = sz.conv_macs;
    row.fp32_bytes = sz.fp32_bytes;
    row.int_bytes = sz.int_bytes;
    row.float_acc = Evaluate(model_, test_);
    if (integer)
      row.int_acc = EvaluateInteger(QuantizeModel(model_, calib_), test_);
    row.seconds = secs;
    if (r_.progress) {
      std::fprintf(stderr, "%s: float %.2f%%", label.c_str(),
                   100 * row.float_acc);
      if (integer) std::fprintf(stderr, ", integer %.2f%%", 100 * row.int_acc);
      std::fprintf(stderr, "\n");
    }
    result->rows.push_back(row);
  }

  const Recipe& r_;
  const bool dry_;
  Dataset train_, test_, calib_;
  Model model_;
  int finetunes_ = 0;
};

std::string Ratio(double base, double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1fx", v > 0 ? base / v : 0.0);
  return buf;
}

}  // namespace

void ValidateRecipe(const Recipe& r) {
  if (r.train_limit < 0) {
    TopFail(r, "train_limit",
            "expected an integer >= 0 (0: all images), got " +
                std::to_string(r.train_limit));
  }
  if (r.test_limit < 0) {
    TopFail(r, "test_limit",
            "expected an integer >= 0 (0: all images), got " +
                std::to_string(r.test_limit));
  }
  if (r.calib_images < 1) {
    TopFail(r, "calib_images",
            "expected an integer >= 1, got " + std::to_string(r.calib_images));
  }
  if (r.steps.empty()) {
    TopFail(r, "steps", "expected a non-empty list of steps, got none");
  }
  for (size_t i = 0; i < r.steps.size(); ++i) {
    const RecipeStep& s = r.steps[i];
    const auto at_least = [&](const char* field, int v, int lo) {
      if (v < lo) {
        StepFail(r, i, field,
                 "expected an integer >= " + std::to_string(lo) + " for " +
                     s.method + ", got " + std::to_string(v));
      }
    };
    const auto ranks = [&s] {
      return "[" + std::to_string(s.rank_in) + ", " +
             std::to_string(s.rank_out) + "]";
    };
    if (std::find(kMethods.begin(), kMethods.end(), s.method) ==
        kMethods.end()) {
      StepFail(r, i, "method",
               "expected one of " + JoinNames(kMethods) + ", got '" + s.method +
                   "'");
    }
    at_least("epochs", s.epochs, 0);
    if (!(s.lr > 0) || !std::isfinite(s.lr)) {
      StepFail(r, i, "lr", "expected a number > 0, got " + Num(s.lr));
    }
    if (s.energy < 0 || s.energy > 1) {
      StepFail(r, i, "energy",
               "expected a number in (0, 1], got " + Num(s.energy));
    }
    if (s.method == "svd" && s.energy == 0 && s.rank < 1) {
      StepFail(r, i, "rank",
               "expected a rank >= 1 (or energy in (0, 1]), got " +
                   std::to_string(s.rank));
    }
    if (s.method == "tucker2" && s.energy == 0 &&
        (s.rank_in < 1 || s.rank_out < 1)) {
      StepFail(r, i, "ranks",
               "expected [rank_in, rank_out], both >= 1 (or energy in (0, "
               "1]), got " +
                   ranks());
    }
    if (s.method == "grouped_tucker2") {
      at_least("groups", s.groups, 1);
      if (s.rank_in < 1 || s.rank_out < 1 || s.rank_in % s.groups != 0 ||
          s.rank_out % s.groups != 0) {
        StepFail(r, i, "ranks",
                 "expected [rank_in, rank_out], both positive multiples of "
                 "groups (" +
                     std::to_string(s.groups) + "), got " + ranks());
      }
    }
    if (s.method == "cp") {
      at_least("rank", s.rank, 1);
      at_least("iterations", s.cp_iterations, 1);
    }
    if (s.method == "prune") {
      if (!(s.sparsity > 0 && s.sparsity < 1)) {
        StepFail(r, i, "sparsity",
                 "expected a number in (0, 1), got " + Num(s.sparsity));
      }
      at_least("iterations", s.iterations, 1);
    }
    if (s.method == "prune_filters") at_least("keep", s.keep, 1);
    if (s.method == "nm" && !(s.n > 0 && s.n < s.m)) {
      StepFail(r, i, s.lines.count("n") ? "n" : "m",
               "expected 0 < n < m, got n = " + std::to_string(s.n) +
                   ", m = " + std::to_string(s.m));
    }
    if (s.method == "quantize" && std::find(kWeights.begin(), kWeights.end(),
                                            s.weights) == kWeights.end()) {
      StepFail(r, i, "weights",
               "expected one of " + JoinNames(kWeights) + ", got '" +
                   s.weights + "'");
    }
  }
}

Recipe ParseRecipe(const std::string& text, const std::string& file,
                   const std::string& base_dir) {
  namespace fs = std::filesystem;
  constexpr int64_t kIntMin = std::numeric_limits<int>::min();
  constexpr int64_t kIntMax = std::numeric_limits<int>::max();
  const YamlReader rd(file);
  const YAML::Node root = ParseYaml(text, file);
  Recipe r;
  r.file = file;
  if (!root.IsDefined() || root.IsNull()) {
    rd.Fail(root, "(top level)", "a mapping with fields " + JoinNames(kTopKeys),
            "an empty document");
  }
  const YamlMap top = rd.Map(root, "", kTopKeys);
  for (const std::string& key : kTopKeys) {
    if (top.Has(key)) r.lines[key] = rd.Line(top.Get(key));
  }
  r.name = top.Has("name") ? rd.String(top.Get("name"), "name")
                           : fs::path(file).stem().string();
  // The name becomes the output folder (out/<name>) and the network name of
  // model.yaml: no path separators, no leading '.', nothing to quote.
  const bool name_ok =
      !r.name.empty() && r.name.size() <= 128 && r.name[0] != '.' &&
      std::all_of(r.name.begin(), r.name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
               c == '-' || c == '.';
      });
  if (!name_ok) {
    const std::string expected =
        "a name of at most 128 letters, digits, '_', '-', '.', not starting "
        "with '.'";
    if (top.Has("name")) {
      rd.Fail(top.Get("name"), "name", expected,
              YamlReader::Describe(top.Get("name")));
    }
    rd.Fail(root, "name", expected + " (the file name's stem when no name is given)",
            "'" + r.name + "'");
  }
  if (top.Has("baseline")) {
    r.baseline = rd.String(top.Get("baseline"), "baseline");
    if (fs::path(r.baseline).is_relative())
      r.baseline = (fs::path(base_dir) / r.baseline).string();
  } else {
    r.baseline = (fs::path(base_dir) / ".." / "baseline").string();
  }
  if (top.Has("seed")) {
    r.seed = static_cast<uint32_t>(rd.Int(
        top.Get("seed"), "seed", 0, std::numeric_limits<uint32_t>::max()));
  }
  const auto top_int = [&](const char* key, int* v) {
    if (top.Has(key))
      *v = static_cast<int>(rd.Int(top.Get(key), key, kIntMin, kIntMax));
  };
  top_int("train_limit", &r.train_limit);
  top_int("test_limit", &r.test_limit);
  top_int("calib_images", &r.calib_images);
  const YAML::Node steps = rd.Need(top, "steps", "a non-empty list of steps");
  if (!steps.IsSequence() || steps.size() == 0) {
    rd.Fail(steps, "steps", "a non-empty list of steps",
            YamlReader::Describe(steps));
  }
  for (size_t i = 0; i < steps.size(); ++i) {
    const YamlMap m =
        rd.Map(steps[i], "steps[" + std::to_string(i) + "]", kStepKeys);
    RecipeStep st;
    st.lines[""] = rd.Line(steps[i]);
    for (const std::string& key : kStepKeys) {
      if (m.Has(key)) st.lines[key] = rd.Line(m.Get(key));
    }
    const auto get_int = [&](const char* key, int* v) {
      if (m.Has(key)) {
        *v =
            static_cast<int>(rd.Int(m.Get(key), m.Path(key), kIntMin, kIntMax));
      }
    };
    const auto get_real = [&](const char* key) {
      return rd.Number(m.Get(key), m.Path(key));
    };
    st.method = rd.String(rd.Need(m, "method", "one of " + JoinNames(kMethods)),
                          m.Path("method"));
    if (m.Has("layers")) {
      st.layers =
          rd.StringList(m.Get("layers"), m.Path("layers"), "layer names");
    }
    get_int("rank", &st.rank);
    if (m.Has("ranks")) {
      const YAML::Node rk = m.Get("ranks");
      if (!rk.IsSequence() || rk.size() != 2) {
        rd.Fail(rk, m.Path("ranks"), "[rank_in, rank_out]",
                YamlReader::Describe(rk));
      }
      st.rank_in = static_cast<int>(
          rd.Int(rk[0], m.Path("ranks") + "[0]", kIntMin, kIntMax));
      st.rank_out = static_cast<int>(
          rd.Int(rk[1], m.Path("ranks") + "[1]", kIntMin, kIntMax));
    }
    if (m.Has("energy")) st.energy = get_real("energy");
    get_int("groups", &st.groups);
    // cp's iterations are ALS sweeps, prune's are prune-retrain rounds.
    get_int("iterations",
            st.method == "cp" ? &st.cp_iterations : &st.iterations);
    if (m.Has("sparsity")) st.sparsity = get_real("sparsity");
    get_int("keep", &st.keep);
    get_int("n", &st.n);
    get_int("m", &st.m);
    if (m.Has("weights"))
      st.weights = rd.String(m.Get("weights"), m.Path("weights"));
    get_int("epochs", &st.epochs);
    if (m.Has("lr")) st.lr = static_cast<float>(get_real("lr"));
    r.steps.push_back(st);
  }
  ValidateRecipe(r);
  return r;
}

Recipe LoadRecipe(const std::string& path) {
  return ParseRecipe(ReadTextFile(path, "recipe"), path,
                     std::filesystem::path(path).parent_path().string());
}

void PreflightRecipe(const Recipe& recipe) {
  ValidateRecipe(recipe);
  LoadData(recipe, "train", 1);
  LoadData(recipe, "t10k", 1);
  Runner(recipe, true).Dry();
}

CompressResult RunRecipe(const Recipe& recipe) {
  return Runner(recipe, false).Run();
}

std::string FormatReport(const CompressResult& result) {
  std::ostringstream os;
  if (result.rows.empty()) return "";
  const ReportRow& b = result.rows.front();
  os << "| step | params | MACs | conv MACs | fp32 bytes | int bytes | "
        "float acc | int acc | vs baseline (float / int) | time |\n"
     << "|---|---|---|---|---|---|---|---|---|---|\n";
  char buf[512];
  for (const ReportRow& r : result.rows) {
    std::string iacc = "-", delta_i = "-";
    if (r.int_acc >= 0) {
      std::snprintf(buf, sizeof(buf), "%.2f%%", 100 * r.int_acc);
      iacc = buf;
      if (b.int_acc >= 0) {
        std::snprintf(buf, sizeof(buf), "%+.2f", 100 * (r.int_acc - b.int_acc));
        delta_i = buf;
      }
    }
    std::snprintf(
        buf, sizeof(buf),
        "| %s | %lld (%s) | %lld (%s) | %lld (%s) | %lld (%s) | %lld (%s) | "
        "%.2f%% | %s | %+.2f / %s | %.0f s |\n",
        r.step.c_str(), static_cast<long long>(r.params),
        Ratio(b.params, r.params).c_str(), static_cast<long long>(r.macs),
        Ratio(b.macs, r.macs).c_str(), static_cast<long long>(r.conv_macs),
        Ratio(b.conv_macs, r.conv_macs).c_str(),
        static_cast<long long>(r.fp32_bytes),
        Ratio(b.fp32_bytes, r.fp32_bytes).c_str(),
        static_cast<long long>(r.int_bytes),
        Ratio(b.fp32_bytes, r.int_bytes).c_str(), 100 * r.float_acc,
        iacc.c_str(), 100 * (r.float_acc - b.float_acc), delta_i.c_str(),
        r.seconds);
    os << buf;
  }
  os << "\nRatios are against the baseline; int bytes against the baseline's "
        "fp32 bytes.\n\n| layer | kind | shape | weights | non-zeros |\n"
        "|---|---|---|---|---|\n";
  for (const LayerSummary& l : result.layers) {
    std::snprintf(buf, sizeof(buf), "| %s | %s | %s | %s%s | %lld / %lld |\n",
                  l.name.c_str(), l.kind.c_str(), l.shape.c_str(),
                  l.weights.c_str(), l.nm_2_4 ? ", 2:4" : "",
                  static_cast<long long>(l.nonzeros),
                  static_cast<long long>(l.size));
    os << buf;
  }
  return os.str();
}

double TrainBaseline(const std::string& out_dir, const std::string& data,
                     int epochs, float lr, uint32_t seed, int train_limit) {
  const Dataset train = LoadFashionMnist(data, "train", train_limit);
  const Dataset test = LoadFashionMnist(data, "t10k");
  Model model = MakeBaselineCnn(seed);
  TrainOptions opt;
  opt.epochs = epochs;
  opt.sgd.lr = lr;
  opt.seed = seed;
  opt.progress = true;
  opt.label = "baseline";
  Train(model, train, opt);
  SaveModelWeights(model, out_dir);
  return Evaluate(model, test);
}

}  // namespace sparq
