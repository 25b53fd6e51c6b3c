#include "golden/compress/train.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>

namespace sparq {
namespace {

constexpr int kPixels = kImageSide * kImageSide;
constexpr int kMaxShift = 2;

// Copies image `idx` into row-block `dst` (28x28x1), optionally mirrored and
// shifted; pixels shifted in from outside are 0 (background).
void CopyImage(const Dataset& ds, int idx, bool flip, int dy, int dx,
               float* dst) {
  const uint8_t* src = ds.pixels.data() + static_cast<size_t>(idx) * kPixels;
  for (int y = 0; y < kImageSide; ++y) {
    const int sy = y + dy;
    for (int x = 0; x < kImageSide; ++x) {
      int sx = x + dx;
      if (flip) sx = kImageSide - 1 - sx;
      float v = 0.0f;
      if (sy >= 0 && sy < kImageSide && sx >= 0 && sx < kImageSide) {
        v = src[sy * kImageSide + sx] / 255.0f;
      }
      dst[y * kImageSide + x] = v;
    }
  }
}

Act EmptyBatch(int n) {
  Act a;
  a.n = n;
  a.h = kImageSide;
  a.w = kImageSide;
  a.c = 1;
  a.x.resize(int64_t{n} * kPixels, 1);
  return a;
}

class ProgressBar {
 public:
  ProgressBar(bool enabled, std::string label)
      : enabled_(enabled), tty_(isatty(2) != 0), label_(std::move(label)) {}

  void Update(int epoch, int epochs, int64_t done, int64_t total, double loss,
              double acc, bool final) {
    if (!enabled_) return;
    // Non-terminals (logs, CI) get one line per epoch instead of redraws.
    if (!tty_ && !final) return;
    constexpr int kWidth = 30;
    const int filled =
        static_cast<int>(kWidth * done / std::max<int64_t>(total, 1));
    std::string bar(static_cast<size_t>(filled), '=');
    bar.resize(kWidth, ' ');
    std::fprintf(stderr, "%s%s epoch %d/%d [%s] %3d%% loss %.4f acc %.2f%%%s",
                 tty_ ? "\r" : "", label_.c_str(), epoch, epochs, bar.c_str(),
                 static_cast<int>(100 * done / std::max<int64_t>(total, 1)),
                 loss, 100.0 * acc, final ? "\n" : "");
    std::fflush(stderr);
  }

 private:
  bool enabled_, tty_;
  std::string label_;
};

}  // namespace

Act MakeBatch(const Dataset& ds, const std::vector<int>& indices) {
  Act a = EmptyBatch(static_cast<int>(indices.size()));
  for (size_t i = 0; i < indices.size(); ++i) {
    CopyImage(ds, indices[i], false, 0, 0, a.x.data() + i * kPixels);
  }
  return a;
}

Model MakeBaselineCnn(uint32_t seed) {
  std::mt19937 rng(seed);
  Model m;
  ConvSpec c1;
  c1.in_c = 1;
  c1.out_c = 32;
  c1.kh = c1.kw = 5;
  c1.pad_h = c1.pad_w = 2;
  auto conv1 = std::make_unique<Conv2d>("conv1", c1);
  conv1->InitHe(&rng);
  m.Add(std::move(conv1));
  m.Add(std::make_unique<ReLU>("relu1"));
  m.Add(std::make_unique<MaxPool2d>("pool1", 2, 2));
  ConvSpec c2 = c1;
  c2.in_c = 32;
  c2.out_c = 64;
  auto conv2 = std::make_unique<Conv2d>("conv2", c2);
  conv2->InitHe(&rng);
  m.Add(std::move(conv2));
  m.Add(std::make_unique<ReLU>("relu2"));
  m.Add(std::make_unique<MaxPool2d>("pool2", 2, 2));
  m.Add(std::make_unique<Flatten>("flatten"));
  auto fc1 = std::make_unique<Linear>("fc1", 7 * 7 * 64, 128);
  fc1->InitHe(&rng);
  m.Add(std::move(fc1));
  m.Add(std::make_unique<ReLU>("relu3"));
  auto fc2 = std::make_unique<Linear>("fc2", 128, kNumClasses);
  fc2->InitHe(&rng);
  m.Add(std::move(fc2));
  return m;
}

TrainStats Train(Model& model, const Dataset& train, const TrainOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  std::mt19937 rng(opt.seed);
  std::vector<int> order(static_cast<size_t>(train.count));
  std::iota(order.begin(), order.end(), 0);
  const int steps_per_epoch = (train.count + opt.batch - 1) / opt.batch;
  const int64_t total_steps = int64_t{steps_per_epoch} * opt.epochs;
  int64_t step = 0;
  ProgressBar bar(opt.progress, opt.label);
  TrainStats stats;
  std::uniform_int_distribution<int> shift(-kMaxShift, kMaxShift);
  std::uniform_int_distribution<int> coin(0, 1);
  std::vector<int> labels;
  Mat grad;
  for (int epoch = 0; epoch < opt.epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    double loss_sum = 0;
    int64_t correct = 0, seen = 0;
    for (int s = 0; s < steps_per_epoch; ++s, ++step) {
      const int begin = s * opt.batch;
      const int n = std::min(opt.batch, train.count - begin);
      Act batch = EmptyBatch(n);
      labels.resize(static_cast<size_t>(n));
      for (int i = 0; i < n; ++i) {
        const int idx = order[static_cast<size_t>(begin + i)];
        bool flip = false;
        int dy = 0, dx = 0;
        if (opt.augment) {
          flip = coin(rng) != 0;
          dy = shift(rng);
          dx = shift(rng);
        }
        CopyImage(train, idx, flip, dy, dx,
                  batch.x.data() + int64_t{i} * kPixels);
        labels[static_cast<size_t>(i)] = train.labels[static_cast<size_t>(idx)];
      }
      model.ZeroGrad();
      const Act logits = model.Forward(batch, true);
      const float loss = SoftmaxCrossEntropy(logits.x, labels, &grad);
      model.Backward(grad);
      SgdOptions sgd = opt.sgd;
      if (opt.cosine) {
        sgd.lr = static_cast<float>(
            0.5 * opt.sgd.lr *
            (1.0 + std::cos(M_PI * static_cast<double>(step) / total_steps)));
      }
      SgdStep(model.Params(), sgd);
      if (opt.after_step) opt.after_step(model);
      loss_sum += double{loss} * n;
      for (int i = 0; i < n; ++i) {
        Eigen::Index arg;
        logits.x.row(i).maxCoeff(&arg);
        correct += arg == labels[static_cast<size_t>(i)];
      }
      seen += n;
      if (s % 20 == 0 || s == steps_per_epoch - 1) {
        bar.Update(epoch + 1, opt.epochs, s + 1, steps_per_epoch,
                   loss_sum / seen, static_cast<double>(correct) / seen,
                   s == steps_per_epoch - 1);
      }
    }
    stats.last_epoch_loss =
        static_cast<float>(loss_sum / std::max<int64_t>(seen, 1));
    stats.last_epoch_accuracy = static_cast<float>(
        static_cast<double>(correct) / std::max<int64_t>(seen, 1));
  }
  stats.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  return stats;
}

std::vector<int> Predict(Model& model, const Dataset& ds, int batch) {
  std::vector<int> pred(static_cast<size_t>(ds.count));
  std::vector<int> idx;
  for (int begin = 0; begin < ds.count; begin += batch) {
    const int n = std::min(batch, ds.count - begin);
    idx.resize(static_cast<size_t>(n));
    std::iota(idx.begin(), idx.end(), begin);
    const Act logits = model.Forward(MakeBatch(ds, idx), false);
    for (int i = 0; i < n; ++i) {
      Eigen::Index arg;
      logits.x.row(i).maxCoeff(&arg);
      pred[static_cast<size_t>(begin + i)] = static_cast<int>(arg);
    }
  }
  return pred;
}

double Evaluate(Model& model, const Dataset& ds, int batch) {
  const std::vector<int> pred = Predict(model, ds, batch);
  int64_t correct = 0;
  for (int i = 0; i < ds.count; ++i) {
    correct +=
        pred[static_cast<size_t>(i)] == ds.labels[static_cast<size_t>(i)];
  }
  return ds.count ? static_cast<double>(correct) / ds.count : 0.0;
}

}  // namespace sparq
