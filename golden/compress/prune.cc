#include "golden/compress/prune.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numeric>

#include "golden/errors.h"

namespace sparq {

void MagnitudePrune(WeightLayer* layer, double sparsity) {
  Param& w = layer->weight();
  const int64_t size = w.value.size();
  const int64_t k = std::llround(std::clamp(sparsity, 0.0, 1.0) * size);
  if (w.mask.size() == 0) w.mask = Mat::Ones(w.value.rows(), w.value.cols());
  std::vector<int64_t> order(static_cast<size_t>(size));
  std::iota(order.begin(), order.end(), 0);
  auto mag = [&](int64_t i) {
    return w.mask.data()[i] == 0 ? -1.0f : std::fabs(w.value.data()[i]);
  };
  std::nth_element(order.begin(), order.begin() + k, order.end(),
                   [&](int64_t a, int64_t b) {
                     const float ma = mag(a), mb = mag(b);
                     return ma < mb || (ma == mb && a < b);
                   });
  w.mask.setOnes();
  for (int64_t i = 0; i < k; ++i)
    w.mask.data()[order[static_cast<size_t>(i)]] = 0;
  w.ApplyMask();
}

void NmPrune(WeightLayer* layer, int n, int m) {
  Param& w = layer->weight();
  assert(n >= 0 && n <= m);
  if (w.mask.size() == 0) w.mask = Mat::Ones(w.value.rows(), w.value.cols());
  std::vector<int> order;
  for (int r = 0; r < w.value.rows(); ++r) {
    for (int g0 = 0; g0 < w.value.cols(); g0 += m) {
      const int len = std::min<int>(m, static_cast<int>(w.value.cols()) - g0);
      order.resize(static_cast<size_t>(len));
      std::iota(order.begin(), order.end(), g0);
      auto mag = [&](int c) {
        return w.mask(r, c) == 0 ? -1.0f : std::fabs(w.value(r, c));
      };
      std::stable_sort(order.begin(), order.end(),
                       [&](int a, int b) { return mag(a) > mag(b); });
      for (int j = 0; j < len; ++j) {
        w.mask(r, order[static_cast<size_t>(j)]) =
            j < n ? w.mask(r, order[static_cast<size_t>(j)]) : 0.0f;
      }
    }
  }
  w.ApplyMask();
}

bool IsNmSparse(const Mat& w, int n, int m) {
  for (int r = 0; r < w.rows(); ++r) {
    for (int g0 = 0; g0 < w.cols(); g0 += m) {
      const int len = std::min<int>(m, static_cast<int>(w.cols()) - g0);
      if ((w.row(r).segment(g0, len).array() != 0.0f).count() > n) return false;
    }
  }
  return true;
}

std::vector<int> PruneFilters(Model* model, const std::string& name, int keep,
                              const Dims& input) {
  const int index = model->Find(name);
  auto* conv = index < 0 ? nullptr : dynamic_cast<Conv2d*>(model->layer(index));
  if (conv == nullptr) {
    throw InputError("prune_filters: layer '" + name + "' is not a conv layer");
  }
  const ConvSpec s = conv->spec();
  if (keep < 1 || keep > s.out_c) {
    throw InputError("prune_filters: layer '" + name + "' keep " +
                     std::to_string(keep) + ", expected 1.." +
                     std::to_string(s.out_c));
  }
  if (s.groups != 1) {
    throw InputError("prune_filters: layer '" + name + "' is a grouped conv");
  }
  // The consumer: the next conv/fc; only relu, maxpool and flatten may sit
  // in between since they act per channel.
  int consumer = -1;
  for (int i = index + 1; i < model->size(); ++i) {
    const std::string kind = model->layer(i)->Kind();
    if (kind == "conv" || kind == "fc") {
      consumer = i;
      break;
    }
    if (kind != "relu" && kind != "maxpool" && kind != "flatten") {
      throw InputError("prune_filters: layer '" + name + "' feeds a '" + kind +
                       "' layer, which filter pruning cannot follow");
    }
  }
  if (consumer < 0) {
    throw InputError("prune_filters: layer '" + name +
                     "' has no consumer "
                     "(the network output cannot lose channels)");
  }
  const Mat& w = conv->weight().value;
  std::vector<int> order(static_cast<size_t>(s.out_c));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return w.row(a).cwiseAbs().sum() > w.row(b).cwiseAbs().sum();
  });
  std::vector<int> kept(order.begin(), order.begin() + keep);
  std::sort(kept.begin(), kept.end());

  ConvSpec ns = s;
  ns.out_c = keep;
  auto shrunk = std::make_unique<Conv2d>(conv->name(), ns);
  shrunk->set_quant(conv->quant());
  for (int j = 0; j < keep; ++j) {
    const int o = kept[static_cast<size_t>(j)];
    shrunk->weight().value.row(j) = w.row(o);
    shrunk->bias().value(0, j) = conv->bias().value(0, o);
    if (conv->weight().mask.size() != 0) {
      if (shrunk->weight().mask.size() == 0) {
        shrunk->weight().mask = Mat::Ones(keep, w.cols());
      }
      shrunk->weight().mask.row(j) = conv->weight().mask.row(o);
    }
  }

  // Columns of the consumer's weights that read the kept channels.
  std::unique_ptr<Module> new_consumer;
  auto* cons = dynamic_cast<WeightLayer*>(model->layer(consumer));
  std::vector<int> cols;
  if (auto* next = dynamic_cast<Conv2d*>(cons)) {
    ConvSpec cs = next->spec();
    if (cs.groups != 1) {
      throw InputError("prune_filters: layer '" + name +
                       "' feeds grouped conv '" + next->name() + "'");
    }
    for (int tap = 0; tap < cs.kh * cs.kw; ++tap) {
      for (int c : kept) cols.push_back(tap * s.out_c + c);
    }
    cs.in_c = keep;
    new_consumer = std::make_unique<Conv2d>(next->name(), cs);
  } else {
    auto* fc = dynamic_cast<Linear*>(cons);
    const std::vector<Dims> dims = model->Trace(input);
    // The fc reads a flattened NHWC tensor: feature f is channel f % C.
    const Dims at = dims[static_cast<size_t>(index + 1)];
    const int pixels = fc->in_features() / at.c;
    for (int p = 0; p < pixels; ++p) {
      for (int c : kept) cols.push_back(p * s.out_c + c);
    }
    new_consumer = std::make_unique<Linear>(
        fc->name(), static_cast<int>(cols.size()), fc->out_features());
  }
  auto* nc = dynamic_cast<WeightLayer*>(new_consumer.get());
  nc->set_quant(cons->quant());
  nc->bias().value = cons->bias().value;
  const bool masked = cons->weight().mask.size() != 0;
  if (masked)
    nc->weight().mask.resize(cons->weight().value.rows(),
                             static_cast<int64_t>(cols.size()));
  for (size_t j = 0; j < cols.size(); ++j) {
    nc->weight().value.col(static_cast<int64_t>(j)) =
        cons->weight().value.col(cols[j]);
    if (masked)
      nc->weight().mask.col(static_cast<int64_t>(j)) =
          cons->weight().mask.col(cols[j]);
  }
  std::vector<std::unique_ptr<Module>> a, b;
  a.push_back(std::move(shrunk));
  b.push_back(std::move(new_consumer));
  model->Replace(consumer, std::move(b));
  model->Replace(index, std::move(a));
  return kept;
}

}  // namespace sparq
