#include "golden/compress/recipe.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>
#include <sstream>

#include "golden/compress/lowrank.h"
#include "golden/compress/model_io.h"
#include "golden/compress/prune.h"
#include "golden/compress/quantize.h"
#include "golden/compress/train.h"
#include "golden/errors.h"
#include "golden/npy.h"

namespace sparq {
namespace {

constexpr Dims kInputDims{kImageSide, kImageSide, 1};

std::string StepName(const RecipeStep& s, size_t index) {
  return "steps[" + std::to_string(index) + "] (" + s.method + ")";
}

WeightQuant ParseWeights(const std::string& w, const std::string& where) {
  if (w == "int8") return WeightQuant::kInt8;
  if (w == "int4") return WeightQuant::kInt4;
  if (w == "ternary") return WeightQuant::kTernary;
  if (w == "binary") return WeightQuant::kBinary;
  throw InputError(where + ": weights '" + w +
                   "', expected int8, int4, ternary or binary");
}

// Indices of the target layers, each checked to be of the wanted kind.
std::vector<int> Targets(const Model& model, const RecipeStep& s,
                         const std::string& where, bool conv_ok, bool fc_ok) {
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
      std::string known;
      for (int j = 0; j < model.size(); ++j) {
        if (dynamic_cast<const WeightLayer*>(model.layer(j))) {
          known += (known.empty() ? "" : ", ") + model.layer(j)->name();
        }
      }
      throw InputError(where + ": layers: no layer '" + name +
                       "' in the model at this step (it has " + known + ")");
    }
    const std::string k = model.layer(i)->Kind();
    if (!((k == "conv" && conv_ok) || (k == "fc" && fc_ok))) {
      throw InputError(where + ": layers: '" + name + "' is a " + k +
                       " layer, expected " +
                       (conv_ok && fc_ok ? "conv or fc"
                        : conv_ok        ? "conv"
                                         : "fc"));
    }
    out.push_back(i);
  }
  return out;
}

void Require(bool ok, const std::string& where, const std::string& field,
             const std::string& expected) {
  if (!ok) throw InputError(where + ": " + field + ": expected " + expected);
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

class Runner {
 public:
  explicit Runner(const Recipe& r) : r_(r) {}

  CompressResult Run() {
    Validate();
    train_ = LoadFashionMnist(r_.data, "train", r_.train_limit);
    test_ = LoadFashionMnist(r_.data, "t10k", r_.test_limit);
    calib_ = LoadFashionMnist(r_.data, "train",
                              std::min(r_.calib_images, train_.count));
    model_ = MakeBaselineCnn(r_.seed);
    LoadModelWeights(&model_, r_.baseline);
    CompressResult result;
    AddRow(&result, "baseline", true, 0);
    for (size_t i = 0; i < r_.steps.size(); ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      const std::string label = Apply(r_.steps[i], i);
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
  void Validate() const {
    static const std::set<std::string> kMethods = {
        "svd", "tucker2",  "grouped_tucker2",   "cp", "prune", "prune_filters",
        "nm",  "quantize", "binary_activations"};
    for (size_t i = 0; i < r_.steps.size(); ++i) {
      const RecipeStep& s = r_.steps[i];
      const std::string where = StepName(s, i);
      if (!kMethods.count(s.method)) {
        throw InputError(
            "steps[" + std::to_string(i) + "]: method '" + s.method +
            "', expected one of svd, tucker2, grouped_tucker2, cp, "
            "prune, prune_filters, nm, quantize, binary_activations");
      }
      Require(s.epochs >= 0, where, "epochs", ">= 0");
      Require(s.lr > 0, where, "lr", "> 0");
      if (s.method == "svd" || s.method == "tucker2") {
        Require(s.energy > 0
                    ? s.energy <= 1
                    : (s.method == "svd" ? s.rank > 0
                                         : s.rank_in > 0 && s.rank_out > 0),
                where, s.method == "svd" ? "rank" : "ranks",
                "positive rank(s), or energy in (0, 1]");
      }
      if (s.method == "grouped_tucker2") {
        Require(s.rank_in > 0 && s.rank_out > 0 && s.groups > 0 &&
                    s.rank_in % s.groups == 0 && s.rank_out % s.groups == 0,
                where, "ranks/groups", "positive ranks divisible by groups");
      }
      if (s.method == "cp") {
        Require(s.rank > 0, where, "rank", "> 0");
        Require(s.cp_iterations > 0, where, "iterations", "> 0");
      }
      if (s.method == "prune") {
        Require(s.sparsity > 0 && s.sparsity < 1, where, "sparsity",
                "in (0, 1)");
        Require(s.iterations >= 1, where, "iterations", ">= 1");
      }
      if (s.method == "prune_filters")
        Require(s.keep > 0, where, "keep", "> 0");
      if (s.method == "nm") {
        Require(s.m > 0 && s.n > 0 && s.n < s.m, where, "n/m", "0 < n < m");
      }
      if (s.method == "quantize") ParseWeights(s.weights, where);
    }
  }

  void FineTune(const RecipeStep& s, const std::string& label, int epochs) {
    if (epochs <= 0) return;
    TrainOptions opt;
    opt.epochs = epochs;
    opt.sgd.lr = s.lr;
    opt.seed = r_.seed + static_cast<uint32_t>(++finetunes_);
    opt.progress = r_.progress;
    opt.label = label;
    Train(model_, train_, opt);
  }

  std::string Apply(const RecipeStep& s, size_t index) {
    const std::string where = StepName(s, index);
    std::ostringstream label;
    label << s.method;
    if (s.method == "svd") {
      std::vector<int> t = Targets(model_, s, where, false, true);
      // Replace from the back so that earlier indices stay valid.
      for (auto it = t.rbegin(); it != t.rend(); ++it) {
        const auto* fc = dynamic_cast<const Linear*>(model_.layer(*it));
        int rank = s.rank;
        if (s.energy > 0) {
          Eigen::BDCSVD<Mat> svd(fc->weight().value);
          rank = RankForEnergy(svd.singularValues(), s.energy);
        }
        const int max_rank = std::min(fc->in_features(), fc->out_features());
        Require(rank <= max_rank, where, "rank",
                "<= " + std::to_string(max_rank));
        label << " " << fc->name() << " r" << rank;
        model_.Replace(*it, SvdDecompose(*fc, rank));
      }
    } else if (s.method == "tucker2" || s.method == "grouped_tucker2" ||
               s.method == "cp") {
      std::vector<int> t = Targets(model_, s, where, true, false);
      for (auto it = t.rbegin(); it != t.rend(); ++it) {
        const auto* conv = dynamic_cast<const Conv2d*>(model_.layer(*it));
        const ConvSpec& cs = conv->spec();
        if (cs.groups != 1) {
          throw InputError(where + ": layer '" + conv->name() +
                           "' is a grouped conv; decompose dense convs only");
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
        Require(ri <= cs.in_c && ro <= cs.out_c, where, "ranks",
                "rank_in <= " + std::to_string(cs.in_c) + " and rank_out <= " +
                    std::to_string(cs.out_c) + " for '" + conv->name() + "'");
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
        for (int i : Targets(model_, s, where, true, true)) {
          MagnitudePrune(dynamic_cast<WeightLayer*>(model_.layer(i)), sp);
        }
        FineTune(s, label.str() + " round " + std::to_string(round), s.epochs);
      }
      return Label(s, label.str(), false);
    } else if (s.method == "prune_filters") {
      std::vector<int> t = Targets(model_, s, where, true, false);
      std::vector<std::string> names;
      for (int i : t) names.push_back(model_.layer(i)->name());
      for (const std::string& n : names) {
        PruneFilters(&model_, n, s.keep, kInputDims);
        label << " " << n << " keep " << s.keep;
      }
    } else if (s.method == "nm") {
      label << " " << s.n << ":" << s.m;
      for (int i : Targets(model_, s, where, true, true)) {
        NmPrune(dynamic_cast<WeightLayer*>(model_.layer(i)), s.n, s.m);
      }
    } else if (s.method == "binary_activations") {
      std::vector<int> t = Targets(model_, s, where, true, true);
      for (auto it = t.rbegin(); it != t.rend(); ++it) {
        int i = *it;
        auto* wl = dynamic_cast<WeightLayer*>(model_.layer(i));
        if (wl->quant() != WeightQuant::kBinary) {
          throw InputError(where + ": layer '" + wl->name() + "' has " +
                           WeightQuantName(wl->quant()) +
                           " weights; binary activations need binary weights "
                           "(quantize it to binary in an earlier step)");
        }
        if (i == 0) {
          throw InputError(where + ": layer '" + wl->name() +
                           "' reads the network input, which stays int8");
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
      const WeightQuant q = ParseWeights(s.weights, where);
      label << " " << s.weights;
      for (int i : Targets(model_, s, where, true, true)) {
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

CompressResult RunRecipe(const Recipe& recipe) { return Runner(recipe).Run(); }

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

void SaveIntegerWeights(const Network& net, const std::string& dir) {
  std::filesystem::create_directories(dir);
  for (const sparq::Layer& l : net.layers) {
    if (l.kind != LayerKind::kConv && l.kind != LayerKind::kFc) continue;
    SaveNpy(dir + "/" + l.name + ".weights.npy", l.weights);
    Tensor<int32_t> bias({static_cast<int>(l.bias.size())});
    bias.data = l.bias;
    SaveNpy(dir + "/" + l.name + ".bias.npy", bias);
  }
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
