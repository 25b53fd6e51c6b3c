// sparq_train: trains the baseline Fashion-MNIST CNN and writes its float
// weights as .npy (models/baseline is produced by `make train`).

#include <CLI/CLI.hpp>
#include <cstdio>

#include "golden/compress/fashion_mnist.h"
#include "golden/compress/model_io.h"
#include "golden/compress/train.h"
#include "golden/npy.h"

int main(int argc, char** argv) {
  CLI::App app{"Train the sparq baseline CNN on Fashion-MNIST"};
  std::string out = "models/baseline";
  std::string data = sparq::kFashionMnistDir;
  sparq::TrainOptions opt;
  opt.epochs = 15;
  opt.sgd.lr = 0.05f;
  opt.progress = true;
  opt.label = "baseline";
  int limit = 0;
  app.add_option("--out", out, "output directory for the .npy weights");
  app.add_option("--data", data, "Fashion-MNIST directory");
  app.add_option("--epochs", opt.epochs, "epochs");
  app.add_option("--lr", opt.sgd.lr, "initial learning rate (cosine decay)");
  app.add_option("--batch", opt.batch, "batch size");
  app.add_option("--seed", opt.seed, "seed of initialisation and shuffling");
  app.add_option("--limit", limit, "use only the first N training images");
  CLI11_PARSE(app, argc, argv);
  try {
    const sparq::Dataset train = sparq::LoadFashionMnist(data, "train", limit);
    const sparq::Dataset test = sparq::LoadFashionMnist(data, "t10k");
    sparq::Model model = sparq::MakeBaselineCnn(opt.seed);
    const sparq::TrainStats st = sparq::Train(model, train, opt);
    const double acc = sparq::Evaluate(model, test);
    std::printf("baseline: %d epochs in %.0f s, test accuracy %.2f%%\n",
                opt.epochs, st.seconds, 100.0 * acc);
    sparq::SaveModelWeights(model, out);
    std::printf("wrote %s/*.npy\n", out.c_str());
  } catch (const sparq::InputError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
  return 0;
}
