// Training and evaluation on Fashion-MNIST, and the baseline CNN.

#ifndef SPARQ_GOLDEN_COMPRESS_TRAIN_H_
#define SPARQ_GOLDEN_COMPRESS_TRAIN_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "golden/compress/fashion_mnist.h"
#include "golden/compress/nn.h"

namespace sparq {

// Pixels are scaled to [0, 1] (p / 255), so int8 input quantization with
// scale 1/255 and zero point -128 is exact: q = p - 128.
Act MakeBatch(const Dataset& ds, const std::vector<int>& indices);

// conv5x5/32 (pad 2) -> relu -> maxpool 2 -> conv5x5/64 (pad 2) -> relu ->
// maxpool 2 -> flatten -> fc 3136x128 -> relu -> fc 128x10.
Model MakeBaselineCnn(uint32_t seed);

struct TrainOptions {
  int epochs = 1;
  int batch = 64;
  SgdOptions sgd;       // sgd.lr is the starting rate
  bool cosine = true;   // cosine decay of lr to 0 over all steps
  bool augment = true;  // random horizontal flip and +-2 pixel shift
  uint32_t seed = 1;
  bool progress = false;  // progress bar on stderr
  std::string label;      // shown in the progress bar
  // Called after each SGD step (pruning schedules hook in here).
  std::function<void(Model&)> after_step;
};

struct TrainStats {
  float last_epoch_loss = 0;
  float last_epoch_accuracy = 0;  // on the augmented training batches
  double seconds = 0;
};

TrainStats Train(Model& model, const Dataset& train, const TrainOptions& opt);

// Top-1 accuracy in [0, 1].
double Evaluate(Model& model, const Dataset& ds, int batch = 500);

// Class predictions for a whole dataset.
std::vector<int> Predict(Model& model, const Dataset& ds, int batch = 500);

}  // namespace sparq

#endif  // SPARQ_GOLDEN_COMPRESS_TRAIN_H_
