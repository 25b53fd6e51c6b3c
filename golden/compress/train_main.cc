// sparq_train: trains the baseline Fashion-MNIST CNN and writes its float
// weights as .npy (`make train` regenerates models/baseline with it).

#include <CLI/CLI.hpp>
#include <cstdio>

#include "golden/compress/recipe.h"
#include "golden/errors.h"

int main(int argc, char** argv) {
  CLI::App app{"Train the sparq baseline CNN on Fashion-MNIST"};
  std::string out = "models/baseline";
  std::string data = sparq::kFashionMnistDir;
  int epochs = 15, limit = 0;
  float lr = 0.05f;
  uint32_t seed = 1;
  app.add_option("--out", out, "output folder for the .npy weights");
  app.add_option("--data", data, "Fashion-MNIST folder");
  app.add_option("--epochs", epochs, "epochs");
  app.add_option("--lr", lr, "initial learning rate (cosine decay)");
  app.add_option("--seed", seed, "seed of initialisation and shuffling");
  app.add_option("--limit", limit, "use only the first N training images");
  CLI11_PARSE(app, argc, argv);
  try {
    const double acc = sparq::TrainBaseline(out, data, epochs, lr, seed, limit);
    std::printf("baseline: test accuracy %.2f%%, weights in %s/\n", 100 * acc,
                out.c_str());
  } catch (const sparq::InputError& e) {
    std::fprintf(stderr, "sparq_train: error: %s\n", e.what());
    return 2;
  }
  return 0;
}
